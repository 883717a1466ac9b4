//! Read-only views of the deployed contracts, shared by the live summary and the proof test.

use chain_client::deploy::Deployment;
use chain_client::{ChainClient, ChainError};
use cube_types::{mining_round as mr, reward_pool as rp};

use crate::DemoError;

/// Addresses of the demo's contracts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contracts {
    /// TOK (cw20-base).
    pub tok: String,
    /// ECT (cw20-base).
    pub ect: String,
    /// reward-pool.
    pub pool: String,
    /// mining-round.
    pub round: String,
}

impl Contracts {
    /// From a deployment record.
    pub fn from_deployment(d: &Deployment) -> Result<Self, DemoError> {
        Ok(Contracts {
            tok: d.address("tok")?.to_string(),
            ect: d.address("ect")?.to_string(),
            pool: d.address("reward_pool")?.to_string(),
            round: d.address("mining_round")?.to_string(),
        })
    }
}

/// Queries through one client.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    /// Any client of the chain (queries are not signed).
    pub client: &'a ChainClient,
    /// The contracts.
    pub contracts: &'a Contracts,
}

/// Page size used when the demo walks paginated queries.
pub const PAGE: u32 = 30;

impl View<'_> {
    /// CW20 balance of `address` in `token`.
    pub async fn cw20_balance(&self, token: &str, address: &str) -> Result<u128, ChainError> {
        let r: cw20::BalanceResponse = self
            .client
            .query(
                token,
                &cw20::Cw20QueryMsg::Balance {
                    address: address.to_string(),
                },
            )
            .await?;
        Ok(r.balance.u128())
    }

    /// Pool state.
    pub async fn pool_state(&self) -> Result<rp::StateResponse, ChainError> {
        self.client
            .query(&self.contracts.pool, &rp::QueryMsg::State {})
            .await
    }

    /// Pool config.
    pub async fn pool_config(&self) -> Result<rp::ConfigResponse, ChainError> {
        self.client
            .query(&self.contracts.pool, &rp::QueryMsg::Config {})
            .await
    }

    /// TOK credited to `user` and not claimed.
    pub async fn pool_claimable(&self, user: &str) -> Result<u128, ChainError> {
        let r: rp::ClaimableResponse = self
            .client
            .query(
                &self.contracts.pool,
                &rp::QueryMsg::Claimable {
                    user: user.to_string(),
                },
            )
            .await?;
        Ok(r.amount.u128())
    }

    /// Every halving and reversal, oldest first (walks the pages, at most `max_pages`).
    pub async fn rate_history(&self, max_pages: u32) -> Result<Vec<rp::RateEvent>, ChainError> {
        let mut events = Vec::new();
        let mut start_after = None;
        for _ in 0..max_pages {
            let page: rp::RateHistoryResponse = self
                .client
                .query(
                    &self.contracts.pool,
                    &rp::QueryMsg::RateHistory {
                        start_after,
                        limit: Some(PAGE),
                    },
                )
                .await?;
            let n = page.events.len();
            start_after = page.events.last().map(|e| e.seq);
            events.extend(page.events);
            if n < PAGE as usize {
                break;
            }
        }
        Ok(events)
    }

    /// Mining-round config.
    pub async fn round_config(&self) -> Result<mr::ConfigResponse, ChainError> {
        self.client
            .query(&self.contracts.round, &mr::QueryMsg::Config {})
            .await
    }

    /// The round in progress.
    pub async fn current_round(&self) -> Result<mr::CurrentRoundResponse, ChainError> {
        self.client
            .query(&self.contracts.round, &mr::QueryMsg::CurrentRound {})
            .await
    }

    /// One round in full.
    pub async fn round(&self, round: u64) -> Result<mr::RoundResponse, ChainError> {
        self.client
            .query(&self.contracts.round, &mr::QueryMsg::Round { round })
            .await
    }

    /// One batch of `round`: accepted hash and tallies.
    pub async fn batch(
        &self,
        round: u64,
        batch_index: u32,
    ) -> Result<mr::BatchResponse, ChainError> {
        self.client
            .query(
                &self.contracts.round,
                &mr::QueryMsg::Batch { round, batch_index },
            )
            .await
    }

    /// Top `limit` owners of `round`.
    pub async fn leaderboard(
        &self,
        round: u64,
        limit: u32,
    ) -> Result<mr::LeaderboardResponse, ChainError> {
        self.client
            .query(
                &self.contracts.round,
                &mr::QueryMsg::Leaderboard {
                    round,
                    start_after: None,
                    limit: Some(limit),
                },
            )
            .await
    }

    /// `owner`'s score in `round` with its multipliers.
    pub async fn score(&self, round: u64, owner: &str) -> Result<mr::ScoreResponse, ChainError> {
        self.client
            .query(
                &self.contracts.round,
                &mr::QueryMsg::Score {
                    round,
                    owner: owner.to_string(),
                },
            )
            .await
    }

    /// ECT `owner` could claim now.
    pub async fn round_claimable(&self, owner: &str) -> Result<mr::ClaimableResponse, ChainError> {
        self.client
            .query(
                &self.contracts.round,
                &mr::QueryMsg::Claimable {
                    owner: owner.to_string(),
                    start_after: None,
                    limit: None,
                },
            )
            .await
    }

    /// `owner`'s registered devices (first page).
    pub async fn devices_of(&self, owner: &str) -> Result<mr::OwnerDevicesResponse, ChainError> {
        self.client
            .query(
                &self.contracts.round,
                &mr::QueryMsg::DevicesByOwner {
                    owner: owner.to_string(),
                    start_after: None,
                    limit: Some(PAGE),
                },
            )
            .await
    }

    /// ECT held by the mining round.
    pub async fn round_funds(&self) -> Result<mr::FundsResponse, ChainError> {
        self.client
            .query(&self.contracts.round, &mr::QueryMsg::Funds {})
            .await
    }
}
