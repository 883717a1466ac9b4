//! Read-only views of the deployed contracts, shared by the live summary and the proof test,
//! and the units their token amounts are shown in.

use chain_client::cw20::Cw20Client;
use chain_client::mining_round::MiningRoundClient;
use chain_client::reward_pool::RewardPoolClient;
use chain_client::{ChainClient, TokenUnit};
use deploy::{DeployParams, Deployment};

use crate::claims::Token;
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

/// How the demo shows amounts of its two tokens: symbol and decimals of each, in whole tokens
/// (`505.112474 ECT`, not the base units `505112474`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Units {
    /// TOK (reward pool).
    pub tok: TokenUnit,
    /// ECT (mining round).
    pub ect: TokenUnit,
}

impl Units {
    /// From the `[tok]` and `[ect]` tables of the deployment parameters.
    pub fn from_params(params: &DeployParams) -> Result<Self, DemoError> {
        Ok(Units {
            tok: params.token_unit("tok")?,
            ect: params.token_unit("ect")?,
        })
    }

    /// The unit of `token`.
    pub fn of(&self, token: Token) -> &TokenUnit {
        match token {
            Token::Tok => &self.tok,
            Token::Ect => &self.ect,
        }
    }
}

/// The typed clients of the demo's contracts through one chain client.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    /// Any client of the chain (queries are not signed).
    pub client: &'a ChainClient,
    /// The contracts.
    pub contracts: &'a Contracts,
}

/// Page size used when the demo walks paginated queries.
pub const PAGE: u32 = 30;

impl<'a> View<'a> {
    /// The reward pool.
    pub fn pool(&self) -> RewardPoolClient<'a> {
        RewardPoolClient::new(self.client, &self.contracts.pool)
    }

    /// The mining round.
    pub fn mining(&self) -> MiningRoundClient<'a> {
        MiningRoundClient::new(self.client, &self.contracts.round)
    }

    /// TOK.
    pub fn tok(&self) -> Cw20Client<'a> {
        Cw20Client::new(self.client, &self.contracts.tok)
    }

    /// ECT.
    pub fn ect(&self) -> Cw20Client<'a> {
        Cw20Client::new(self.client, &self.contracts.ect)
    }
}
