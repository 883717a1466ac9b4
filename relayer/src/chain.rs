//! The relayer's view of the mining-round contract, through `packages/chain-client`:
//!
//! * [`ChainDevices`]: the latest device registry (paginated `Devices` query) as a
//!   [`DeviceSource`] for ingest (which devices may send readings at all),
//! * [`RoundChain`] for [`MiningRound`]: everything the round worker reads **as of a round**
//!   (`RoundParams`, `DevicesAsOf`, `BatteryWhitelist { as_of_round }`, `Policy`), the
//!   per-batch state (`Batch`, `Vote`) it decides from, and the three transactions it sends
//!   (`SubmitUsage`, `VoteBatch`, `AcceptBatch`). See [`crate::round_worker`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chain_client::mining_round::MiningRoundClient;
use chain_client::{ChainClient, ChainError};
use cosmwasm_std::{Binary, HexBinary};
use cube_types::mining_round::{
    ConfigResponse, DeviceModel, RoundParamsResponse, RoundResponse, RoundStatus,
};
use thiserror::Error;

use crate::directory::{
    DeviceRecord, DeviceRecordExt as _, DeviceSource, DirectoryError, FetchFuture,
};
use crate::round_worker::{
    BatchView, ChainRoundStatus, PinnedInputs, RoundChain, RoundRules, TallyView, WorkerError,
};
use crate::store::StoreError;

/// Chain-side failures.
#[derive(Error, Debug)]
pub enum ChainSideError {
    /// Chain client error.
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    /// Store error.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A device record from chain is malformed.
    #[error("device {0}: public key is not 32 bytes")]
    BadDevice(String),
}

/// The mining-round contract through one chain client.
#[derive(Clone)]
pub struct MiningRound {
    /// Client (signs with the operator key).
    pub client: Arc<ChainClient>,
    /// Contract address.
    pub contract: String,
}

/// A device of a list query as the directory's record (the public key must be 32 bytes).
fn device_record(
    pubkey: &Binary,
    owner: String,
    model: DeviceModel,
    timezone: String,
) -> Result<DeviceRecord, ChainSideError> {
    let key: [u8; 32] = pubkey
        .as_slice()
        .try_into()
        .map_err(|_| ChainSideError::BadDevice(pubkey.to_base64()))?;
    Ok(DeviceRecord {
        pubkey: key,
        owner,
        model,
        timezone,
    })
}

impl MiningRound {
    /// The typed client of the contract (chain-client's one place for its messages).
    fn contract(&self) -> MiningRoundClient<'_> {
        MiningRoundClient::new(&self.client, &self.contract)
    }

    /// Every registered device (every page of `Devices`).
    pub async fn devices(&self) -> Result<Vec<DeviceRecord>, ChainSideError> {
        self.contract()
            .devices()
            .await?
            .into_iter()
            .map(|d| device_record(&d.pubkey, d.owner, d.model, d.timezone))
            .collect()
    }

    /// Contract parameters.
    pub async fn config(&self) -> Result<ConfigResponse, ChainSideError> {
        Ok(self.contract().config().await?)
    }

    /// One round.
    pub async fn round(&self, round: u64) -> Result<RoundResponse, ChainSideError> {
        Ok(self.contract().round(round).await?)
    }
}

/// [`DeviceSource`] over the chain registry.
pub struct ChainDevices(pub MiningRound);

impl DeviceSource for ChainDevices {
    fn fetch_all(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            self.0
                .devices()
                .await
                .map_err(|e| DirectoryError::Source(e.to_string()))
        })
    }
}

fn hash32(h: &HexBinary) -> Result<[u8; 32], WorkerError> {
    h.as_slice()
        .try_into()
        .map_err(|_| WorkerError::Chain(format!("batch hash {} is not 32 bytes", h.to_hex())))
}

fn chain_err(e: impl std::fmt::Display) -> WorkerError {
    WorkerError::Chain(e.to_string())
}

impl MiningRound {
    /// `RoundParams { round }`: the pinned rules of the round.
    pub async fn round_params(&self, round: u64) -> Result<RoundParamsResponse, ChainSideError> {
        Ok(self.contract().round_params(round).await?)
    }

    /// `DevicesAsOf { round }`, every page: the round's registry view.
    pub async fn devices_as_of(&self, round: u64) -> Result<Vec<DeviceRecord>, ChainSideError> {
        self.contract()
            .devices_as_of(round)
            .await?
            .into_iter()
            .map(|d| device_record(&d.pubkey, d.owner, d.model, d.timezone))
            .collect()
    }

    /// `BatteryWhitelist { as_of_round: Some(round) }`, every page.
    pub async fn whitelist_as_of(&self, round: u64) -> Result<HashSet<String>, ChainSideError> {
        Ok(self
            .contract()
            .battery_whitelist(Some(round))
            .await?
            .into_iter()
            .collect())
    }
}

impl RoundChain for MiningRound {
    fn oracle(&self) -> String {
        self.client.address()
    }

    async fn round_status(&self, round: u64) -> Result<ChainRoundStatus, WorkerError> {
        let r = self.round(round).await.map_err(chain_err)?;
        Ok(match r.summary.status {
            RoundStatus::Upcoming | RoundStatus::InProgress => ChainRoundStatus::Open,
            RoundStatus::Attesting => ChainRoundStatus::Attesting,
            RoundStatus::AttestationExpired => ChainRoundStatus::Expired,
            RoundStatus::Finalized | RoundStatus::Void | RoundStatus::Swept => {
                ChainRoundStatus::Closed
            }
        })
    }

    async fn round_rules(&self, round: u64) -> Result<RoundRules, WorkerError> {
        self.round_params(round).await.map_err(chain_err)
    }

    async fn pinned_inputs(&self, round: u64) -> Result<PinnedInputs, WorkerError> {
        let rules = self.round_rules(round).await?;
        let policy = self
            .contract()
            .policy(Some(rules.policy_version))
            .await
            .map_err(chain_err)?;
        let whitelist = self.whitelist_as_of(round).await.map_err(chain_err)?;
        let mut devices = HashMap::new();
        for d in self.devices_as_of(round).await.map_err(chain_err)? {
            match d.into_info() {
                Ok((k, info)) => {
                    devices.insert(k, info);
                }
                // Every relayer skips the same device (same chain data, same zone database).
                Err(e) => tracing::warn!(round, error = %e, "device skipped for aggregation"),
            }
        }
        Ok(PinnedInputs {
            rules,
            policy: policy.policy,
            whitelist,
            devices,
        })
    }

    async fn batch(&self, round: u64, batch_index: u32) -> Result<BatchView, WorkerError> {
        let b = self
            .contract()
            .batch(round, batch_index)
            .await
            .map_err(chain_err)?;
        let mut tallies = Vec::with_capacity(b.tallies.len());
        for t in &b.tallies {
            tallies.push(TallyView {
                hash: hash32(&t.batch_hash)?,
                votes: t.votes,
                submitted: t.submitted,
            });
        }
        Ok(BatchView {
            accepted: b.accepted_hash.as_ref().map(hash32).transpose()?,
            quorum: b.quorum,
            tallies,
        })
    }

    async fn my_vote(&self, round: u64, batch_index: u32) -> Result<Option<[u8; 32]>, WorkerError> {
        let v = self
            .contract()
            .vote(round, batch_index, &self.client.address())
            .await
            .map_err(chain_err)?;
        if !v.counts {
            return Ok(None);
        }
        v.batch_hash.as_ref().map(hash32).transpose()
    }

    async fn send(&self, msg: cube_types::mining_round::ExecuteMsg) -> Result<String, WorkerError> {
        let tx = self.contract().execute(&msg).await.map_err(chain_err)?;
        Ok(tx.hash)
    }
}

/// A typed answer as the JSON the HTTP API passes through.
fn as_json<T: serde::Serialize>(r: Result<T, ChainError>) -> Result<serde_json::Value, String> {
    r.map_err(|e| e.to_string())
        .and_then(|v| serde_json::to_value(v).map_err(|e| e.to_string()))
}

impl crate::server::ChainReader for MiningRound {
    fn leaderboard(
        &self,
        round: u64,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> crate::server::ReadFuture<'_> {
        Box::pin(
            async move { as_json(self.contract().leaderboard(round, start_after, limit).await) },
        )
    }

    fn score(&self, round: u64, owner: String) -> crate::server::ReadFuture<'_> {
        Box::pin(async move { as_json(self.contract().score(round, &owner).await) })
    }

    fn round(&self, round: u64) -> crate::server::ReadFuture<'_> {
        Box::pin(async move { as_json(self.contract().round(round).await) })
    }
}
