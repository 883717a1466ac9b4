//! Token-weighted governance at deploy time: cw4-stake over ECT (holders bond ECT for voting
//! weight), cw3-flex-multisig over that group, and the multisig as owner of the reward pool and
//! the mining round through their two-step ownership transfer.
//!
//! Bootstrap (the chicken-and-egg of "the multisig's own proposal accepts the ownership"): at
//! deploy time nobody but the deployer holds ECT, so the deployer bonds `bootstrap_bond` ECT
//! itself, is the group's only member, and its proposal to call `AcceptOwnership` on both
//! contracts passes on its own vote. By default (`bootstrap_unbond = true`) the deployer then
//! unbonds that ECT again (claimable with cw4-stake `Claim {}` after the unbonding period), so
//! once the deploy command returns the deployer has no voting weight and no owner rights:
//! holders bond ECT and govern from there.

use chain_client::client::Instantiated;
use chain_client::governance::{wasm_execute, MultisigClient, StakeClient};
use chain_client::mining_round::{self, MiningRoundClient};
use chain_client::reward_pool::{self, RewardPoolClient};
use chain_client::{ChainClient, ChainError};
use cosmwasm_std::{CosmosMsg, Uint128};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use upstream_contracts::multisig::{self, Executor};
use upstream_contracts::stake;
use upstream_contracts::{Duration, Threshold};

/// The `[governance]` table of the parameter file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GovernanceParams {
    /// cw4-stake over ECT.
    pub stake: StakeParams,
    /// cw3-flex-multisig over the stake group.
    pub multisig: MultisigParams,
    /// ECT (base units) the deployer bonds so that its proposal accepting the ownership passes
    /// on its own vote; at least `min_bond` and `tokens_per_weight` (weight ≥ 1).
    pub bootstrap_bond: Uint128,
    /// Unbond `bootstrap_bond` again once the multisig owns both contracts (default true), so
    /// the deployer keeps no voting weight.
    #[serde(default = "default_true")]
    pub bootstrap_unbond: bool,
    /// Move the wasm (migration) admin of every contract the deployer administers to the
    /// multisig at the end (default true). Only applies when the parameter file's `admin` is
    /// the deployer.
    #[serde(default = "default_true")]
    pub wasm_admin_to_multisig: bool,
}

fn default_true() -> bool {
    true
}

/// cw4-stake parameters; `denom` is always the ECT contract and the hook admin the multisig.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StakeParams {
    /// Smallest stake (ECT base units) that makes a member; below it the weight is none.
    pub min_bond: Uint128,
    /// ECT base units per point of voting weight (weight = floor(stake / tokens_per_weight)).
    pub tokens_per_weight: Uint128,
    /// How long unbonded ECT waits before `Claim {}` returns it: `{ time = seconds }` or
    /// `{ height = blocks }`. Weight drops at `Unbond`, not at the claim.
    pub unbonding_period: Duration,
}

/// cw3-flex-multisig parameters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MultisigParams {
    /// e.g. `{ threshold_quorum = { threshold = "0.5", quorum = "0.4" } }`: a proposal needs
    /// votes from `quorum` of the total weight (at proposal time) and `threshold` of them yes.
    pub threshold: Threshold,
    /// Longest voting period: `{ time = seconds }` or `{ height = blocks }`.
    pub max_voting_period: Duration,
    /// Who may execute a passed proposal: `"member"`, `{ only = "<addr>" }`, or absent: anyone.
    #[serde(default)]
    pub executor: Option<Executor>,
}

impl GovernanceParams {
    /// Checks the bootstrap bond gives the deployer a voting weight of at least 1.
    pub fn validate(&self) -> Result<(), ChainError> {
        let s = &self.stake;
        if s.tokens_per_weight.is_zero() {
            return Err(ChainError::Config(
                "[governance.stake] tokens_per_weight must be > 0".into(),
            ));
        }
        if self.bootstrap_bond < s.min_bond || self.bootstrap_bond < s.tokens_per_weight {
            return Err(ChainError::Config(format!(
                "[governance] bootstrap_bond {} must be at least min_bond {} and \
                 tokens_per_weight {} so the deployer can pass the ownership proposal",
                self.bootstrap_bond, s.min_bond, s.tokens_per_weight
            )));
        }
        Ok(())
    }
}

/// What the deploy command did for governance, in `deployments/<chain-id>.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GovernanceRecord {
    /// cw4-stake address (also in `contracts.stake`).
    pub stake: String,
    /// cw3-flex-multisig address (also in `contracts.multisig`): owner of the reward pool and
    /// the mining round, and hook admin of the stake.
    pub multisig: String,
    /// Id of the multisig proposal that accepted the ownership of both contracts.
    pub acceptance_proposal_id: u64,
    /// Tx hash of that proposal's execution.
    pub acceptance_tx: String,
    /// ECT the deployer bonded for the bootstrap.
    pub bootstrap_bond: Uint128,
    /// Whether the deployer unbonded it again (then its weight is none).
    pub bootstrap_unbonded: bool,
    /// Contracts whose wasm (migration) admin was moved from the deployer to the multisig.
    #[serde(default)]
    pub wasm_admin_moved: Vec<String>,
}

/// Addresses the governance steps work on.
pub struct Targets<'a> {
    /// ECT contract.
    pub ect: &'a str,
    /// cw4-stake code id.
    pub stake_code: u64,
    /// cw3-flex-multisig code id.
    pub multisig_code: u64,
    /// Contracts to be owned by the multisig (role, address): reward pool, mining round.
    pub owned: Vec<(String, String)>,
}

/// The ownership view both of our contracts answer in their `Config` query.
/// Owner and pending owner of the owned contract `role` at `addr`.
async fn owners(
    client: &ChainClient,
    role: &str,
    addr: &str,
) -> Result<(String, Option<String>), ChainError> {
    match role {
        "reward_pool" => {
            let c = RewardPoolClient::new(client, addr).config().await?;
            Ok((
                c.owner.into_string(),
                c.pending_owner.map(|a| a.into_string()),
            ))
        }
        "mining_round" => {
            let c = MiningRoundClient::new(client, addr).config().await?;
            Ok((c.owner, c.pending_owner))
        }
        other => Err(unknown_role(other)),
    }
}

fn unknown_role(role: &str) -> ChainError {
    ChainError::Config(format!(
        "governance can own reward_pool and mining_round, not {role:?}"
    ))
}

/// `TransferOwnership { new_owner }` and `AcceptOwnership {}` of the owned contract `role`.
fn ownership_msgs(
    role: &str,
    addr: &str,
    new_owner: &str,
) -> Result<(Value, CosmosMsg), ChainError> {
    let encode = |e: serde_json::Error| ChainError::Encode(e.to_string());
    match role {
        "reward_pool" => Ok((
            serde_json::to_value(reward_pool::transfer_ownership_msg(new_owner)).map_err(encode)?,
            wasm_execute(addr, &reward_pool::accept_ownership_msg())?,
        )),
        "mining_round" => Ok((
            serde_json::to_value(mining_round::transfer_ownership_msg(new_owner))
                .map_err(encode)?,
            wasm_execute(addr, &mining_round::accept_ownership_msg())?,
        )),
        other => Err(unknown_role(other)),
    }
}

/// Checks that the contract `addr` is owned by `expected` with no transfer pending to anyone but
/// `pending`.
async fn check_owner(
    client: &ChainClient,
    role: &str,
    addr: &str,
    expected: &str,
    pending: Option<&str>,
) -> Result<(), ChainError> {
    let (owner, pending_owner) = owners(client, role, addr).await?;
    if owner != expected || pending_owner.as_deref() != pending {
        return Err(ChainError::Config(format!(
            "{role} at {addr}: owner {owner} (pending {pending_owner:?}), expected {expected} (pending {pending:?})"
        )));
    }
    Ok(())
}

/// Result of [`instantiate`]: the two new contracts (role, label suffix, instantiate result)
/// and what was done.
pub struct Deployed {
    /// (role, code id, instantiate result) of cw4-stake then cw3-flex-multisig.
    pub contracts: Vec<(String, u64, Instantiated)>,
    /// Summary for the deployment file.
    pub record: GovernanceRecord,
    /// Heights of every governance tx.
    pub height: u64,
}

/// Instantiates cw4-stake and cw3-flex-multisig, bonds the bootstrap ECT, transfers the
/// ownership of every `targets.owned` contract to the multisig, proposes and executes its
/// acceptance, hands the stake's hook admin to the multisig and (by default) unbonds again.
/// `label` builds contract labels from a role; `admin` is the wasm admin of the new contracts.
pub async fn instantiate(
    client: &ChainClient,
    params: &GovernanceParams,
    targets: &Targets<'_>,
    label: impl Fn(&str) -> String,
    admin: Option<&str>,
    mut progress: impl FnMut(&str),
) -> Result<Deployed, ChainError> {
    params.validate()?;
    let deployer = client.address();
    for (role, addr) in &targets.owned {
        check_owner(client, role, addr, &deployer, None).await?;
    }
    let mut height = 0u64;

    let stake_msg = stake::InstantiateMsg {
        denom: cw20::Denom::Cw20(cosmwasm_std::Addr::unchecked(targets.ect)),
        tokens_per_weight: params.stake.tokens_per_weight,
        min_bond: params.stake.min_bond,
        unbonding_period: params.stake.unbonding_period,
        admin: Some(deployer.clone()),
    };
    progress("instantiating stake (cw4-stake over ECT)");
    let stake_inst = client
        .instantiate(targets.stake_code, &label("stake"), &stake_msg, admin)
        .await?;
    let stake_addr = stake_inst.address.clone();
    height = height.max(stake_inst.tx.height);
    progress(&format!("  stake at {stake_addr}"));

    // Bond before the multisig exists: a group with weight, and the deployer a member.
    progress(&format!(
        "bootstrap: deployer bonds {} ECT",
        params.bootstrap_bond
    ));
    let stake = StakeClient::new(client, &stake_addr);
    let bond = stake
        .bond(targets.ect, params.bootstrap_bond.u128())
        .await?;
    height = height.max(bond.height);

    let multisig_msg = multisig::InstantiateMsg {
        group_addr: stake_addr.clone(),
        threshold: params.multisig.threshold.clone(),
        max_voting_period: params.multisig.max_voting_period,
        executor: params.multisig.executor.clone(),
        proposal_deposit: None,
    };
    progress("instantiating multisig (cw3-flex-multisig over the stake group)");
    let multisig_inst = client
        .instantiate(
            targets.multisig_code,
            &label("multisig"),
            &multisig_msg,
            admin,
        )
        .await?;
    let multisig_addr = multisig_inst.address.clone();
    height = height.max(multisig_inst.tx.height);
    progress(&format!("  multisig at {multisig_addr}"));

    // Step one of the two-step transfer, by the deployer.
    let mut accept_msgs: Vec<CosmosMsg> = Vec::new();
    for (role, addr) in &targets.owned {
        progress(&format!("{role}: TransferOwnership to the multisig"));
        let (transfer, accept) = ownership_msgs(role, addr, &multisig_addr)?;
        height = height.max(client.execute(addr, &transfer).await?.height);
        check_owner(client, role, addr, &deployer, Some(&multisig_addr)).await?;
        accept_msgs.push(accept);
    }

    // Step two, by the multisig: the deployer's proposal passes on its own (only) vote.
    progress("multisig: proposing AcceptOwnership of every contract");
    let multisig = MultisigClient::new(client, &multisig_addr);
    let description = format!(
        "Completes the two-step ownership transfer of {} to this multisig.",
        targets
            .owned
            .iter()
            .map(|(r, _)| r.as_str())
            .collect::<Vec<_>>()
            .join(" and ")
    );
    let (proposal_id, tx) = multisig
        .propose(
            "Accept ownership of the reward contracts",
            &description,
            accept_msgs,
            None,
        )
        .await?;
    height = height.max(tx.height);
    progress(&format!("multisig: executing proposal {proposal_id}"));
    let exec = multisig.execute(proposal_id).await?;
    height = height.max(exec.height);
    for (role, addr) in &targets.owned {
        check_owner(client, role, addr, &multisig_addr, None).await?;
        progress(&format!("  {role} owned by the multisig"));
    }

    progress("stake: hook admin to the multisig");
    let tx = stake.update_admin(Some(multisig_addr.clone())).await?;
    height = height.max(tx.height);

    if params.bootstrap_unbond {
        progress("bootstrap: deployer unbonds (claimable after the unbonding period)");
        let tx = stake.unbond(params.bootstrap_bond.u128()).await?;
        height = height.max(tx.height);
    }

    let record = GovernanceRecord {
        stake: stake_addr,
        multisig: multisig_addr,
        acceptance_proposal_id: proposal_id,
        acceptance_tx: exec.hash,
        bootstrap_bond: params.bootstrap_bond,
        bootstrap_unbonded: params.bootstrap_unbond,
        wasm_admin_moved: vec![],
    };
    Ok(Deployed {
        contracts: vec![
            ("stake".into(), targets.stake_code, stake_inst),
            ("multisig".into(), targets.multisig_code, multisig_inst),
        ],
        record,
        height,
    })
}

/// Converts the `[governance]` TOML table (placeholders already resolved in `json`).
pub fn parse(json: Value) -> Result<GovernanceParams, ChainError> {
    let params: GovernanceParams = serde_json::from_value(json)
        .map_err(|e| ChainError::Config(format!("[governance] is not valid: {e}")))?;
    params.validate()?;
    Ok(params)
}
