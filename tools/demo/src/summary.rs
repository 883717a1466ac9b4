//! The live summary: one line per tick, a full report at every round end and at exit. Token
//! amounts are shown in whole tokens (`505.112474 ECT`) with the tokens' decimals ([`Units`]).

use std::collections::BTreeMap;
use std::fmt::Write;

use chain_client::{format_amount, ChainError, TokenUnit};
use cube_types::mining_round::{BatteryClass, RoundResponse, RoundStatus, TouClass, UsageBuckets};
use cube_types::reward_pool::{RateEvent, RateEventKind, StateResponse};

use crate::chain::{Units, View};
use crate::claims::Claim;

/// A count grouped by thousands: `1234567` → `1,234,567`. Not for token amounts, which are in
/// base units: those go through [`TokenUnit`] ([`Units`]).
pub fn amount(v: u128) -> String {
    format_amount(v, 0)
}

/// Basis points as a multiplier: `12000` → `1.20`.
pub fn bp(v: u32) -> String {
    format!("{}.{:02}", v / 10_000, (v % 10_000) / 100)
}

/// Micro-points as points with three decimals.
pub fn points(micro: u128) -> String {
    format!(
        "{}.{:03}",
        amount(micro / 1_000_000),
        (micro % 1_000_000) / 1_000
    )
}

/// Unix seconds as `HH:MM:SS` UTC.
pub fn clock(unix: u64) -> String {
    let s = unix % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
}

/// Wh of one battery class by time-of-use class: `valley/off-peak/peak`.
pub fn tou(b: &UsageBuckets, battery: BatteryClass) -> String {
    format!(
        "{}/{}/{}",
        b.get(battery, TouClass::Valley),
        b.get(battery, TouClass::OffPeak),
        b.get(battery, TouClass::Peak)
    )
}

/// Lower-case status name.
pub fn status(s: RoundStatus) -> &'static str {
    match s {
        RoundStatus::Upcoming => "upcoming",
        RoundStatus::InProgress => "in progress",
        RoundStatus::Attesting => "attesting",
        RoundStatus::AttestationExpired => "expired",
        RoundStatus::Finalized => "FINALIZED",
        RoundStatus::Void => "void",
        RoundStatus::Swept => "swept",
    }
}

/// Number of batches of a round with at least one oracle vote (0: no oracle attested).
pub fn votes(r: &RoundResponse) -> u32 {
    r.batches_with_votes
}

/// The pool in one line; `tok` is the pool's token.
pub fn pool_line(s: &StateResponse, tok: &TokenUnit) -> String {
    let next = s
        .next_halving_threshold
        .map(|t| format!("halves below {}", tok.amount(t.u128())))
        .unwrap_or_else(|| "no further halving".into());
    let rev = s
        .reversal_threshold
        .map(|t| format!(", un-halves at {}", tok.amount(t.u128())))
        .unwrap_or_default();
    let cooldown = if s.cooldown_active {
        s.cooldown_end
            .map(|t| format!(", cooldown until {}", clock(t.seconds())))
            .unwrap_or_default()
    } else {
        String::new()
    };
    format!(
        "pool: balance {} (owed {}), level {}, reward {}/action, {next}{rev}{cooldown}",
        tok.tokens(s.available.u128()),
        tok.amount(s.owed.u128()),
        s.level,
        tok.tokens(s.current_reward.u128()),
    )
}

/// One rate event; `tok` is the pool's token.
pub fn rate_event(e: &RateEvent, tok: &TokenUnit) -> String {
    let kind = match e.kind {
        RateEventKind::Halving => "halving ",
        RateEventKind::Reversal => "reversal",
    };
    format!(
        "#{} {kind} level {} -> {} at {} (balance {}, reward now {})",
        e.seq,
        e.from_level,
        e.to_level,
        clock(e.time.seconds()),
        tok.tokens(e.balance.u128()),
        tok.tokens(e.reward.u128())
    )
}

/// The full report: rounds `first..=last`, the leaderboard of the latest finalized round, the
/// pool, its rate history and the claims so far, amounts in whole tokens of `units`.
pub async fn report(
    view: &View<'_>,
    names: &BTreeMap<String, String>,
    units: &Units,
    first: u64,
    last: u64,
    claims: &[Claim],
) -> Result<String, ChainError> {
    let name = |addr: &str| names.get(addr).cloned().unwrap_or_else(|| addr.to_string());
    let mut out = String::new();
    let cur = view.mining().current_round().await?;
    let block = view.client.latest_block().await?;
    let _ = writeln!(
        out,
        "\n======== {} UTC, block {}, round {} ({} s left) ========",
        clock(cur.now),
        block.height,
        cur.round
            .map(|r| r.to_string())
            .unwrap_or_else(|| "-".into()),
        cur.end.map(|e| e.saturating_sub(cur.now)).unwrap_or(0)
    );
    let ect = &units.ect;
    let _ = writeln!(
        out,
        "mining-round ({})\n  {:<6} {:<12} {:>5}  {:>7}  {:>6}  {:>15}  {:>14}  {:>14}",
        ect.symbol,
        "round",
        "status",
        "votes",
        "batches",
        "owners",
        "total score",
        format!("reward {}", ect.symbol),
        format!("paid {}", ect.symbol)
    );
    let mut latest_final = None;
    for r in first..=last {
        let rr = view.mining().round(r).await?;
        let s = &rr.summary;
        if s.status == RoundStatus::Finalized {
            latest_final = Some(r);
        }
        let batches = s
            .batch_count
            .map(|c| format!("{}/{c}", s.accepted_batches))
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "  {:<6} {:<12} {:>5}  {:>7}  {:>6}  {:>15}  {:>14}  {:>14}",
            r,
            status(s.status),
            votes(&rr),
            batches,
            s.scored_owners,
            points(s.total_score.u128()),
            ect.amount(s.reward.u128()),
            ect.amount(s.paid.u128())
        );
    }
    if let Some(r) = latest_final {
        let board = view.mining().leaderboard(r, None, Some(5)).await?;
        let mut rows = String::new();
        let mut policy = String::new();
        for (i, e) in board.entries.iter().enumerate() {
            let s = view.mining().score(r, &e.owner).await?;
            if policy.is_empty() {
                policy = format!(
                    "policy v{}: M1 whitelisted battery {} / standard {}, M2 valley {} / \
                     off-peak {} / peak {}",
                    s.policy_version,
                    bp(s.whitelisted_bp),
                    bp(s.standard_bp),
                    bp(s.valley_bp),
                    bp(s.off_peak_bp),
                    bp(s.peak_bp)
                );
            }
            let _ = writeln!(
                rows,
                "    {}  {:<8}  {:>20}  {:>17}  {:<4}  {:>13}  {:>14}  {}",
                i + 1,
                name(&e.owner),
                tou(&s.buckets, BatteryClass::Whitelisted),
                tou(&s.buckets, BatteryClass::Standard),
                bp(s.product_mix_bp),
                points(e.score.u128()),
                s.reward
                    .map(|a| ect.amount(a.u128()))
                    .unwrap_or_else(|| "-".into()),
                if s.claimed { "yes" } else { "no" }
            );
        }
        let _ = writeln!(
            out,
            "  top owners of round {r}: score = M3 x sum(Wh x M1 x M2), {policy}"
        );
        let _ = write!(
            out,
            "    #  {:<8}  {:>20}  {:>17}  {:<4}  {:>13}  {:>14}  claimed\n{rows}",
            "owner",
            "Wh whitelisted v/o/p",
            "Wh standard v/o/p",
            "M3",
            "score",
            format!("payout {}", ect.symbol)
        );
    }
    let tok = &units.tok;
    let state = view.pool().state().await?;
    let _ = writeln!(
        out,
        "reward-pool ({})\n  {}",
        tok.symbol,
        pool_line(&state, tok)
    );
    let _ = writeln!(
        out,
        "  totals: funded {}, ad fees {}, rewarded {}, claimed {}",
        tok.tokens(state.total_funded.u128()),
        tok.tokens(state.total_ad_fees.u128()),
        tok.tokens(state.total_rewarded.u128()),
        tok.tokens(state.total_claimed.u128())
    );
    let history = view.pool().rate_history(crate::chain::PAGE, 10).await?;
    let skip = history.len().saturating_sub(6);
    if history.is_empty() {
        let _ = writeln!(out, "  rate history: none yet");
    }
    for e in history.iter().skip(skip) {
        let _ = writeln!(out, "  {}", rate_event(e, tok));
    }
    let _ = writeln!(out, "claims ({} so far)", claims.len());
    for c in claims.iter().rev().take(8).rev() {
        let rounds = if c.rounds.is_empty() {
            String::new()
        } else {
            format!(" for rounds {:?}", c.rounds)
        };
        let _ = writeln!(
            out,
            "  block {:>6}  {:<6} received {:>15} {}{rounds}  tx {}",
            c.height,
            c.holder,
            units.of(c.token).amount(c.amount),
            units.of(c.token).symbol,
            c.tx.get(..12).unwrap_or(&c.tx)
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_figures() {
        assert_eq!(amount(0), "0");
        assert_eq!(amount(999), "999");
        assert_eq!(amount(1_000), "1,000");
        assert_eq!(amount(1_234_567), "1,234,567");
        assert_eq!(bp(12_000), "1.20");
        assert_eq!(bp(13_500), "1.35");
        assert_eq!(bp(5_000), "0.50");
        assert_eq!(points(1_234_567_890), "1,234.567");
        assert_eq!(clock(86_400 + 3_723), "01:02:03");
        let mut b = UsageBuckets::default();
        b.add(BatteryClass::Whitelisted, TouClass::Peak, 7);
        b.add(BatteryClass::Standard, TouClass::Valley, 2);
        b.add(BatteryClass::Standard, TouClass::OffPeak, 3);
        assert_eq!(tou(&b, BatteryClass::Whitelisted), "0/0/7");
        assert_eq!(tou(&b, BatteryClass::Standard), "2/3/0");
    }

    #[test]
    fn token_amounts_are_shown_in_whole_tokens() {
        use cosmwasm_std::{Timestamp, Uint128};
        let tok = TokenUnit {
            symbol: "TOK".into(),
            decimals: 6,
        };
        let state = StateResponse {
            available: Uint128::new(1_100_000),
            owed: Uint128::new(50_000),
            level: 1,
            current_reward: Uint128::new(500),
            next_halving_threshold: Some(Uint128::new(250_000)),
            reversal_threshold: Some(Uint128::new(1_000_000)),
            last_halving: None,
            cooldown_end: None,
            cooldown_active: false,
            halving_pending: false,
            total_funded: Uint128::zero(),
            total_ad_fees: Uint128::zero(),
            total_rewarded: Uint128::zero(),
            total_claimed: Uint128::zero(),
            total_reconciled: Uint128::zero(),
        };
        assert_eq!(
            pool_line(&state, &tok),
            "pool: balance 1.1 TOK (owed 0.05), level 1, reward 0.0005 TOK/action, \
             halves below 0.25, un-halves at 1"
        );
        let e = RateEvent {
            seq: 2,
            kind: RateEventKind::Reversal,
            time: Timestamp::from_seconds(86_400 + 3_723),
            from_level: 2,
            to_level: 1,
            balance: Uint128::new(1_100_000),
            reward: Uint128::new(1_000),
        };
        assert_eq!(
            rate_event(&e, &tok),
            "#2 reversal level 2 -> 1 at 01:02:03 (balance 1.1 TOK, reward now 0.001 TOK)"
        );
    }
}
