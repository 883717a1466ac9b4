//! The governance scenarios' shared steps: holders bond and vote, proposals schedule
//! operations on the timelock, operations wait out the delay.

use std::time::Duration;

use chain_client::governance::{operation_id, schedule_msg, wasm_execute};
use chain_client::mining_round::update_policy_msg;
use chain_client::{ChainError, TxResult};
use cosmwasm_std::CosmosMsg;
use cube_types::mining_round::{PolicyResponse, ScorePolicy};
use cube_types::timelock::{OperationResponse, OperationStatus};
use upstream_contracts::{Expiration, ProposalResponse, Vote, VoteResponse};

use crate::Env;

/// The parameter file of both scenarios.
pub const PARAMS: &str = "deploy/governance-localnet.toml";

/// Seconds waited beyond a boundary: the node serves a new block (`/blocks/latest`) before its
/// state is committed, so a query or simulation right after sees the previous block's time.
pub const SETTLE: u64 = 2;
/// 1 ECT in base units (6 decimals) = 1 point of weight (tokens_per_weight).
pub const ECT: u128 = 1_000_000;

pub struct Gov<'a> {
    pub env: &'a Env,
    pub stake: String,
    pub multisig: String,
    pub timelock: String,
    pub round: String,
}

impl<'a> Gov<'a> {
    pub fn new(env: &'a Env) -> Self {
        Gov {
            env,
            stake: env.contract("stake"),
            multisig: env.contract("multisig"),
            timelock: env.contract("timelock"),
            round: env.contract("mining_round"),
        }
    }

    /// `who` proposes, through the multisig, that the timelock schedules `msgs`.
    pub async fn propose_timelocked(
        &self,
        who: &str,
        title: &str,
        msgs: Vec<CosmosMsg>,
        latest: Option<Expiration>,
    ) -> (u64, TxResult) {
        let schedule = schedule_msg(&self.timelock, msgs, title).expect("schedule message");
        self.env
            .multisig(who)
            .propose(title, "scheduled on the timelock", vec![schedule], latest)
            .await
            .unwrap_or_else(|e| panic!("{who} proposes {title}: {e}"))
    }

    /// `who` executes the passed proposal, which schedules its operation; returns its id.
    pub async fn schedule(&self, who: &str, proposal_id: u64) -> (u64, TxResult) {
        let tx = self
            .env
            .multisig(who)
            .execute(proposal_id)
            .await
            .unwrap_or_else(|e| panic!("{who} executes proposal {proposal_id}: {e}"));
        (operation_id(&tx).expect("operation id"), tx)
    }

    /// Waits until operation `id` is ready (its eta, on the chain's clock).
    pub async fn wait_until_ready(&self, id: u64) {
        let eta = self.operation(id).await.eta;
        self.env
            .client("operator")
            .wait_for_block_time(eta.seconds() + SETTLE, Duration::from_secs(60))
            .await
            .expect("eta");
    }

    /// The timelock's `Operation { id }`.
    pub async fn operation(&self, id: u64) -> OperationResponse {
        self.env
            .timelock("operator")
            .operation(id)
            .await
            .expect("Operation")
    }

    pub async fn operation_status(&self, id: u64) -> OperationStatus {
        self.operation(id).await.status
    }

    pub async fn weight(&self, who: &str, at_height: Option<u64>) -> Option<u64> {
        self.env
            .stake("operator")
            .weight(&self.env.addr(who), at_height)
            .await
            .expect("Member")
    }

    pub async fn total_weight(&self) -> u64 {
        self.env
            .stake("operator")
            .total_weight()
            .await
            .expect("TotalWeight")
    }

    pub async fn proposal(&self, proposal_id: u64) -> ProposalResponse {
        self.env
            .multisig("operator")
            .proposal(proposal_id)
            .await
            .expect("Proposal")
    }

    pub async fn ballot(&self, proposal_id: u64, who: &str) -> VoteResponse {
        self.env
            .multisig("operator")
            .ballot(proposal_id, &self.env.addr(who))
            .await
            .expect("Vote")
    }

    pub async fn policy(&self) -> PolicyResponse {
        self.env
            .mining("operator")
            .policy(None)
            .await
            .expect("Policy")
    }

    pub async fn bond(&self, who: &str, amount: u128) -> TxResult {
        self.env
            .stake(who)
            .bond(&self.env.contract("ect"), amount)
            .await
            .unwrap_or_else(|e| panic!("{who} bonds: {e}"))
    }

    /// `who` proposes `UpdatePolicy { policy }` on the mining round; returns the proposal id.
    pub async fn propose_policy(
        &self,
        who: &str,
        policy: &ScorePolicy,
        latest: Option<Expiration>,
    ) -> (u64, TxResult) {
        let update = wasm_execute(&self.round, &update_policy_msg(policy.clone()))
            .expect("proposal message");
        self.propose_timelocked(
            who,
            &format!("peak multiplier {}", policy.peak_bp),
            vec![update],
            latest,
        )
        .await
    }

    pub async fn vote(
        &self,
        who: &str,
        proposal_id: u64,
        vote: Vote,
    ) -> Result<TxResult, ChainError> {
        self.env.multisig(who).vote(proposal_id, vote).await
    }
}
