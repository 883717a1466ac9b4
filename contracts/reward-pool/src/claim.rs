//! `Claim`: pay out a user's credited rewards through the CW20 token.

use cosmwasm_std::{to_json_binary, DepsMut, MessageInfo, Response, WasmMsg};
use cw20::Cw20ExecuteMsg;

use crate::error::ContractError;
use crate::helpers::validate_addr;
use crate::state::{CLAIMABLE, CONFIG, POOL};

pub fn claim(
    deps: DepsMut,
    info: MessageInfo,
    recipient: Option<String>,
) -> Result<Response, ContractError> {
    let recipient_addr = match recipient {
        Some(recipient) => validate_addr(deps.api, &recipient)?,
        None => info.sender.clone(),
    };
    let amount = CLAIMABLE
        .may_load(deps.storage, &info.sender)?
        .unwrap_or_default();
    if amount.is_zero() {
        return Err(ContractError::NothingToClaim);
    }
    CLAIMABLE.remove(deps.storage, &info.sender);
    let mut pool = POOL.load(deps.storage)?;
    pool.owed = pool.owed.checked_sub(amount)?;
    pool.total_claimed = pool.total_claimed.checked_add(amount)?;
    POOL.save(deps.storage, &pool)?;

    let config = CONFIG.load(deps.storage)?;
    let transfer = WasmMsg::Execute {
        contract_addr: config.token.to_string(),
        msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
            recipient: recipient_addr.to_string(),
            amount,
        })?,
        funds: vec![],
    };
    Ok(Response::new()
        .add_message(transfer)
        .add_attribute("action", "claim")
        .add_attribute("user", info.sender)
        .add_attribute("recipient", recipient_addr)
        .add_attribute("amount", amount)
        .add_attribute("owed", pool.owed))
}
