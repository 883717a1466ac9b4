//! Funding through the ECT CW20 `Send` hook.

use cosmwasm_std::{from_json, DepsMut, MessageInfo, Response};
use cube_types::mining_round::ReceiveMsg;
use cw20::Cw20ReceiveMsg;

use crate::state::{CONFIG, FUNDS};
use crate::ContractError;

pub fn receive(
    deps: DepsMut,
    info: MessageInfo,
    wrapper: Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    // Only the ECT contract itself can call Receive: a forged Receive from an account or
    // another token has a different sender.
    if info.sender != config.reward_token {
        return Err(ContractError::WrongToken {
            sender: info.sender.to_string(),
        });
    }
    if wrapper.amount.is_zero() {
        return Err(ContractError::ZeroFunding {});
    }
    match from_json::<ReceiveMsg>(&wrapper.msg)? {
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
