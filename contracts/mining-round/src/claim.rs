//! `Claim` (pull payments, bounded per call) and `SweepExpired`.

use contract_common::{Checked, PageLimits};
use cosmwasm_std::{Addr, DepsMut, Env, MessageInfo, Order, Response, Storage, Uint128, Uint256};
use cw_storage_plus::Bound;

use crate::state::{
    ensure_not_paused, pause_clock, Config, Funds, PauseClock, RoundState, StoredStatus,
    CLAIM_SCAN_FACTOR, CONFIG, DEFAULT_SWEEP_LIMIT, FUNDS, MAX_SWEEP_LIMIT, OWNER_ROUNDS, ROUNDS,
    SCORES, SWEEP_QUEUE,
};

/// Rounds swept by one `SweepExpired`.
const SWEEP: PageLimits = PageLimits::new(DEFAULT_SWEEP_LIMIT, MAX_SWEEP_LIMIT);
use crate::ContractError;

/// floor(reward · score / total) and the remainder (reward · score mod total), computed with a
/// `Uint256` intermediate. Zero when `total` is zero.
pub fn payout(
    reward: Uint128,
    score: Uint128,
    total: Uint128,
) -> Result<(Uint128, Uint256), ContractError> {
    if total.is_zero() {
        return Ok((Uint128::zero(), Uint256::zero()));
    }
    let product = Uint256::from(reward).checked_mul(Uint256::from(score))?;
    let total = Uint256::from(total);
    let quotient = product.checked_div(total)?;
    let remainder = product.checked_rem(total)?;
    Ok((Uint128::try_from(quotient)?, remainder))
}

/// Pays one round to `owner` (all checks done by the caller) and updates the bookkeeping.
fn pay_round(
    storage: &mut dyn Storage,
    owner: &Addr,
    round: u64,
    state: &mut RoundState,
    funds: &mut Funds,
) -> Result<Uint128, ContractError> {
    let mut record = SCORES
        .may_load(storage, (round, owner))?
        .filter(|r| !r.score.is_zero())
        .ok_or(ContractError::NoScore { round })?;
    if record.claimed {
        return Err(ContractError::AlreadyClaimed { round });
    }
    let (amount, remainder) = payout(state.reward, record.score, state.total_score)?;
    if amount > funds.locked {
        return Err(ContractError::InsufficientLocked {
            amount,
            locked: funds.locked,
        });
    }
    funds.locked = funds.locked.checked_sub(amount)?;
    state.paid = state.paid.checked_add(amount)?;
    state.remainder_acc = state.remainder_acc.checked_add(remainder)?;
    state.claimed_owners = state.claimed_owners.checked_inc()?;
    record.claimed = true;
    SCORES.save(storage, (round, owner), &record)?;
    OWNER_ROUNDS.remove(storage, (owner, round));
    ROUNDS.save(storage, round, state)?;
    Ok(amount)
}

/// The times a claim is judged at: wall time and the claim clock (wall time minus the time
/// spent paused; stored claim deadlines are on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimTime {
    /// Block time, seconds.
    pub now: u64,
    /// Claim clock at `now`.
    pub clock: u64,
}

impl ClaimTime {
    /// The claim time at `now` under `pauses`.
    pub fn at(pauses: &PauseClock, now: u64) -> Self {
        ClaimTime {
            now,
            clock: pauses.claim_clock(now),
        }
    }

    /// The claim time at `now` with the stored pause clock.
    pub fn load(storage: &dyn Storage, now: u64) -> Result<Self, ContractError> {
        Ok(Self::at(&pause_clock(storage)?, now))
    }

    /// A deadline on the claim clock in wall time, as it stands at `now`: every pause after
    /// `now` moves it later (while paused, it grows with the current pause).
    pub fn wall(&self, deadline: u64) -> u64 {
        deadline.saturating_add(self.now.saturating_sub(self.clock))
    }
}

/// Whether a finalized round is still claimable at `t`; errors describe why not (deadline in
/// wall time).
fn ensure_claimable(round: u64, state: &RoundState, t: ClaimTime) -> Result<(), ContractError> {
    match state.status {
        StoredStatus::Finalized => {
            let deadline = state.claim_deadline.unwrap_or(0);
            if t.clock >= deadline {
                return Err(ContractError::ClaimWindowOver {
                    round,
                    deadline: t.wall(deadline),
                });
            }
            Ok(())
        }
        StoredStatus::Swept => Err(ContractError::ClaimWindowOver {
            round,
            deadline: t.wall(state.claim_deadline.unwrap_or(0)),
        }),
        StoredStatus::Attesting | StoredStatus::Void => {
            Err(ContractError::RoundNotFinalized { round })
        }
    }
}

/// What the owner index entry of a round means at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexEntry {
    /// Finalized and inside its claim window.
    Claimable,
    /// Still attesting inside its window: may finalize later, keep.
    Pending,
    /// Attestation window over without finalization: void (closed on the way).
    Expired,
    /// Void, swept, claim window over or no state: remove from the index.
    Stale,
}

/// Classifies a round of an owner's index at `t`.
pub fn classify(
    storage: &dyn Storage,
    config: &Config,
    round: u64,
    state: Option<&RoundState>,
    t: ClaimTime,
) -> Result<IndexEntry, ContractError> {
    let Some(state) = state else {
        return Ok(IndexEntry::Stale);
    };
    Ok(match state.status {
        StoredStatus::Finalized if state.claim_deadline.is_some_and(|d| t.clock < d) => {
            IndexEntry::Claimable
        }
        StoredStatus::Attesting
            if t.now < config.round_times(storage, round)?.attestation_deadline =>
        {
            IndexEntry::Pending
        }
        StoredStatus::Attesting => IndexEntry::Expired,
        StoredStatus::Finalized | StoredStatus::Void | StoredStatus::Swept => IndexEntry::Stale,
    })
}

pub fn claim(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    rounds: Option<Vec<u64>>,
) -> Result<Response, ContractError> {
    ensure_not_paused(deps.storage)?;
    let config = CONFIG.load(deps.storage)?;
    let max = config.max_claim_rounds;
    let max_usize = usize::try_from(max).unwrap_or(usize::MAX);
    let t = ClaimTime::load(deps.storage, env.block.time.seconds())?;
    let owner = info.sender;
    let mut funds = FUNDS.load(deps.storage)?;
    let mut total = Uint128::zero();
    let mut paid_rounds: Vec<String> = vec![];
    let mut cleaned: usize = 0;

    match rounds {
        Some(rounds) => {
            if rounds.len() > max_usize {
                return Err(ContractError::TooManyClaimRounds {
                    count: rounds.len(),
                    max,
                });
            }
            for round in rounds {
                let mut state = ROUNDS
                    .may_load(deps.storage, round)?
                    .ok_or(ContractError::RoundNotFinalized { round })?;
                ensure_claimable(round, &state, t)?;
                let amount = pay_round(deps.storage, &owner, round, &mut state, &mut funds)?;
                total = total.checked_add(amount)?;
                paid_rounds.push(round.to_string());
            }
        }
        None => {
            // Oldest first, within a scan budget (bounded gas): claimable rounds are paid,
            // rounds past their attestation deadline without finalization are closed as void,
            // void / swept / expired entries are removed (so the next call starts behind
            // them), rounds still attesting are skipped. Index entries are unique per round,
            // so each round state is read once per call.
            let budget =
                max_usize.saturating_mul(usize::try_from(CLAIM_SCAN_FACTOR).unwrap_or(usize::MAX));
            let window: Vec<u64> = OWNER_ROUNDS
                .prefix(&owner)
                .keys(deps.storage, None, None, Order::Ascending)
                .take(budget)
                .collect::<Result<_, _>>()?;
            for round in window {
                if paid_rounds.len() >= max_usize {
                    break;
                }
                let state = ROUNDS.may_load(deps.storage, round)?;
                match classify(deps.storage, &config, round, state.as_ref(), t)? {
                    IndexEntry::Claimable => {
                        let Some(mut state) = state else {
                            continue;
                        };
                        let amount =
                            pay_round(deps.storage, &owner, round, &mut state, &mut funds)?;
                        total = total.checked_add(amount)?;
                        paid_rounds.push(round.to_string());
                    }
                    IndexEntry::Pending => {}
                    IndexEntry::Expired => {
                        if let Some(mut state) = state {
                            // What `CloseVoidRound` would do: the round can never finalize.
                            state.status = StoredStatus::Void;
                            ROUNDS.save(deps.storage, round, &state)?;
                        }
                        OWNER_ROUNDS.remove(deps.storage, (&owner, round));
                        cleaned = cleaned.saturating_add(1);
                    }
                    IndexEntry::Stale => {
                        OWNER_ROUNDS.remove(deps.storage, (&owner, round));
                        cleaned = cleaned.saturating_add(1);
                    }
                }
            }
            if paid_rounds.is_empty() && cleaned == 0 {
                return Err(ContractError::NothingToClaim {});
            }
        }
    }
    FUNDS.save(deps.storage, &funds)?;

    let mut res = Response::new()
        .add_attribute("action", "claim")
        .add_attribute("owner", owner.as_str())
        .add_attribute("rounds", paid_rounds.join(","))
        .add_attribute("amount", total)
        .add_attribute("cleaned", cleaned.to_string());
    // Paid as the owner's payout profile says (crate::payout); no profile: all to the owner.
    res = crate::payout::pay(deps.storage, &config.reward_token, &owner, total, res)?;
    Ok(res)
}

/// Anyone: moves the unclaimed rest of rounds whose claim window is over to unlocked funds.
/// Refused while paused: a pause stops the claim clock, and no claim window ends during it.
pub fn sweep_expired(
    deps: DepsMut,
    env: Env,
    limit: Option<u32>,
) -> Result<Response, ContractError> {
    ensure_not_paused(deps.storage)?;
    let t = ClaimTime::load(deps.storage, env.block.time.seconds())?;
    let limit = SWEEP.page(limit);
    // Claims are accepted while clock < deadline, so deadline <= clock is expired.
    let expired: Vec<(u64, u64)> = SWEEP_QUEUE
        .keys(
            deps.storage,
            None,
            Some(Bound::inclusive((t.clock, u64::MAX))),
            Order::Ascending,
        )
        .take(limit)
        .collect::<Result<_, _>>()?;
    if expired.is_empty() {
        return Err(ContractError::NothingToSweep {});
    }
    let mut funds = FUNDS.load(deps.storage)?;
    let mut total = Uint128::zero();
    let mut swept_rounds = vec![];
    for (deadline, round) in expired {
        SWEEP_QUEUE.remove(deps.storage, (deadline, round));
        let mut state = ROUNDS.load(deps.storage, round)?;
        let amount = state.reward.checked_sub(state.paid)?;
        funds.locked = funds.locked.checked_sub(amount)?;
        funds.unlocked = funds.unlocked.checked_add(amount)?;
        state.swept = amount;
        state.status = StoredStatus::Swept;
        ROUNDS.save(deps.storage, round, &state)?;
        total = total.checked_add(amount)?;
        swept_rounds.push(round.to_string());
    }
    FUNDS.save(deps.storage, &funds)?;
    Ok(Response::new()
        .add_attribute("action", "sweep_expired")
        .add_attribute("rounds", swept_rounds.join(","))
        .add_attribute("amount", total)
        .add_attribute("unlocked", funds.unlocked)
        .add_attribute("locked", funds.locked))
}
