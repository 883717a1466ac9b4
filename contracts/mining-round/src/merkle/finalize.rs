//! The challenge window: an accepted root waits in `PENDING` for `challenge_window` seconds,
//! then is finalized (by `FinalizeRoot` or by the next merkle message). Finalization locks the
//! entitlement increase, makes the root the one claims use, and settles the open disputes of
//! its round and earlier rounds (a different root replaced them: bonds returned).

use contract_common::Checked;
use cosmwasm_std::{to_json_binary, Order, Response, Storage, Uint128, WasmMsg};
use cw20::Cw20ExecuteMsg;
use cw_storage_plus::Bound;

use super::state::{
    totals, DisputeOutcome, PendingRoot, RootRecord, DISPUTES, OPEN_DISPUTES, PENDING, ROOTS,
    TOTALS,
};
use crate::state::{ensure_not_paused, Config, CONFIG, FUNDS};
use crate::ContractError;

/// Most open disputes settled by one finalization; the rest are settled by the next one.
pub const MAX_SETTLED: usize = 20;

/// Puts `record` (accepted at `now`) in its challenge window, or finalizes it at once when the
/// window is 0. The caller checked that no root is pending.
pub fn start_window(
    storage: &mut dyn Storage,
    config: &Config,
    now: u64,
    record: RootRecord,
    res: Response,
) -> Result<Response, ContractError> {
    if config.challenge_window == 0 {
        return finalize(storage, config, now, record, res);
    }
    let finalizes_at = now.try_add(config.challenge_window)?;
    let res = res
        .add_attribute("pending", "true")
        .add_attribute("finalizes_at", finalizes_at.to_string());
    PENDING.save(
        storage,
        &PendingRoot {
            record,
            finalizes_at,
        },
    )?;
    Ok(res)
}

/// Finalizes the pending root if its window is over at `now` (the merkle messages that vote,
/// accept or claim call this first). Returns the response and the root still pending, so the
/// caller's checks need not read it again.
pub fn finalize_due(
    storage: &mut dyn Storage,
    config: &Config,
    now: u64,
    res: Response,
) -> Result<(Response, Option<PendingRoot>), ContractError> {
    match PENDING.may_load(storage)? {
        Some(pending) if now >= pending.finalizes_at => {
            PENDING.remove(storage);
            Ok((finalize(storage, config, now, pending.record, res)?, None))
        }
        pending => Ok((res, pending)),
    }
}

/// `FinalizeRoot` (anyone; fails while paused): finalizes the pending root once its window is
/// over.
pub fn finalize_pending(storage: &mut dyn Storage, now: u64) -> Result<Response, ContractError> {
    ensure_not_paused(storage)?;
    let config = CONFIG.load(storage)?;
    let pending = PENDING
        .may_load(storage)?
        .ok_or(ContractError::NoPendingRoot {})?;
    if now < pending.finalizes_at {
        return Err(ContractError::ChallengeWindowOpen {
            round: pending.record.attestation.round,
            finalizes_at: pending.finalizes_at,
        });
    }
    PENDING.remove(storage);
    let res = Response::new().add_attribute("action", "finalize_root");
    finalize(storage, &config, now, pending.record, res)
}

/// Makes `record` the last finalized root: locks its entitlement increase (reserved while it
/// was pending), records it, and settles the open disputes of its round and earlier ones.
pub fn finalize(
    storage: &mut dyn Storage,
    config: &Config,
    now: u64,
    record: RootRecord,
    res: Response,
) -> Result<Response, ContractError> {
    let mut t = totals(storage)?;
    let a = &record.attestation;
    let increase = a
        .total_entitlement
        .checked_sub(t.total_entitlement)
        .map_err(|_| ContractError::EntitlementDecreased {
            total: a.total_entitlement,
            last: t.total_entitlement,
        })?;
    let mut funds = FUNDS.load(storage)?;
    funds.unlocked = funds.unlocked.checked_sub(increase)?;
    funds.locked = funds.locked.checked_add(increase)?;
    t.last_round = Some(a.round);
    t.total_entitlement = a.total_entitlement;
    TOTALS.save(storage, &t)?;
    let round = a.round;
    let mut res = res
        .add_attribute("finalized_round", round.to_string())
        .add_attribute("finalized_root", a.root.to_hex())
        .add_attribute("locked", increase);
    ROOTS.save(storage, round, &record)?;

    // Settle the open disputes of rounds <= round: a different root was finalized.
    let next = round.checked_inc()?;
    let open: Vec<(u64, Vec<u8>)> = OPEN_DISPUTES
        .keys(
            storage,
            None,
            Some(Bound::exclusive((next, &[][..]))),
            Order::Ascending,
        )
        .take(MAX_SETTLED)
        .collect::<Result<_, _>>()?;
    let mut returned = Uint128::zero();
    for (r, hash) in &open {
        let key = (*r, hash.as_slice());
        OPEN_DISPUTES.remove(storage, key);
        let mut dispute = DISPUTES.load(storage, key)?;
        dispute.outcome = DisputeOutcome::Replaced;
        dispute.resolved_at = Some(now);
        if !dispute.bond.is_zero() {
            funds.bonded = funds.bonded.checked_sub(dispute.bond)?;
            returned = returned.checked_add(dispute.bond)?;
            res = res.add_message(WasmMsg::Execute {
                contract_addr: config.reward_token.to_string(),
                msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                    recipient: dispute.disputer.to_string(),
                    amount: dispute.bond,
                })?,
                funds: vec![],
            });
        }
        DISPUTES.save(storage, key, &dispute)?;
    }
    FUNDS.save(storage, &funds)?;
    Ok(res
        .add_attribute("settled_disputes", open.len().to_string())
        .add_attribute("returned_bonds", returned))
}
