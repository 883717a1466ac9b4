//! Governance over ECT as deployed by `tools/deploy`: cw4-stake (holders bond ECT for voting
//! weight), cw3-flex-multisig (proposals voted with that weight) and our timelock (owner and
//! wasm admin of everything; the multisig's proposals schedule operations on it, which execute
//! after its delay unless the vetoer stops them): message builders and typed clients.

use cosmwasm_std::{to_json_binary, CosmosMsg, Uint128, WasmMsg};
use serde::Serialize;
use upstream_contracts::multisig::ExecuteMsg as MultisigExecute;
use upstream_contracts::multisig::QueryMsg as MultisigQuery;
use upstream_contracts::stake::{
    ExecuteMsg as StakeExecute, QueryMsg as StakeQuery, ReceiveMsg as StakeReceive,
};
use upstream_contracts::{
    Expiration, MemberResponse, ProposalResponse, TotalWeightResponse, Vote, VoteResponse,
};

use cube_types::timelock::{
    ActivationResponse, ConfigResponse as TimelockConfig, ExecuteMsg as TimelockExecute,
    OperationResponse, OperationsResponse, QueryMsg as TimelockQuery,
};

use crate::{ChainError, TxResult};

/// A `WasmMsg::Execute` of `msg` on `contract` without funds: what a proposal carries.
pub fn wasm_execute<T: Serialize>(contract: &str, msg: &T) -> Result<CosmosMsg, ChainError> {
    Ok(CosmosMsg::Wasm(WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: to_json_binary(msg).map_err(|e| ChainError::Encode(format!("wasm msg: {e}")))?,
        funds: vec![],
    }))
}

/// The ECT `Send` that bonds `amount` in the stake contract `stake`.
pub fn bond_msg(stake: &str, amount: u128) -> Result<::cw20::Cw20ExecuteMsg, ChainError> {
    crate::cw20::send_msg(stake, amount, &StakeReceive::Bond {})
}

/// `Unbond { tokens }` (weight drops now, the ECT is claimable after the unbonding period).
pub fn unbond_msg(amount: u128) -> StakeExecute {
    StakeExecute::Unbond {
        tokens: Uint128::new(amount),
    }
}

/// `UpdateAdmin { admin }` of the stake contract (its hook admin).
pub fn update_stake_admin_msg(admin: Option<String>) -> StakeExecute {
    StakeExecute::UpdateAdmin { admin }
}

/// `AddHook { addr }` of the stake contract (its hook admin only).
pub fn add_stake_hook_msg(addr: &str) -> StakeExecute {
    StakeExecute::AddHook {
        addr: addr.to_string(),
    }
}

/// `Schedule { msgs, description }` of the timelock at `timelock`, as the message a multisig
/// proposal carries: every privileged action of a governed deployment is wrapped this way.
pub fn schedule_msg(
    timelock: &str,
    msgs: Vec<CosmosMsg>,
    description: &str,
) -> Result<CosmosMsg, ChainError> {
    wasm_execute(
        timelock,
        &TimelockExecute::Schedule {
            msgs,
            description: description.to_string(),
        },
    )
}

/// The operation id of a transaction that scheduled one (its `wasm.operation_id` attribute:
/// the multisig's `Execute` of a proposal carrying [`schedule_msg`]).
pub fn operation_id(tx: &TxResult) -> Result<u64, ChainError> {
    wasm_id(
        tx,
        "operation_id",
        "no wasm.operation_id attribute: the tx scheduled no timelock operation",
    )
}

/// The numeric `wasm.<key>` attribute of `tx`; `missing` is the error's reason without it.
fn wasm_id(tx: &TxResult, key: &str, missing: &str) -> Result<u64, ChainError> {
    tx.attribute("wasm", key)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ChainError::Decode {
            url: tx.hash.clone(),
            reason: missing.into(),
        })
}

/// `Propose { title, description, msgs, latest }`.
pub fn propose_msg(
    title: &str,
    description: &str,
    msgs: Vec<CosmosMsg>,
    latest: Option<Expiration>,
) -> MultisigExecute {
    MultisigExecute::Propose {
        title: title.to_string(),
        description: description.to_string(),
        msgs,
        latest,
    }
}

/// `Vote { proposal_id, vote }`.
pub fn vote_msg(proposal_id: u64, vote: Vote) -> MultisigExecute {
    MultisigExecute::Vote { proposal_id, vote }
}

/// `Execute { proposal_id }` (a passed proposal).
pub fn execute_proposal_msg(proposal_id: u64) -> MultisigExecute {
    MultisigExecute::Execute { proposal_id }
}

/// The proposal id of a `Propose` transaction (its `wasm.proposal_id` attribute).
pub fn proposal_id(tx: &TxResult) -> Result<u64, ChainError> {
    wasm_id(
        tx,
        "proposal_id",
        "no wasm.proposal_id attribute in the Propose tx",
    )
}

crate::contract::typed_client!(
    /// The cw4-stake contract through one chain client.
    StakeClient
);

impl StakeClient<'_> {
    /// `Member { addr, at_height }`: the voting weight, `None` for a non-member.
    pub async fn weight(
        self,
        addr: &str,
        at_height: Option<u64>,
    ) -> Result<Option<u64>, ChainError> {
        let r: MemberResponse = self
            .0
            .query(&StakeQuery::Member {
                addr: addr.to_string(),
                at_height,
            })
            .await?;
        Ok(r.weight)
    }

    /// `TotalWeight {}`.
    pub async fn total_weight(self) -> Result<u64, ChainError> {
        let r: TotalWeightResponse = self.0.query(&StakeQuery::TotalWeight {}).await?;
        Ok(r.weight)
    }

    /// `Admin {}`: the hook admin, `None` when there is none.
    pub async fn admin(self) -> Result<Option<String>, ChainError> {
        let r: AdminResponse = self.0.query(&StakeQuery::Admin {}).await?;
        Ok(r.admin)
    }

    /// Bonds `amount` of the ECT at `ect` (a CW20 `Send` signed by the client).
    pub async fn bond(self, ect: &str, amount: u128) -> Result<TxResult, ChainError> {
        self.chain()
            .execute(ect, &bond_msg(self.address(), amount)?)
            .await
    }

    /// `Unbond { tokens }`.
    pub async fn unbond(self, amount: u128) -> Result<TxResult, ChainError> {
        self.0.execute(&unbond_msg(amount)).await
    }

    /// `UpdateAdmin { admin }` (the current admin).
    pub async fn update_admin(self, admin: Option<String>) -> Result<TxResult, ChainError> {
        self.0.execute(&update_stake_admin_msg(admin)).await
    }

    /// `AddHook { addr }` (the current admin).
    pub async fn add_hook(self, addr: &str) -> Result<TxResult, ChainError> {
        self.0.execute(&add_stake_hook_msg(addr)).await
    }
}

/// The `Admin {}` answer of a cw4 contract (cw-controllers' `AdminResponse`).
#[derive(serde::Deserialize)]
struct AdminResponse {
    admin: Option<String>,
}

crate::contract::typed_client!(
    /// The cw3-flex-multisig contract through one chain client.
    MultisigClient
);

impl MultisigClient<'_> {
    /// `Proposal { proposal_id }`.
    pub async fn proposal(self, proposal_id: u64) -> Result<ProposalResponse, ChainError> {
        self.0.query(&MultisigQuery::Proposal { proposal_id }).await
    }

    /// `Vote { proposal_id, voter }`: the ballot of `voter`, if any.
    pub async fn ballot(self, proposal_id: u64, voter: &str) -> Result<VoteResponse, ChainError> {
        self.0
            .query(&MultisigQuery::Vote {
                proposal_id,
                voter: voter.to_string(),
            })
            .await
    }

    /// Proposes `msgs`; returns the proposal id and the tx.
    pub async fn propose(
        self,
        title: &str,
        description: &str,
        msgs: Vec<CosmosMsg>,
        latest: Option<Expiration>,
    ) -> Result<(u64, TxResult), ChainError> {
        let tx = self
            .0
            .execute(&propose_msg(title, description, msgs, latest))
            .await?;
        Ok((proposal_id(&tx)?, tx))
    }

    /// `Vote { proposal_id, vote }`.
    pub async fn vote(self, proposal_id: u64, vote: Vote) -> Result<TxResult, ChainError> {
        self.0.execute(&vote_msg(proposal_id, vote)).await
    }

    /// `Execute { proposal_id }`.
    pub async fn execute(self, proposal_id: u64) -> Result<TxResult, ChainError> {
        self.0.execute(&execute_proposal_msg(proposal_id)).await
    }
}

crate::contract::typed_client!(
    /// The timelock contract through one chain client.
    TimelockClient
);

impl TimelockClient<'_> {
    /// `Config {}`.
    pub async fn config(self) -> Result<TimelockConfig, ChainError> {
        self.0.query(&TimelockQuery::Config {}).await
    }

    /// `IsActive {}`: whether the group meets the activation threshold, with its figures.
    pub async fn is_active(self) -> Result<ActivationResponse, ChainError> {
        self.0.query(&TimelockQuery::IsActive {}).await
    }

    /// `Operation { id }`.
    pub async fn operation(self, id: u64) -> Result<OperationResponse, ChainError> {
        self.0.query(&TimelockQuery::Operation { id }).await
    }

    /// `Operations { start_after, limit }`: one page.
    pub async fn operations(
        self,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<OperationsResponse, ChainError> {
        self.0
            .query(&TimelockQuery::Operations { start_after, limit })
            .await
    }

    /// `Execute { id }` of a ready operation (anyone).
    pub async fn execute(self, id: u64) -> Result<TxResult, ChainError> {
        self.0.execute(&TimelockExecute::Execute { id }).await
    }

    /// `Veto { id }` (the vetoer).
    pub async fn veto(self, id: u64) -> Result<TxResult, ChainError> {
        self.0.execute(&TimelockExecute::Veto { id }).await
    }

    /// `AcceptOwnership { contracts }` (anyone): completes transfers to the timelock.
    pub async fn accept_ownership(self, contracts: &[&str]) -> Result<TxResult, ChainError> {
        self.0
            .execute(&TimelockExecute::AcceptOwnership {
                contracts: contracts.iter().map(|c| c.to_string()).collect(),
            })
            .await
    }
}
