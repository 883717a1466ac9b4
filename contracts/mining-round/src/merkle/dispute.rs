//! Disputes of the pending root: a current oracle once per round without a bond
//! (`DisputeRoot`), anyone with an ECT bond through the `Send` hook (`ReceiveMsg::Dispute`).
//! The disputed root is discarded (kept as evidence) and can never be voted again; only the
//! owner can re-affirm it (`ReaffirmRoot`), which finalizes it and forfeits the bond to the
//! unlocked funds. A different root of the round or a later one returns the bond when it is
//! finalized (`finalize`).

use cosmwasm_std::{Addr, Empty, HexBinary, Response, Storage, Uint128, Uint256};
use cube_types::mining_round::MAX_DISPUTE_REASON;

use super::attest::{accept_root, root_voters};
use super::finalize::{finalize, finalize_due};
use super::state::{
    totals, Dispute, DisputeOutcome, PendingRoot, DISPUTES, OPEN_DISPUTES, ORACLE_DISPUTES,
    PENDING, TOTALS,
};
use crate::state::{ensure_not_paused, rules_for_round, Config, CONFIG, FUNDS, ORACLES};
use crate::validate::hash32;
use crate::ContractError;

/// Basis points of a whole.
const BPS: u128 = 10_000;

/// The bond of a non-oracle's dispute of a root of `round`: `dispute_bond_bps` of the round's
/// pinned reward, rounded up, at least 1 base unit.
pub fn dispute_bond(
    storage: &dyn Storage,
    config: &Config,
    round: u64,
) -> Result<Uint128, ContractError> {
    let reward = rules_for_round(storage, config, round)?.reward();
    let scaled = Uint256::from(reward).checked_mul(Uint256::from(config.dispute_bond_bps))?;
    let bond = scaled
        .checked_add(Uint256::from(BPS - 1))?
        .checked_div(Uint256::from(BPS))?;
    Ok(Uint128::try_from(bond)?.max(Uint128::one()))
}

/// Who disputes and with what.
pub struct Disputer {
    pub address: Addr,
    /// `Some(bond sent)` through the hook, `None` for `DisputeRoot` (must be a current oracle).
    pub bond: Option<Uint128>,
}

/// The pending root if it is `round`'s `hash` and its window is still open at `now`.
fn disputable(
    storage: &dyn Storage,
    now: u64,
    round: u64,
    hash: &[u8],
    attestation_hash: &HexBinary,
) -> Result<PendingRoot, ContractError> {
    let pending = PENDING
        .may_load(storage)?
        .ok_or(ContractError::NoPendingRoot {})?;
    let record = &pending.record;
    if record.attestation.round != round || record.attestation_hash.as_slice() != hash {
        return Err(ContractError::NotPendingRoot {
            round,
            attestation_hash: attestation_hash.clone(),
        });
    }
    if now >= pending.finalizes_at {
        return Err(ContractError::ChallengeWindowOver {
            round,
            finalizes_at: pending.finalizes_at,
        });
    }
    Ok(pending)
}

/// Disputes the pending root `attestation_hash` of `round` (works while paused).
pub fn dispute_root(
    storage: &mut dyn Storage,
    now: u64,
    disputer: Disputer,
    round: u64,
    attestation_hash: HexBinary,
    reason: Option<String>,
) -> Result<Response, ContractError> {
    let hash = hash32(&attestation_hash)?;
    if let Some(r) = &reason {
        if r.len() > MAX_DISPUTE_REASON {
            return Err(ContractError::DisputeReasonTooLong {
                len: r.len(),
                max: MAX_DISPUTE_REASON,
            });
        }
    }
    let config = CONFIG.load(storage)?;
    let pending = disputable(storage, now, round, &hash, &attestation_hash)?;
    let required = dispute_bond(storage, &config, round)?;
    let who = disputer.address;
    let (by_oracle, bond) = match disputer.bond {
        None => {
            if !ORACLES.has(storage, &who) {
                return Err(ContractError::DisputeBondRequired { bond: required });
            }
            if ORACLE_DISPUTES.has(storage, (round, &who)) {
                return Err(ContractError::OracleDisputeUsed {
                    oracle: who.into_string(),
                    round,
                });
            }
            ORACLE_DISPUTES.save(storage, (round, &who), &Empty {})?;
            (true, Uint128::zero())
        }
        Some(sent) => {
            if sent != required {
                return Err(ContractError::WrongDisputeBond { sent, required });
            }
            (false, sent)
        }
    };
    let voters = root_voters(storage, round, &hash)?;
    PENDING.remove(storage);
    let mut funds = FUNDS.load(storage)?;
    funds.bonded = funds.bonded.checked_add(bond)?;
    FUNDS.save(storage, &funds)?;
    let mut t = totals(storage)?;
    t.last_disputed = t.last_disputed.max(Some(round));
    TOTALS.save(storage, &t)?;
    DISPUTES.save(
        storage,
        (round, hash.as_slice()),
        &Dispute {
            disputer: who.clone(),
            by_oracle,
            bond,
            reason,
            disputed_at: now,
            outcome: DisputeOutcome::Open,
            resolved_at: None,
            evidence: pending.record,
            voters,
        },
    )?;
    OPEN_DISPUTES.save(storage, (round, hash.as_slice()), &Empty {})?;
    Ok(Response::new()
        .add_attribute("action", "dispute_root")
        .add_attribute("round", round.to_string())
        .add_attribute("attestation_hash", attestation_hash.to_hex())
        .add_attribute("disputer", who.as_str())
        .add_attribute("by_oracle", by_oracle.to_string())
        .add_attribute("bond", bond)
        .add_attribute("bonded", funds.bonded))
}

/// Owner (`contract::owner_only`): re-affirms the disputed root `attestation_hash` of `round`.
/// It is finalized at once; the dispute's bond is forfeited to the unlocked funds.
pub fn reaffirm_root(
    storage: &mut dyn Storage,
    now: u64,
    round: u64,
    attestation_hash: HexBinary,
) -> Result<Response, ContractError> {
    ensure_not_paused(storage)?;
    let hash = hash32(&attestation_hash)?;
    let key = (round, hash.as_slice());
    let mut dispute =
        DISPUTES
            .may_load(storage, key)?
            .ok_or_else(|| ContractError::UnknownDispute {
                round,
                attestation_hash: attestation_hash.clone(),
            })?;
    if dispute.outcome != DisputeOutcome::Open {
        return Err(ContractError::DisputeResolved {
            round,
            attestation_hash,
        });
    }
    let config = CONFIG.load(storage)?;
    // A root whose window is over is finalized first (it may carry the disputed round).
    let (res, pending) = finalize_due(storage, &config, now, Response::new())?;
    if let Some(p) = pending {
        return Err(p.still_pending());
    }
    let t = totals(storage)?;
    // A finalized root of this round or a later one settles the dispute (`Replaced`), but one
    // finalization settles at most `MAX_SETTLED`: the rest stay open until the next.
    if let Some(last) = t.last_round {
        if round <= last {
            return Err(ContractError::RootNotAfterLast { round, last });
        }
    }
    let a = dispute.evidence.attestation.clone();
    // The budget as at acceptance (`EntitlementDecreased`, `EntitlementExceedsBudget`),
    // against the funds of now.
    let record = accept_root(storage, &config, now, &t, a, attestation_hash.clone())?;
    OPEN_DISPUTES.remove(storage, key);
    dispute.outcome = DisputeOutcome::Reaffirmed;
    dispute.resolved_at = Some(now);
    let forfeited = dispute.bond;
    DISPUTES.save(storage, key, &dispute)?;
    let res = res
        .add_attribute("action", "reaffirm_root")
        .add_attribute("round", round.to_string())
        .add_attribute("attestation_hash", attestation_hash.to_hex())
        .add_attribute("forfeited_bond", forfeited);
    let res = finalize(storage, &config, now, record, res)?;
    let mut funds = FUNDS.load(storage)?;
    funds.bonded = funds.bonded.checked_sub(forfeited)?;
    funds.unlocked = funds.unlocked.checked_add(forfeited)?;
    FUNDS.save(storage, &funds)?;
    Ok(res)
}
