//! [`ChainClient`]: one signer on one chain.

use std::time::Duration;

use cosmrs::Any;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Mutex;

use crate::config::ChainConfig;
use crate::encode::{self, AccountSeq};
use crate::error::ChainError;
use crate::key::Signer;
use crate::query::{self, BlockInfo};
use crate::rest::Rest;
use crate::retry::{self, Broadcasted};
use crate::tx::TxResult;
use crate::{fee, gas, simulate, wait};

/// Per-transaction options.
#[derive(Clone, Debug, Default)]
pub struct TxOptions {
    /// Fixed gas limit; `None` simulates and applies the configured adjustment.
    pub gas_limit: Option<u64>,
    /// Fixed fee amount in the gas price denom; `None` pays ceil(gas limit × gas price).
    pub fee_amount: Option<u128>,
    /// Tx memo.
    pub memo: String,
}

/// A code upload.
#[derive(Clone, Debug)]
pub struct StoredCode {
    /// Code id assigned by the chain.
    pub code_id: u64,
    /// Hex SHA-256 of the wasm, as reported by the chain.
    pub checksum: String,
    /// The tx.
    pub tx: TxResult,
}

/// A contract instantiation.
#[derive(Clone, Debug)]
pub struct Instantiated {
    /// The new contract's address.
    pub address: String,
    /// The tx.
    pub tx: TxResult,
}

/// Signs and sends transactions for one key; safe to share between tasks (txs of one client
/// are serialized up to CheckTx, inclusion is awaited concurrently).
pub struct ChainClient {
    config: ChainConfig,
    rest: Rest,
    signer: Signer,
    account: Mutex<Option<AccountSeq>>,
}

impl std::fmt::Debug for ChainClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainClient")
            .field("chain_id", &self.config.chain_id)
            .field("rest", &self.config.rest_url)
            .field("signer", &self.signer)
            .finish()
    }
}

impl ChainClient {
    /// A client signing with `signer`; validates `config`.
    pub fn new(config: ChainConfig, signer: Signer) -> Result<Self, ChainError> {
        config.validate()?;
        let rest = Rest::new(&config.rest_url, config.http_timeout)?;
        Ok(ChainClient {
            config,
            rest,
            signer,
            account: Mutex::new(None),
        })
    }

    /// A client for the same chain signing with another key.
    pub fn with_signer(&self, signer: Signer) -> Result<Self, ChainError> {
        Self::new(self.config.clone(), signer)
    }

    /// The signer's bech32 address.
    pub fn address(&self) -> String {
        self.signer.address().to_string()
    }

    /// The configuration in use.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The REST transport (for queries not wrapped here).
    pub fn rest(&self) -> &Rest {
        &self.rest
    }

    pub(crate) fn account_cache(&self) -> &Mutex<Option<AccountSeq>> {
        &self.account
    }

    /// The cached account number and next sequence (`None` until the first tx or after a
    /// failure that made it unknown).
    pub async fn cached_account(&self) -> Option<AccountSeq> {
        *self.account.lock().await
    }

    /// Overwrites the cached account state: for tests that provoke a sequence mismatch, and for
    /// operators who know the key was used elsewhere (`None` forces a refetch).
    pub async fn set_cached_account(&self, account: Option<AccountSeq>) {
        *self.account.lock().await = account;
    }

    /// Checks that the node serves the configured chain id.
    pub async fn check_chain_id(&self) -> Result<(), ChainError> {
        let actual = query::chain_id(&self.rest).await?;
        if actual != self.config.chain_id {
            return Err(ChainError::Config(format!(
                "node at {} serves chain {actual:?}, configured {:?}",
                self.config.rest_url, self.config.chain_id
            )));
        }
        Ok(())
    }

    /// One attempt: simulate (unless a gas limit is given), sign with the fee, broadcast sync.
    pub(crate) async fn sign_and_broadcast(
        &self,
        account: AccountSeq,
        msgs: &[Any],
        opts: &TxOptions,
    ) -> Result<Broadcasted, ChainError> {
        let gas_limit = match opts.gas_limit {
            Some(limit) => limit,
            None => {
                let sim_tx = encode::sign_tx(
                    &self.signer,
                    &self.config.chain_id,
                    account,
                    msgs.to_vec(),
                    &opts.memo,
                    fee::simulation_fee(),
                )?;
                let used = simulate::simulate(&self.rest, &sim_tx).await?;
                gas::gas_limit(used, self.config.gas_adjustment)?
            }
        };
        let (fee, amount) = match opts.fee_amount {
            None => fee::fee(gas_limit, &self.config.gas_price)?,
            Some(amount) => {
                let price = crate::config::GasPrice {
                    numerator: 0,
                    scale: 0,
                    denom: self.config.gas_price.denom.clone(),
                };
                let (mut fee, _) = fee::fee(gas_limit, &price)?;
                fee.amount = encode::coins(&[(amount, price.denom.as_str())])?;
                (fee, amount)
            }
        };
        let tx = encode::sign_tx(
            &self.signer,
            &self.config.chain_id,
            account,
            msgs.to_vec(),
            &opts.memo,
            fee,
        )?;
        let hash = crate::broadcast::broadcast_sync(&self.rest, &tx).await?;
        Ok(Broadcasted {
            hash,
            fee: amount,
            sequence_retries: 0,
        })
    }

    /// Sends `msgs` in one tx and waits for inclusion. `Err(ChainError::TxFailed)` when the
    /// tx was included but failed; contract errors before broadcast come back as
    /// `ChainError::Simulation`.
    pub async fn send(&self, msgs: Vec<Any>, opts: &TxOptions) -> Result<TxResult, ChainError> {
        let b = retry::broadcast_with_recovery(self, &msgs, opts).await?;
        let r = match wait::wait_for_tx(
            &self.rest,
            &b.hash,
            self.config.tx_timeout,
            self.config.poll_interval,
        )
        .await
        {
            Ok(r) => r,
            Err(e) => {
                // Accepted by CheckTx but not seen in a block (evicted, or the node is stuck):
                // the cached sequence may be ahead of the chain, so refetch before the next tx.
                self.set_cached_account(None).await;
                return Err(e);
            }
        };
        if r.code != 0 {
            return Err(r.into_failure());
        }
        Ok(TxResult {
            hash: r.txhash,
            height: r.height,
            gas_wanted: r.gas_wanted,
            gas_used: r.gas_used,
            fee: b.fee,
            events: r.events,
            timestamp: r.timestamp,
            sequence_retries: b.sequence_retries,
            data: r.data,
        })
    }

    /// Uploads `wasm`.
    pub async fn store_code(&self, wasm: Vec<u8>) -> Result<StoredCode, ChainError> {
        let msg = encode::store_code(self.signer.address(), wasm)?;
        let tx = self.send(vec![msg], &TxOptions::default()).await?;
        let code_id = tx
            .attribute("store_code", "code_id")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| ChainError::Decode {
                url: tx.hash.clone(),
                reason: "no store_code.code_id event".into(),
            })?;
        let checksum = tx
            .attribute("store_code", "code_checksum")
            .unwrap_or_default()
            .to_string();
        Ok(StoredCode {
            code_id,
            checksum,
            tx,
        })
    }

    /// Instantiates `code_id` with `msg`; `admin` may migrate it later.
    pub async fn instantiate<T: Serialize>(
        &self,
        code_id: u64,
        label: &str,
        msg: &T,
        admin: Option<&str>,
    ) -> Result<Instantiated, ChainError> {
        let any = encode::instantiate(self.signer.address(), admin, code_id, label, msg, &[])?;
        let tx = self.send(vec![any], &TxOptions::default()).await?;
        let address = tx
            .attribute("instantiate", "_contract_address")
            .ok_or_else(|| ChainError::Decode {
                url: tx.hash.clone(),
                reason: "no instantiate._contract_address event".into(),
            })?
            .to_string();
        Ok(Instantiated { address, tx })
    }

    /// Executes `msg` on `contract`.
    pub async fn execute<T: Serialize>(
        &self,
        contract: &str,
        msg: &T,
    ) -> Result<TxResult, ChainError> {
        self.execute_with(contract, msg, &[], &TxOptions::default())
            .await
    }

    /// Executes `msg` on `contract` with native `funds` and explicit options.
    pub async fn execute_with<T: Serialize>(
        &self,
        contract: &str,
        msg: &T,
        funds: &[(u128, &str)],
        opts: &TxOptions,
    ) -> Result<TxResult, ChainError> {
        let any = encode::execute(self.signer.address(), contract, msg, funds)?;
        self.send(vec![any], opts).await
    }

    /// Moves the wasm (migration) admin of every contract in `contracts` to `new_admin` in one
    /// tx; the signer must be their current admin. The gas limit is fixed (100,000 + 50,000 per
    /// contract): simulation under-estimates this message's store reads on wasmd v0.70.
    pub async fn update_admins(
        &self,
        contracts: &[&str],
        new_admin: &str,
    ) -> Result<TxResult, ChainError> {
        let msgs = contracts
            .iter()
            .map(|c| encode::update_admin(self.signer.address(), c, new_admin))
            .collect::<Result<Vec<_>, _>>()?;
        self.send_admin_msgs(msgs).await
    }

    /// Clears the wasm (migration) admin of every contract in `contracts` in one tx; the
    /// signer must be their current admin. Fixed gas limit, as [`Self::update_admins`].
    pub async fn clear_admins(&self, contracts: &[&str]) -> Result<TxResult, ChainError> {
        let msgs = contracts
            .iter()
            .map(|c| encode::clear_admin(self.signer.address(), c))
            .collect::<Result<Vec<_>, _>>()?;
        self.send_admin_msgs(msgs).await
    }

    /// Sends wasm admin messages (one per contract) with the fixed gas limit of
    /// [`Self::update_admins`].
    async fn send_admin_msgs(&self, msgs: Vec<Any>) -> Result<TxResult, ChainError> {
        let per = u64::try_from(msgs.len()).unwrap_or(u64::MAX);
        let opts = TxOptions {
            gas_limit: Some(per.saturating_mul(50_000).saturating_add(100_000)),
            ..TxOptions::default()
        };
        self.send(msgs, &opts).await
    }

    /// The wasm (migration) admin of `contract`; `None` when it has none.
    pub async fn contract_admin(&self, contract: &str) -> Result<Option<String>, ChainError> {
        let info: serde_json::Value = self
            .rest
            .get(&format!("/cosmwasm/wasm/v1/contract/{contract}"))
            .await?;
        Ok(info["contract_info"]["admin"]
            .as_str()
            .filter(|a| !a.is_empty())
            .map(str::to_string))
    }

    /// Smart query against `contract`.
    pub async fn query<Q: Serialize, R: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &Q,
    ) -> Result<R, ChainError> {
        query::smart(&self.rest, contract, msg).await
    }

    /// Bank balance of `address`.
    pub async fn balance(&self, address: &str, denom: &str) -> Result<u128, ChainError> {
        query::balance(&self.rest, address, denom).await
    }

    /// The latest block.
    pub async fn latest_block(&self) -> Result<BlockInfo, ChainError> {
        query::latest_block(&self.rest).await
    }

    /// Waits until a block with time ≥ `unix_seconds` exists.
    pub async fn wait_for_block_time(
        &self,
        unix_seconds: u64,
        timeout: Duration,
    ) -> Result<BlockInfo, ChainError> {
        wait::wait_for_block_time(&self.rest, unix_seconds, timeout, self.config.poll_interval)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>(_: &T) {}

    /// The relayer shares one client between tasks and spawns its futures.
    #[test]
    fn client_and_its_futures_can_cross_tasks() {
        assert_send_sync::<ChainClient>();
        let config = ChainConfig::new("http://127.0.0.1:1", "c-1", "0.025stake".parse().unwrap());
        let mnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                        abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                        abandon abandon abandon abandon abandon art";
        let client =
            ChainClient::new(config, Signer::from_mnemonic(mnemonic, "wasm").unwrap()).unwrap();
        assert_eq!(
            client.address(),
            "wasm1r5v5srda7xfth3hn2s26txvrcrntldju3hkw75"
        );
        let msg = serde_json::json!({});
        let fut = client.execute("wasm1contract", &msg);
        assert_send(&fut);
        drop(fut);
    }

    #[tokio::test]
    async fn an_unreachable_node_is_a_transport_error_and_leaves_no_cached_sequence() {
        // Port 1 on loopback refuses connections: a real failed HTTP request, no mock.
        let config = ChainConfig::new("http://127.0.0.1:1", "c-1", "0.025stake".parse().unwrap());
        let mnemonic =
            "special sign fit simple patrol salute grocery chicken wheat radar tonight ceiling";
        let client =
            ChainClient::new(config, Signer::from_mnemonic(mnemonic, "wasm").unwrap()).unwrap();
        let err = client
            .execute(&client.address(), &serde_json::json!({}))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ChainError::Http { url, .. } if url.ends_with("/cosmos/auth/v1beta1/accounts/wasm1jhg0e7s6gn44tfc5k37kr04sznyhedtc0ln3el")),
            "{err}"
        );
        assert_eq!(client.cached_account().await, None);
    }
}
