//! Message encoding and SIGN_MODE_DIRECT signing.

use cosmrs::cosmwasm::{
    MsgClearAdmin, MsgExecuteContract, MsgInstantiateContract, MsgStoreCode, MsgUpdateAdmin,
};
use cosmrs::tx::{self, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{AccountId, Any, Coin};
use serde::Serialize;

use crate::error::ChainError;
use crate::key::Signer;

/// Account number and next sequence of a signer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountSeq {
    /// Account number (fixed once the account exists).
    pub number: u64,
    /// Sequence the next tx must carry.
    pub sequence: u64,
}

fn parse_addr(addr: &str) -> Result<AccountId, ChainError> {
    addr.parse::<AccountId>()
        .map_err(|e| ChainError::Encode(format!("address {addr:?}: {e}")))
}

fn to_json<T: Serialize>(msg: &T) -> Result<Vec<u8>, ChainError> {
    serde_json::to_vec(msg).map_err(|e| ChainError::Encode(format!("json: {e}")))
}

/// Converts `(amount, denom)` pairs into proto coins.
pub fn coins(funds: &[(u128, &str)]) -> Result<Vec<Coin>, ChainError> {
    funds
        .iter()
        .map(|(amount, denom)| {
            Ok(Coin {
                amount: *amount,
                denom: denom
                    .parse()
                    .map_err(|e| ChainError::Encode(format!("denom {denom:?}: {e}")))?,
            })
        })
        .collect()
}

/// `MsgStoreCode` uploading `wasm`.
pub fn store_code(sender: &AccountId, wasm: Vec<u8>) -> Result<Any, ChainError> {
    MsgStoreCode {
        sender: sender.clone(),
        wasm_byte_code: wasm,
        instantiate_permission: None,
    }
    .to_any()
    .map_err(|e| ChainError::Encode(e.to_string()))
}

/// `MsgInstantiateContract` of `code_id` with the JSON `msg`.
pub fn instantiate<T: Serialize>(
    sender: &AccountId,
    admin: Option<&str>,
    code_id: u64,
    label: &str,
    msg: &T,
    funds: &[(u128, &str)],
) -> Result<Any, ChainError> {
    MsgInstantiateContract {
        sender: sender.clone(),
        admin: admin.map(parse_addr).transpose()?,
        code_id,
        label: Some(label.to_string()),
        msg: to_json(msg)?,
        funds: coins(funds)?,
    }
    .to_any()
    .map_err(|e| ChainError::Encode(e.to_string()))
}

/// `MsgExecuteContract` of `contract` with the JSON `msg` and attached `funds`.
pub fn execute<T: Serialize>(
    sender: &AccountId,
    contract: &str,
    msg: &T,
    funds: &[(u128, &str)],
) -> Result<Any, ChainError> {
    MsgExecuteContract {
        sender: sender.clone(),
        contract: parse_addr(contract)?,
        msg: to_json(msg)?,
        funds: coins(funds)?,
    }
    .to_any()
    .map_err(|e| ChainError::Encode(e.to_string()))
}

/// `MsgUpdateAdmin`: `new_admin` becomes the wasm (migration) admin of `contract`.
pub fn update_admin(
    sender: &AccountId,
    contract: &str,
    new_admin: &str,
) -> Result<Any, ChainError> {
    MsgUpdateAdmin {
        sender: sender.clone(),
        new_admin: parse_addr(new_admin)?,
        contract: parse_addr(contract)?,
    }
    .to_any()
    .map_err(|e| ChainError::Encode(e.to_string()))
}

/// `MsgClearAdmin`: `contract` has no wasm admin any more, so nobody can ever migrate it.
pub fn clear_admin(sender: &AccountId, contract: &str) -> Result<Any, ChainError> {
    MsgClearAdmin {
        sender: sender.clone(),
        contract: parse_addr(contract)?,
    }
    .to_any()
    .map_err(|e| ChainError::Encode(e.to_string()))
}

/// Builds and signs (SIGN_MODE_DIRECT) a tx carrying `msgs`, returning its raw bytes.
pub fn sign_tx(
    signer: &Signer,
    chain_id: &str,
    account: AccountSeq,
    msgs: Vec<Any>,
    memo: &str,
    fee: Fee,
) -> Result<Vec<u8>, ChainError> {
    let chain_id = chain_id
        .parse::<cosmrs::tendermint::chain::Id>()
        .map_err(|e| ChainError::Config(format!("chain id: {e}")))?;
    let body = tx::Body::new(msgs, memo, 0u32);
    let auth_info =
        SignerInfo::single_direct(Some(signer.public_key()), account.sequence).auth_info(fee);
    let sign_doc = SignDoc::new(&body, &auth_info, &chain_id, account.number)
        .map_err(|e| ChainError::Encode(format!("sign doc: {e}")))?;
    let raw = sign_doc
        .sign(signer.signing_key())
        .map_err(|e| ChainError::Encode(format!("sign: {e}")))?;
    raw.to_bytes()
        .map_err(|e| ChainError::Encode(format!("tx bytes: {e}")))
}

/// Upper-case hex SHA-256 of the tx bytes: the hash CometBFT indexes it under.
pub fn tx_hash(tx_bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode_upper(Sha256::digest(tx_bytes))
}
