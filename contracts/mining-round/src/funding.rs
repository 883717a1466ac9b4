//! Funding through the ECT CW20 `Send` hook, owner withdrawal of unlocked funds and
//! `Reconcile` of plain transfers.

use contract_common::ensure_token_deposit;
use cosmwasm_std::{
    from_json, to_json_binary, DepsMut, Env, MessageInfo, Response, Storage, Uint128, WasmMsg,
};
use cube_types::mining_round::{AttestationMode, ReceiveMsg};
use cw20::{BalanceResponse, Cw20ExecuteMsg, Cw20QueryMsg, Cw20ReceiveMsg};

use crate::state::{
    rules_for_round, Config, StoredStatus, CONFIG, FUNDS, MAX_ATTESTATION_ROUNDS, ROUNDS,
};
use crate::ContractError;

/// ECT reserved at `now` for rounds that ended and may still finalize: the pinned reward of
/// every ended round inside its attestation window that is not finalized, void or swept yet.
/// Merkle mode: the pending root's entitlement increase, plus the reward of every round after
/// the last finalized and the pending root that is inside its attestation window or not
/// after the last disputed round (a disputed round waits for the next root to carry it).
/// A round's attestation window spans at most `MAX_ATTESTATION_ROUNDS` rounds, so only the
/// last `MAX_ATTESTATION_ROUNDS + 1` ended rounds are read one by one; the disputed rounds
/// before them are summed over the rules history (`rewards_between`).
pub fn reserved(
    storage: &dyn Storage,
    config: &Config,
    now: u64,
) -> Result<Uint128, ContractError> {
    let Some(current) = config.round_at(now) else {
        return Ok(Uint128::zero());
    };
    let merkle = config.attestation_mode == AttestationMode::Merkle;
    let oldest = current.saturating_sub(MAX_ATTESTATION_ROUNDS.saturating_add(1));
    let mut total = Uint128::zero();
    // Merkle mode: rounds up to `last_root` are covered by a finalized or the pending root.
    let mut last_root = None;
    let mut last_disputed = None;
    if merkle {
        let t = crate::merkle::state::totals(storage)?;
        let pending = crate::merkle::state::PENDING.may_load(storage)?;
        last_root = t.last_round;
        last_disputed = t.last_disputed;
        if let Some(p) = pending {
            total = total.checked_add(p.record.locked)?;
            last_root = last_root.max(Some(p.record.attestation.round));
        }
        // Disputed rounds not yet covered, before the rounds read one by one.
        if let Some(disputed) = t.last_disputed {
            let from = match last_root {
                Some(last) => last.saturating_add(1),
                None => 0,
            };
            let to = disputed.min(oldest.saturating_sub(1));
            if oldest > 0 && from <= to {
                total = total
                    .checked_add(crate::merkle::rewards_between(storage, config, from, to)?)?;
            }
        }
    }
    for round in oldest..current {
        let rules = rules_for_round(storage, config, round)?;
        let times = config.round_times_with(round, rules.attestation())?;
        let disputed = last_disputed.is_some_and(|d| round <= d);
        if now >= times.attestation_deadline && !disputed {
            continue;
        }
        let open = if merkle {
            last_root.is_none_or(|last| round > last)
        } else {
            ROUNDS
                .may_load(storage, round)?
                .is_none_or(|s| s.status == StoredStatus::Attesting)
        };
        if open {
            total = total.checked_add(rules.reward())?;
        }
    }
    Ok(total)
}

pub fn receive(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    wrapper: Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    ensure_token_deposit(&info.sender, &config.reward_token, wrapper.amount)?;
    match from_json::<ReceiveMsg>(&wrapper.msg)? {
        ReceiveMsg::Dispute {
            round,
            attestation_hash,
            reason,
        } => {
            crate::contract::ensure_mode(deps.storage, AttestationMode::Merkle)?;
            let disputer = crate::merkle::Disputer {
                address: deps.api.addr_validate(&wrapper.sender)?,
                bond: Some(wrapper.amount),
            };
            crate::merkle::dispute_root(
                deps.storage,
                env.block.time.seconds(),
                disputer,
                round,
                attestation_hash,
                reason,
            )
        }
        ReceiveMsg::Fund {} => {
            let mut funds = FUNDS.load(deps.storage)?;
            funds.unlocked = funds.unlocked.checked_add(wrapper.amount)?;
            FUNDS.save(deps.storage, &funds)?;
            Ok(Response::new()
                .add_attribute("action", "fund")
                .add_attribute("from", wrapper.sender)
                .add_attribute("amount", wrapper.amount)
                .add_attribute("unlocked", funds.unlocked)
                .add_attribute("locked", funds.locked))
        }
    }
}

/// Owner (`contract::owner_only`): sends up to the unlocked funds not reserved for ended
/// rounds ([`reserved`]); locked rewards are never touched.
pub fn withdraw_unlocked(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    amount: Uint128,
    recipient: Option<String>,
) -> Result<Response, ContractError> {
    if amount.is_zero() {
        return Err(ContractError::ZeroParameter {
            name: "amount".to_string(),
        });
    }
    let recipient = match recipient {
        Some(r) => deps.api.addr_validate(&r)?,
        None => info.sender,
    };
    let config = CONFIG.load(deps.storage)?;
    let mut funds = FUNDS.load(deps.storage)?;
    if amount > funds.unlocked {
        return Err(ContractError::InsufficientUnlocked {
            requested: amount,
            unlocked: funds.unlocked,
        });
    }
    let reserved = reserved(deps.storage, &config, env.block.time.seconds())?;
    if amount > funds.unlocked.saturating_sub(reserved) {
        return Err(ContractError::RewardReserved {
            requested: amount,
            unlocked: funds.unlocked,
            reserved,
        });
    }
    funds.unlocked = funds.unlocked.checked_sub(amount)?;
    FUNDS.save(deps.storage, &funds)?;
    Ok(Response::new()
        .add_message(WasmMsg::Execute {
            contract_addr: config.reward_token.to_string(),
            msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                recipient: recipient.to_string(),
                amount,
            })?,
            funds: vec![],
        })
        .add_attribute("action", "withdraw_unlocked")
        .add_attribute("recipient", recipient.as_str())
        .add_attribute("amount", amount)
        .add_attribute("unlocked", funds.unlocked)
        .add_attribute("locked", funds.locked))
}

/// Owner (`contract::owner_only`): adopts ECT held beyond locked + unlocked (plain `Transfer`s) into unlocked.
pub fn reconcile(deps: DepsMut, env: Env) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let balance: BalanceResponse = deps.querier.query_wasm_smart(
        config.reward_token.to_string(),
        &Cw20QueryMsg::Balance {
            address: env.contract.address.to_string(),
        },
    )?;
    let mut funds = FUNDS.load(deps.storage)?;
    let accounted = funds
        .unlocked
        .checked_add(funds.locked)?
        .checked_add(funds.bonded)?;
    let excess = balance.balance.saturating_sub(accounted);
    if excess.is_zero() {
        return Err(ContractError::NothingToReconcile {
            balance: balance.balance,
            accounted,
        });
    }
    funds.unlocked = funds.unlocked.checked_add(excess)?;
    FUNDS.save(deps.storage, &funds)?;
    Ok(Response::new()
        .add_attribute("action", "reconcile")
        .add_attribute("balance", balance.balance)
        .add_attribute("adopted", excess)
        .add_attribute("unlocked", funds.unlocked)
        .add_attribute("locked", funds.locked))
}
