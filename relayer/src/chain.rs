//! The relayer's view of the mining-round contract, through `packages/chain-client`:
//!
//! * [`ChainDevices`]: the device registry (paginated `Devices` query) as a
//!   [`DeviceSource`],
//! * [`round_inputs`]: what aggregation of a round needs from chain (round timing, policy
//!   version in force at the round's start and that policy, battery whitelist, batch size),
//! * [`submit_round`]: crash-safe submission of a planned round.
//!
//! # Submission protocol (per batch, re-run from the top after any crash)
//!
//! 1. Read `Round { round }`. Finalized / void / swept → nothing to do.
//! 2. Batch already accepted → record `skip` (`confirmed`); if the accepted hash differs from
//!    ours, log it loudly (our data diverges from the quorum).
//! 3. A local record in state `confirmed` → done.
//! 4. Some oracle already submitted our hash (a tally with votes ≥ 1) → `VoteBatch` (hash
//!    only); otherwise `SubmitUsage` (the data).
//! 5. The intent is written to the `submissions` table **before** the transaction; the record
//!    becomes `confirmed` with the tx hash after inclusion.
//!
//! A crash between broadcast and the `confirmed` record leaves an `intent`; on restart the
//! batch is re-examined. If our vote was included, resending fails with the contract's
//! `AlreadyVoted` (or `BatchAlreadyAccepted`) error, which is recorded as `confirmed`: the
//! contract refuses a second vote by the same oracle, so no vote is ever doubled, and an
//! `intent` is never dropped, so no vote is lost.

use std::collections::HashSet;
use std::sync::Arc;

use chain_client::{ChainClient, ChainError};
use cosmwasm_std::{Binary, HexBinary};
use cube_scoring::ScorePolicy;
use cube_types::mining_round::{
    BatchResponse, BatteryWhitelistResponse, ConfigResponse, DevicesResponse, ExecuteMsg,
    PolicyResponse, QueryMsg, RoundResponse, RoundStatus,
};
use thiserror::Error;

use crate::aggregate::RoundPlan;
use crate::directory::{DeviceRecord, DeviceSource, DirectoryError, FetchFuture};
use crate::ingest::RoundClock;
use crate::store::{ReadingStore, RoundProgress, StoreError, SubmissionRecord};

/// Page size of paginated queries (the contract's maximum).
pub const PAGE: u32 = 100;
/// Upper bound on pages read in one pass (100 × 1000 = 100k devices).
pub const MAX_PAGES: usize = 1_000;

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
    /// Too many pages.
    #[error("query {0} returned more than {MAX_PAGES} pages")]
    TooManyPages(&'static str),
}

/// The mining-round contract through one chain client.
#[derive(Clone)]
pub struct MiningRound {
    /// Client (signs with the operator key).
    pub client: Arc<ChainClient>,
    /// Contract address.
    pub contract: String,
}

impl MiningRound {
    async fn query<R: serde::de::DeserializeOwned>(&self, q: &QueryMsg) -> Result<R, ChainError> {
        self.client.query(&self.contract, q).await
    }

    /// Every registered device.
    pub async fn devices(&self) -> Result<Vec<DeviceRecord>, ChainSideError> {
        let mut out = Vec::new();
        let mut start_after: Option<Binary> = None;
        for _ in 0..MAX_PAGES {
            let page: DevicesResponse = self
                .query(&QueryMsg::Devices {
                    start_after: start_after.clone(),
                    limit: Some(PAGE),
                })
                .await?;
            let n = page.devices.len();
            for d in page.devices {
                let pubkey: [u8; 32] = d
                    .pubkey
                    .as_slice()
                    .try_into()
                    .map_err(|_| ChainSideError::BadDevice(d.pubkey.to_base64()))?;
                start_after = Some(d.pubkey.clone());
                out.push(DeviceRecord {
                    pubkey,
                    owner: d.owner,
                    model: d.model,
                    timezone: d.timezone,
                });
            }
            if n < usize::try_from(PAGE).unwrap_or(usize::MAX) {
                return Ok(out);
            }
        }
        Err(ChainSideError::TooManyPages("devices"))
    }

    /// The battery whitelist.
    pub async fn whitelist(&self) -> Result<HashSet<String>, ChainSideError> {
        let mut out = HashSet::new();
        let mut start_after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page: BatteryWhitelistResponse = self
                .query(&QueryMsg::BatteryWhitelist {
                    as_of_round: None,
                    start_after: start_after.clone(),
                    limit: Some(PAGE),
                })
                .await?;
            let n = page.batteries.len();
            start_after = page.batteries.last().cloned();
            out.extend(page.batteries);
            if n < usize::try_from(PAGE).unwrap_or(usize::MAX) {
                return Ok(out);
            }
        }
        Err(ChainSideError::TooManyPages("battery_whitelist"))
    }

    /// Contract parameters.
    pub async fn config(&self) -> Result<ConfigResponse, ChainSideError> {
        Ok(self.query(&QueryMsg::Config {}).await?)
    }

    /// One round.
    pub async fn round(&self, round: u64) -> Result<RoundResponse, ChainSideError> {
        Ok(self.query(&QueryMsg::Round { round }).await?)
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

/// What aggregating one round needs from chain.
#[derive(Debug, Clone)]
pub struct RoundInputs {
    /// Round timing from the contract config (grace from the relayer config).
    pub clock: RoundClock,
    /// Policy version scoring the round.
    pub policy_version: u32,
    /// That policy.
    pub policy: ScorePolicy,
    /// Battery whitelist.
    pub whitelist: HashSet<String>,
    /// Entries per batch.
    pub max_entries_per_batch: usize,
    /// Status of the round on chain.
    pub status: RoundStatus,
}

/// Reads the inputs of `round` from chain.
pub async fn round_inputs(
    chain: &MiningRound,
    round: u64,
    grace: u64,
) -> Result<RoundInputs, ChainSideError> {
    let cfg = chain.config().await?;
    let r = chain.round(round).await?;
    let policy: PolicyResponse = chain
        .query(&QueryMsg::Policy {
            version: Some(r.summary.policy_version),
        })
        .await?;
    Ok(RoundInputs {
        clock: RoundClock {
            genesis: cfg.genesis_time,
            duration: cfg.round_duration,
            grace,
        },
        policy_version: r.summary.policy_version,
        policy: policy.policy,
        whitelist: chain.whitelist().await?,
        max_entries_per_batch: usize::try_from(cfg.max_entries_per_batch).unwrap_or(1),
        status: r.summary.status,
    })
}

/// Result of one pass over a round's batches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitSummary {
    /// Batches sent with data.
    pub submitted: u32,
    /// Batches voted by hash.
    pub voted: u32,
    /// Batches already accepted (nothing sent).
    pub skipped: u32,
    /// Batches whose accepted hash differs from ours.
    pub diverged: u32,
    /// Whether the round is finalized on chain after this pass.
    pub finalized: bool,
}

fn is_done_error(e: &ChainError) -> bool {
    e.chain_message()
        .map(|m| m.contains("already voted") || m.contains("already accepted"))
        .unwrap_or(false)
}

/// Submits (or votes, or skips) every batch of `plan`; see the module documentation.
pub async fn submit_round(
    chain: &MiningRound,
    store: &dyn ReadingStore,
    plan: &RoundPlan,
) -> Result<SubmitSummary, ChainSideError> {
    let mut summary = SubmitSummary::default();
    let batch_count = u32::try_from(plan.batches.len()).unwrap_or(u32::MAX);
    store.put_round_progress(&RoundProgress {
        round: plan.round,
        policy_version: u64::from(plan.policy_version),
        batch_count,
        status: "submitting".into(),
    })?;
    let local = store.submissions(plan.round)?;
    for batch in &plan.batches {
        let span = tracing::info_span!("submit", round = plan.round, batch = batch.index);
        let _g = span.enter();
        let state = chain.round(plan.round).await?;
        if matches!(
            state.summary.status,
            RoundStatus::Finalized | RoundStatus::Void | RoundStatus::Swept
        ) {
            break;
        }
        let mut record = SubmissionRecord {
            round: plan.round,
            batch_index: batch.index,
            batch_hash: batch.hash,
            kind: String::new(),
            state: "intent".into(),
            tx_hash: None,
        };
        let chain_batch: BatchResponse = chain
            .query(&QueryMsg::Batch {
                round: plan.round,
                batch_index: batch.index,
            })
            .await?;
        if let Some(acc) = &chain_batch.accepted_hash {
            if acc.as_slice() != batch.hash.as_slice() {
                summary.diverged += 1;
                tracing::error!(
                    ours = %hex::encode(batch.hash),
                    accepted = %acc.to_hex(),
                    "accepted batch differs from ours"
                );
            }
            summary.skipped += 1;
            record.kind = "skip".into();
            record.state = "confirmed".into();
            store.put_submission(&record)?;
            continue;
        }
        if local.iter().any(|r| {
            r.batch_index == batch.index && r.batch_hash == batch.hash && r.state == "confirmed"
        }) {
            continue;
        }
        let hash_known = chain_batch
            .tallies
            .iter()
            .any(|t| t.batch_hash.as_slice() == batch.hash.as_slice() && t.submitted);
        let msg = if hash_known {
            record.kind = "vote".into();
            ExecuteMsg::VoteBatch {
                round: plan.round,
                batch_index: batch.index,
                batch_count,
                policy_version: plan.policy_version,
                batch_hash: HexBinary::from(batch.hash.to_vec()),
            }
        } else {
            record.kind = "data".into();
            ExecuteMsg::SubmitUsage {
                round: plan.round,
                batch_index: batch.index,
                batch_count,
                policy_version: plan.policy_version,
                entries: batch.entries.clone(),
            }
        };
        store.put_submission(&record)?;
        match chain.client.execute(&chain.contract, &msg).await {
            Ok(tx) => {
                tracing::info!(kind = %record.kind, tx = %tx.hash, gas_used = tx.gas_used, "batch sent");
                record.state = "confirmed".into();
                record.tx_hash = Some(tx.hash);
                store.put_submission(&record)?;
                if hash_known {
                    summary.voted += 1;
                } else {
                    summary.submitted += 1;
                }
            }
            Err(e) if is_done_error(&e) => {
                tracing::info!(error = %e, "vote already on chain (earlier attempt)");
                record.state = "confirmed".into();
                store.put_submission(&record)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let after = chain.round(plan.round).await?;
    summary.finalized = after.summary.status == RoundStatus::Finalized;
    if summary.finalized {
        store.put_round_progress(&RoundProgress {
            round: plan.round,
            policy_version: u64::from(plan.policy_version),
            batch_count,
            status: "done".into(),
        })?;
    }
    Ok(summary)
}

impl crate::server::ChainReader for MiningRound {
    fn leaderboard(
        &self,
        round: u64,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> crate::server::ReadFuture<'_> {
        Box::pin(async move {
            self.query::<serde_json::Value>(&QueryMsg::Leaderboard {
                round,
                start_after,
                limit,
            })
            .await
            .map_err(|e| e.to_string())
        })
    }

    fn score(&self, round: u64, owner: String) -> crate::server::ReadFuture<'_> {
        Box::pin(async move {
            self.query::<serde_json::Value>(&QueryMsg::Score { round, owner })
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn round(&self, round: u64) -> crate::server::ReadFuture<'_> {
        Box::pin(async move {
            self.query::<serde_json::Value>(&QueryMsg::Round { round })
                .await
                .map_err(|e| e.to_string())
        })
    }
}
