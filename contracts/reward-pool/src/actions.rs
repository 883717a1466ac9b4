//! `RecordActions`: reporters credit rewards for user actions.

use cosmwasm_std::{DepsMut, Env, MessageInfo, Response, Uint128};
use cube_types::reward_pool::ActionEntry;

use crate::cap::Allowance;
use crate::error::ContractError;
use crate::halving::{pay_actions, LevelChange, Payment};
use crate::helpers::{record_level_changes, validate_addr};
use crate::state::{CLAIMABLE, CONFIG, LAST_BATCH, POOL, REPORTERS};

pub fn record_actions(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    batch_id: u64,
    actions: Vec<ActionEntry>,
) -> Result<Response, ContractError> {
    if !REPORTERS.has(deps.storage, &info.sender) {
        return Err(ContractError::NotReporter {
            sender: info.sender,
        });
    }
    let config = CONFIG.load(deps.storage)?;
    if actions.is_empty() {
        return Err(ContractError::EmptyBatch);
    }
    let max_batch = usize::try_from(config.max_batch_size).unwrap_or(usize::MAX);
    if actions.len() > max_batch {
        return Err(ContractError::BatchTooLarge {
            size: actions.len(),
            max: config.max_batch_size,
        });
    }
    if let Some(last_batch_id) = LAST_BATCH.may_load(deps.storage, &info.sender)? {
        if batch_id <= last_batch_id {
            return Err(ContractError::BatchIdNotIncreasing {
                batch_id,
                last_batch_id,
            });
        }
    }
    LAST_BATCH.save(deps.storage, &info.sender, &batch_id)?;

    let now = env.block.time;
    let mut allowance = Allowance::load(deps.storage, config.reporter_cap, info.sender, now)?;
    let mut pool = POOL.load(deps.storage)?;
    let level_before = pool.level;
    let mut changes: Vec<LevelChange> = Vec::new();
    let mut total = Payment::default();
    let mut action_count = Uint128::zero();
    // Bounded by max_batch_size; each entry costs O(levels), independent of its count.
    for entry in &actions {
        if entry.count == 0 {
            return Err(ContractError::ZeroCount {
                user: entry.user.clone(),
            });
        }
        let user_addr = validate_addr(deps.api, &entry.user)?;
        let payment = pay_actions(&config, &mut pool, now, entry.count, &mut changes)?;
        // Beyond the cap the message fails: the pool changes above are reverted with it.
        allowance.charge(payment.paid)?;
        if !payment.paid.is_zero() {
            CLAIMABLE.update(
                deps.storage,
                &user_addr,
                |claimable| -> Result<_, ContractError> {
                    Ok(claimable.unwrap_or_default().checked_add(payment.paid)?)
                },
            )?;
        }
        total.paid = total.paid.checked_add(payment.paid)?;
        total.unpaid = total.unpaid.checked_add(payment.unpaid)?;
        action_count = action_count.checked_add(Uint128::from(entry.count))?;
    }
    pool.owed = pool.owed.checked_add(total.paid)?;
    pool.total_rewarded = pool.total_rewarded.checked_add(total.paid)?;
    POOL.save(deps.storage, &pool)?;
    allowance.save(deps.storage)?;
    let events = record_level_changes(deps.storage, changes, now)?;
    let (paid_in_period, remaining) = (allowance.paid, allowance.remaining());

    Ok(Response::new()
        .add_events(events)
        .add_attribute("action", "record_actions")
        .add_attribute("reporter", allowance.reporter)
        .add_attribute("batch_id", batch_id.to_string())
        .add_attribute("entries", actions.len().to_string())
        .add_attribute("actions", action_count)
        .add_attribute("paid", total.paid)
        .add_attribute("unpaid", total.unpaid)
        .add_attribute("balance", pool.available)
        .add_attribute("level_before", level_before.to_string())
        .add_attribute("level_after", pool.level.to_string())
        .add_attribute("reporter_paid_in_period", paid_in_period)
        .add_attribute("reporter_remaining", remaining))
}
