//! CW20 tokens (cw20-base: TOK and ECT): message builders and the typed client.

use ::cw20::{BalanceResponse, Cw20ExecuteMsg, Cw20QueryMsg, TokenInfoResponse};
use cosmwasm_std::{to_json_binary, Uint128};
use serde::Serialize;

use crate::{ChainError, TxResult};

/// `Send { contract, amount, msg: hook }`: moves `amount` to `contract` and calls its
/// `Receive` with `hook` (e.g. `Fund {}`, `AdFee { .. }`, cw4-stake's `Bond {}`).
pub fn send_msg<H: Serialize>(
    contract: &str,
    amount: u128,
    hook: &H,
) -> Result<Cw20ExecuteMsg, ChainError> {
    Ok(Cw20ExecuteMsg::Send {
        contract: contract.to_string(),
        amount: Uint128::new(amount),
        msg: to_json_binary(hook).map_err(|e| ChainError::Encode(format!("cw20 hook: {e}")))?,
    })
}

/// `Transfer { recipient, amount }`.
pub fn transfer_msg(recipient: &str, amount: u128) -> Cw20ExecuteMsg {
    Cw20ExecuteMsg::Transfer {
        recipient: recipient.to_string(),
        amount: Uint128::new(amount),
    }
}

crate::contract::typed_client!(
    /// One CW20 token contract through one chain client.
    Cw20Client
);

impl Cw20Client<'_> {
    /// Balance of `address`.
    pub async fn balance(self, address: &str) -> Result<u128, ChainError> {
        let r: BalanceResponse = self
            .0
            .query(&Cw20QueryMsg::Balance {
                address: address.to_string(),
            })
            .await?;
        Ok(r.balance.u128())
    }

    /// Name, symbol, decimals and supply.
    pub async fn token_info(self) -> Result<TokenInfoResponse, ChainError> {
        self.0.query(&Cw20QueryMsg::TokenInfo {}).await
    }

    /// Sends `amount` to `contract` with the `Receive` hook `hook`.
    pub async fn send<H: Serialize>(
        self,
        contract: &str,
        amount: u128,
        hook: &H,
    ) -> Result<TxResult, ChainError> {
        self.0.execute(&send_msg(contract, amount, hook)?).await
    }

    /// Transfers `amount` to `recipient`.
    pub async fn transfer(self, recipient: &str, amount: u128) -> Result<TxResult, ChainError> {
        self.0.execute(&transfer_msg(recipient, amount)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_carries_the_hook_as_json() {
        let msg = send_msg("wasm1pool", 5, &serde_json::json!({ "fund": {} })).unwrap();
        assert_eq!(
            serde_json::to_value(&msg).unwrap(),
            serde_json::json!({ "send": { "contract": "wasm1pool", "amount": "5", "msg": "eyJmdW5kIjp7fX0=" } })
        );
    }
}
