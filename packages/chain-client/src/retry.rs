//! Account-sequence recovery, in one place.
//!
//! The client caches the signer's account number and sequence. The cached sequence advances
//! only when CheckTx accepted a tx. When the node reports an account-sequence mismatch
//! (another process used the key, or a tx was evicted), the cache is dropped, the account is
//! refetched and the tx rebuilt and re-signed, at most `max_sequence_retries` times. Any other
//! failure leaves the cached sequence where it was.

use cosmrs::Any;

use crate::client::{ChainClient, TxOptions};
use crate::error::ChainError;

/// SDK error code of `ErrWrongSequence` in codespace `sdk`.
pub const CODE_WRONG_SEQUENCE: u32 = 32;

/// Whether `err` is the node telling us the tx's sequence is not the account's.
pub fn is_sequence_mismatch(err: &ChainError) -> bool {
    match err {
        ChainError::CheckTx {
            code, codespace, ..
        } => *code == CODE_WRONG_SEQUENCE && codespace == "sdk",
        ChainError::Simulation { message } => message.contains("account sequence mismatch"),
        _ => false,
    }
}

/// A tx accepted by CheckTx.
pub(crate) struct Broadcasted {
    pub hash: String,
    pub fee: u128,
    /// Rebuilds after a sequence mismatch before CheckTx accepted the tx.
    pub sequence_retries: u32,
}

/// Signs, simulates and broadcasts `msgs`, recovering from sequence mismatches.
pub(crate) async fn broadcast_with_recovery(
    client: &ChainClient,
    msgs: &[Any],
    opts: &TxOptions,
) -> Result<Broadcasted, ChainError> {
    let max = client.config().max_sequence_retries;
    let mut cache = client.account_cache().lock().await;
    let mut attempt: u32 = 0;
    loop {
        attempt = attempt.saturating_add(1);
        let account = match *cache {
            Some(account) => account,
            None => {
                let fetched = crate::query::account(client.rest(), &client.address()).await?;
                *cache = Some(fetched);
                fetched
            }
        };
        match client.sign_and_broadcast(account, msgs, opts).await {
            Ok(mut b) => {
                b.sequence_retries = attempt.saturating_sub(1);
                let next = account
                    .sequence
                    .checked_add(1)
                    .ok_or(ChainError::Overflow("sequence"))?;
                *cache = Some(crate::encode::AccountSeq {
                    number: account.number,
                    sequence: next,
                });
                return Ok(b);
            }
            Err(e) if is_sequence_mismatch(&e) => {
                *cache = None;
                if attempt > max {
                    let message = e.chain_message().unwrap_or_default().to_string();
                    return Err(ChainError::SequenceMismatch {
                        attempts: attempt,
                        message,
                    });
                }
            }
            Err(e @ (ChainError::Http { .. } | ChainError::Timeout { .. })) => {
                // Unknown whether the node saw the tx: refetch next time rather than guess.
                *cache = None;
                return Err(e);
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_sequence_mismatches() {
        let check = |code: u32, codespace: &str| ChainError::CheckTx {
            hash: "H".into(),
            codespace: codespace.into(),
            code,
            raw_log: "account sequence mismatch, expected 5, got 4: incorrect account sequence"
                .into(),
        };
        assert!(is_sequence_mismatch(&check(32, "sdk")));
        assert!(!is_sequence_mismatch(&check(32, "wasm")));
        assert!(!is_sequence_mismatch(&check(13, "sdk")));
        assert!(is_sequence_mismatch(&ChainError::Simulation {
            message: "rpc error: account sequence mismatch, expected 5, got 4".into()
        }));
        assert!(!is_sequence_mismatch(&ChainError::Simulation {
            message: "out of gas".into()
        }));
    }
}
