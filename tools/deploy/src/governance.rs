//! Token-weighted governance at deploy time, in two phases.
//!
//! **Instantiation** (always, with `[governance]`): cw4-stake over ECT (holders bond ECT for
//! voting weight), cw3-flex-multisig over that group, and our timelock with the multisig as its
//! only proposer, the configured vetoer (a guardian council) and the activation threshold. The
//! timelock is added as the stake's member hook (it counts members with weight) before anyone
//! but the deployer could know the group exists, and becomes the stake's hook admin.
//!
//! **Handover** (only once the group is active: at least `min_total_weight` bonded over at least
//! `min_members` holders): both owned contracts are transferred to the timelock, which accepts
//! (its permissionless `AcceptOwnership`), and the wasm admin of every contract that holds funds
//! or governs (reward pool, mining round, stake, multisig, timelock) moves to the timelock; the
//! token contracts lose theirs (unless `token_admin = "timelock"`). Until then the deployer
//! keeps everything and the command says so; `deploy --handover` completes it later, and is
//! safe to repeat (each step checks the chain first).
//!
//! Either way the command ends with the table of every role and its holder, read back from the
//! chain, and a warning for each role the deploying key still holds.

use std::collections::BTreeMap;
use std::time::{Duration as StdDuration, Instant};

use chain_client::client::Instantiated;
use chain_client::governance::{StakeClient, TimelockClient};
use chain_client::mining_round::{self, MiningRoundClient};
use chain_client::reward_pool::{self, RewardPoolClient};
use chain_client::{ChainClient, ChainError, TokenUnit};
use cosmwasm_std::Uint128;
use cube_types::timelock::{
    Activation, ActivationResponse, InstantiateMsg as TimelockInstantiate, MAX_DELAY, MAX_GRACE,
    MIN_DELAY_FLOOR, MIN_GRACE,
};
use serde::{Deserialize, Serialize};
use upstream_contracts::multisig::{self, Executor};
use upstream_contracts::stake;
use upstream_contracts::{Duration, Threshold};

use crate::Deployment;

/// Default `min_delay`: two days.
pub const DEFAULT_MIN_DELAY: u64 = 2 * 86_400;
/// Default `grace_period`: fourteen days (Compound's).
pub const DEFAULT_GRACE: u64 = 14 * 86_400;
/// Seconds between two activation checks while the handover waits.
const POLL: u64 = 5;

/// The `[governance]` table of the parameter file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GovernanceParams {
    /// cw4-stake over ECT.
    pub stake: StakeParams,
    /// cw3-flex-multisig over the stake group.
    pub multisig: MultisigParams,
    /// The timelock in front of everything.
    #[serde(default)]
    pub timelock: TimelockParams,
    /// The activation threshold: the handover waits for it, and the timelock schedules and
    /// executes nothing below it.
    pub activation: Activation,
    /// Seconds the deploy command waits for the group to become active before it gives up the
    /// handover for now (default 0: check once). `deploy --handover` completes it later.
    #[serde(default)]
    pub handover_wait: u64,
    /// Wasm admin of the token contracts after the handover: `"none"` (default: nobody can
    /// migrate TOK or ECT) or `"timelock"`.
    #[serde(default)]
    pub token_admin: TokenAdmin,
}

/// Who administers (may migrate) TOK and ECT after the handover.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TokenAdmin {
    /// Nobody: the admin is cleared.
    #[default]
    None,
    /// The timelock, like every other contract.
    Timelock,
}

/// cw4-stake parameters; `denom` is always the ECT contract and the hook admin the timelock.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StakeParams {
    /// Smallest stake (ECT base units) that makes a member; at least `tokens_per_weight`, so
    /// every member has a weight of at least 1.
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
    /// `{ threshold_quorum = { threshold = "0.5", quorum = "0.4" } }`: a proposal needs votes
    /// from `quorum` of the total weight (at proposal time) and `threshold` of them yes. Only
    /// `threshold_quorum` with a quorum above zero is accepted.
    pub threshold: Threshold,
    /// Longest voting period: `{ time = seconds }` or `{ height = blocks }`.
    pub max_voting_period: Duration,
    /// Who may execute a passed proposal: `"member"`, `{ only = "<addr>" }`, or absent: anyone.
    #[serde(default)]
    pub executor: Option<Executor>,
}

/// Timelock parameters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimelockParams {
    /// Seconds between a passed proposal's scheduling and its execution (default two days).
    #[serde(default = "default_min_delay")]
    pub min_delay: u64,
    /// Seconds a ready operation stays executable (default fourteen days).
    #[serde(default = "default_grace")]
    pub grace_period: u64,
    /// Who may veto a scheduled operation (a guardian council); absent: nobody (warned).
    #[serde(default)]
    pub vetoer: Option<String>,
}

impl Default for TimelockParams {
    fn default() -> Self {
        TimelockParams {
            min_delay: DEFAULT_MIN_DELAY,
            grace_period: DEFAULT_GRACE,
            vetoer: None,
        }
    }
}

fn default_min_delay() -> u64 {
    DEFAULT_MIN_DELAY
}

fn default_grace() -> u64 {
    DEFAULT_GRACE
}

fn config(msg: String) -> ChainError {
    ChainError::Config(msg)
}

impl GovernanceParams {
    /// Checks the parameters before any transaction: every member weighs at least 1, the
    /// threshold needs a quorum, the activation threshold is not empty and the delays are in
    /// the timelock's bounds.
    pub fn validate(&self) -> Result<(), ChainError> {
        let s = &self.stake;
        if s.tokens_per_weight.is_zero() {
            return Err(config(
                "[governance.stake] tokens_per_weight must be > 0".into(),
            ));
        }
        if s.min_bond < s.tokens_per_weight {
            return Err(config(format!(
                "[governance.stake] min_bond {} must be at least tokens_per_weight {}: a member \
                 below one point of weight could still propose",
                s.min_bond, s.tokens_per_weight
            )));
        }
        match &self.multisig.threshold {
            Threshold::ThresholdQuorum { quorum, .. } if !quorum.is_zero() => {}
            other => {
                return Err(config(format!(
                    "[governance.multisig] threshold must be threshold_quorum with a quorum \
                     above zero, not {other:?}: without a quorum a proposal can pass on a \
                     sliver of the weight"
                )))
            }
        }
        let a = &self.activation;
        if a.min_total_weight == 0 || a.min_members == 0 {
            return Err(config(format!(
                "[governance.activation] min_total_weight ({}) and min_members ({}) must both \
                 be at least 1",
                a.min_total_weight, a.min_members
            )));
        }
        let t = &self.timelock;
        if !(MIN_DELAY_FLOOR..=MAX_DELAY).contains(&t.min_delay) {
            return Err(config(format!(
                "[governance.timelock] min_delay {} s must be {MIN_DELAY_FLOOR} to {MAX_DELAY}",
                t.min_delay
            )));
        }
        if !(MIN_GRACE..=MAX_GRACE).contains(&t.grace_period) {
            return Err(config(format!(
                "[governance.timelock] grace_period {} s must be {MIN_GRACE} to {MAX_GRACE}",
                t.grace_period
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
    /// cw3-flex-multisig address (also in `contracts.multisig`): the timelock's proposer.
    pub multisig: String,
    /// Timelock address (also in `contracts.timelock`): owner and wasm admin of everything
    /// once the handover is complete.
    pub timelock: String,
    /// Whether the handover is complete.
    pub handover_complete: bool,
    /// The group when the handover completed: total weight and members with weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_with: Option<ActivationResponse>,
    /// Every role and its holder, read back from the chain at the end of the command.
    #[serde(default)]
    pub roles: Vec<RoleRecord>,
}

/// One role of the deployment and who holds it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RoleRecord {
    /// `owner`, `pending owner`, `wasm admin`, `reporter`, `guardian`, `oracle`, `hook admin`,
    /// `proposer` or `vetoer`.
    pub role: String,
    /// The contract (its role in the deployment: `reward_pool`, `tok`, ...).
    pub of: String,
    /// The holder's address; none when nobody holds it.
    pub holder: Option<String>,
    /// The holder by name: a contract role (`timelock`), `deployer`, an account name of the
    /// accounts file, `none`, or the address.
    pub name: String,
}

impl RoleRecord {
    /// `owner of reward_pool`.
    pub fn label(&self) -> String {
        format!("{} of {}", self.role, self.of)
    }
}

/// Addresses the governance steps work on.
pub struct Targets<'a> {
    /// ECT contract.
    pub ect: &'a str,
    /// How ECT amounts are shown (symbol, decimals) in the log.
    pub ect_unit: &'a TokenUnit,
    /// cw4-stake code id.
    pub stake_code: u64,
    /// cw3-flex-multisig code id.
    pub multisig_code: u64,
    /// Timelock code id.
    pub timelock_code: u64,
}

/// Result of [`instantiate`].
pub struct Deployed {
    /// (role, code id, instantiate result) of cw4-stake, cw3-flex-multisig and the timelock.
    pub contracts: Vec<(String, u64, Instantiated)>,
    /// Summary for the deployment file (handover not done yet).
    pub record: GovernanceRecord,
    /// Height of the last governance tx.
    pub height: u64,
}

/// Instantiates cw4-stake, cw3-flex-multisig and the timelock, adds the timelock as the stake's
/// member hook and makes it the stake's hook admin. Ownership does not move here: see
/// [`handover`]. `label` builds contract labels from a role; `admin` is the wasm admin of the
/// new contracts (moved to the timelock at the handover).
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
    // Placeholders (`@guardian`) were resolved with the whole table.
    let vetoer = params.timelock.vetoer.clone();
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
    progress(&format!(
        "  stake at {stake_addr}: a member bonds at least {}, one point of weight per {}",
        targets.ect_unit.tokens(params.stake.min_bond.u128()),
        targets
            .ect_unit
            .tokens(params.stake.tokens_per_weight.u128())
    ));

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

    let timelock_msg = TimelockInstantiate {
        proposer: multisig_addr.clone(),
        vetoer,
        group: stake_addr.clone(),
        min_delay: params.timelock.min_delay,
        grace_period: params.timelock.grace_period,
        activation: params.activation.clone(),
    };
    progress(&format!(
        "instantiating timelock (delay {} s, proposer the multisig, vetoer {})",
        params.timelock.min_delay,
        timelock_msg.vetoer.as_deref().unwrap_or("none")
    ));
    let timelock_inst = client
        .instantiate(
            targets.timelock_code,
            &label("timelock"),
            &timelock_msg,
            admin,
        )
        .await?;
    let timelock_addr = timelock_inst.address.clone();
    height = height.max(timelock_inst.tx.height);
    progress(&format!("  timelock at {timelock_addr}"));

    // The member count starts at zero: the hook must be in place before the first bond.
    let stake = StakeClient::new(client, &stake_addr);
    progress("stake: timelock added as member hook, hook admin to the timelock");
    height = height.max(stake.add_hook(&timelock_addr).await?.height);
    height = height.max(
        stake
            .update_admin(Some(timelock_addr.clone()))
            .await?
            .height,
    );
    let total = stake.total_weight().await?;
    if total != 0 {
        return Err(ChainError::Config(format!(
            "someone bonded {total} weight before the timelock's hook was added: its member \
             count would be short; deploy again"
        )));
    }

    let record = GovernanceRecord {
        stake: stake_addr,
        multisig: multisig_addr,
        timelock: timelock_addr,
        handover_complete: false,
        activated_with: None,
        roles: vec![],
    };
    Ok(Deployed {
        contracts: vec![
            ("stake".into(), targets.stake_code, stake_inst),
            ("multisig".into(), targets.multisig_code, multisig_inst),
            ("timelock".into(), targets.timelock_code, timelock_inst),
        ],
        record,
        height,
    })
}

/// The activation figures in words.
pub fn describe_activation(a: &ActivationResponse) -> String {
    format!(
        "bonded weight {} of {} required, {} of {} holders with weight",
        a.total_weight, a.activation.min_total_weight, a.members, a.activation.min_members
    )
}

/// Waits up to `wait` for the group to become active; returns the last figures.
async fn await_activation(
    timelock: TimelockClient<'_>,
    wait: StdDuration,
    progress: &mut impl FnMut(&str),
) -> Result<ActivationResponse, ChainError> {
    let started = Instant::now();
    loop {
        let a = timelock.is_active().await?;
        if a.active {
            return Ok(a);
        }
        let left = wait.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Ok(a);
        }
        progress(&format!(
            "governance is not active yet ({}); the deployer keeps ownership until then \
             (waiting, {} s left)",
            describe_activation(&a),
            left.as_secs()
        ));
        tokio::time::sleep(left.min(StdDuration::from_secs(POLL))).await;
    }
}

/// The contracts the timelock comes to own: `(role, address)` of those deployed.
fn owned(deployment: &Deployment) -> Vec<(&'static str, String)> {
    ["reward_pool", "mining_round"]
        .into_iter()
        .filter_map(|role| {
            deployment
                .contracts
                .get(role)
                .map(|c| (role, c.address.clone()))
        })
        .collect()
}

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
        other => Err(config(format!(
            "governance owns reward_pool and mining_round, not {other:?}"
        ))),
    }
}

/// Step one of the two-step transfer of `role` to `new_owner` (by the current owner).
async fn transfer(
    client: &ChainClient,
    role: &str,
    addr: &str,
    new_owner: &str,
) -> Result<u64, ChainError> {
    let tx = match role {
        "reward_pool" => {
            client
                .execute(addr, &reward_pool::transfer_ownership_msg(new_owner))
                .await?
        }
        _ => {
            client
                .execute(addr, &mining_round::transfer_ownership_msg(new_owner))
                .await?
        }
    };
    Ok(tx.height)
}

/// Hands everything to the timelock once the group is active (waiting up to
/// `params.handover_wait` for it): ownership of the reward pool and the mining round, the wasm
/// admin of every contract that holds funds or governs, and clears (or hands over) the tokens'.
/// Returns `false`, with nothing moved, while the group is below the activation threshold.
/// Every step checks the chain first, so an interrupted handover can simply be run again.
pub async fn handover(
    client: &ChainClient,
    deployment: &mut Deployment,
    params: &GovernanceParams,
    mut progress: impl FnMut(&str),
) -> Result<bool, ChainError> {
    params.validate()?;
    let record = deployment
        .governance
        .clone()
        .ok_or_else(|| config("the deployment has no governance record".into()))?;
    let tl = record.timelock.clone();
    let timelock = TimelockClient::new(client, &tl);
    let deployer = client.address();

    let activation = await_activation(
        timelock,
        StdDuration::from_secs(params.handover_wait),
        &mut progress,
    )
    .await?;
    if !activation.active {
        progress(&format!(
            "handover refused: governance is not active ({}). The deployer still owns every \
             contract; once holders have bonded enough, run `deploy --handover`",
            describe_activation(&activation)
        ));
        return Ok(false);
    }
    progress(&format!(
        "governance is active ({}): handing over to the timelock",
        describe_activation(&activation)
    ));

    // Ownership: transfer (by the deployer) where not done, then the timelock accepts.
    let mut to_accept = Vec::new();
    for (role, addr) in owned(deployment) {
        let (owner, pending) = owners(client, role, &addr).await?;
        if owner == tl {
            progress(&format!("  {role} already owned by the timelock"));
            continue;
        }
        if owner != deployer {
            return Err(config(format!(
                "{role} at {addr} is owned by {owner}, neither the deployer nor the timelock: \
                 its owner must transfer it"
            )));
        }
        if pending.as_deref() != Some(tl.as_str()) {
            progress(&format!("{role}: TransferOwnership to the timelock"));
            let h = transfer(client, role, &addr, &tl).await?;
            deployment.height = deployment.height.max(h);
        }
        to_accept.push((role, addr));
    }
    if !to_accept.is_empty() {
        progress("timelock: AcceptOwnership");
        let addrs: Vec<&str> = to_accept.iter().map(|(_, a)| a.as_str()).collect();
        let tx = timelock.accept_ownership(&addrs).await?;
        deployment.height = deployment.height.max(tx.height);
    }
    for (role, addr) in owned(deployment) {
        let (owner, pending) = owners(client, role, &addr).await?;
        if owner != tl || pending.is_some() {
            return Err(config(format!(
                "{role} at {addr}: owner {owner} (pending {pending:?}) after the handover, \
                 expected the timelock"
            )));
        }
        progress(&format!("  {role} owned by the timelock"));
    }

    // Wasm admins: whoever may migrate a contract can take what it holds.
    let mut to_timelock = Vec::new();
    let mut to_clear = Vec::new();
    for (role, c) in &deployment.contracts {
        if client.contract_admin(&c.address).await?.as_deref() != Some(deployer.as_str()) {
            continue;
        }
        let token = role == "tok" || role == "ect";
        if token && params.token_admin == TokenAdmin::None {
            to_clear.push((role.clone(), c.address.clone()));
        } else {
            to_timelock.push((role.clone(), c.address.clone()));
        }
    }
    if !to_timelock.is_empty() {
        let roles: Vec<&str> = to_timelock.iter().map(|(r, _)| r.as_str()).collect();
        progress(&format!(
            "wasm admin of {} to the timelock",
            roles.join(", ")
        ));
        let addrs: Vec<&str> = to_timelock.iter().map(|(_, a)| a.as_str()).collect();
        let tx = client.update_admins(&addrs, &tl).await?;
        deployment.height = deployment.height.max(tx.height);
    }
    if !to_clear.is_empty() {
        let roles: Vec<&str> = to_clear.iter().map(|(r, _)| r.as_str()).collect();
        progress(&format!(
            "wasm admin of {} cleared: nobody can migrate the tokens",
            roles.join(", ")
        ));
        let addrs: Vec<&str> = to_clear.iter().map(|(_, a)| a.as_str()).collect();
        let tx = client.clear_admins(&addrs).await?;
        deployment.height = deployment.height.max(tx.height);
    }

    if let Some(g) = deployment.governance.as_mut() {
        g.handover_complete = true;
        g.activated_with = Some(activation);
    }
    Ok(true)
}

/// Every role of the deployment and its holder, read from the chain. `accounts` names
/// addresses (account name → address).
pub async fn roles(
    client: &ChainClient,
    deployment: &Deployment,
    accounts: &BTreeMap<String, String>,
) -> Result<Vec<RoleRecord>, ChainError> {
    let mut by_addr: BTreeMap<String, String> = accounts
        .iter()
        .map(|(name, addr)| (addr.clone(), name.clone()))
        .collect();
    for (role, c) in &deployment.contracts {
        by_addr.insert(c.address.clone(), role.clone());
    }
    by_addr.insert(deployment.deployer.clone(), "deployer".into());
    let record = |role: &str, of: &str, holder: Option<String>| RoleRecord {
        role: role.into(),
        of: of.into(),
        name: match &holder {
            None => "none".into(),
            Some(a) => by_addr.get(a).cloned().unwrap_or_else(|| a.clone()),
        },
        holder,
    };

    let mut out = Vec::new();
    for (role, addr) in owned(deployment) {
        let (owner, pending) = owners(client, role, &addr).await?;
        out.push(record("owner", role, Some(owner)));
        if pending.is_some() {
            out.push(record("pending owner", role, pending));
        }
    }
    for (role, c) in &deployment.contracts {
        out.push(record(
            "wasm admin",
            role,
            client.contract_admin(&c.address).await?,
        ));
    }
    if let Ok(pool) = deployment.address("reward_pool") {
        let pool = RewardPoolClient::new(client, pool);
        let mut start_after = None;
        // Bounded: 100 pages of 30.
        for _ in 0..100 {
            let page = pool.reporters(start_after.clone(), Some(30)).await?;
            let n = page.reporters.len();
            for r in page.reporters {
                start_after = Some(r.address.to_string());
                out.push(record(
                    "reporter",
                    "reward_pool",
                    Some(r.address.into_string()),
                ));
            }
            if n < 30 {
                break;
            }
        }
    }
    if let Ok(round) = deployment.address("mining_round") {
        let round = MiningRoundClient::new(client, round);
        let cfg = round.config().await?;
        out.push(record("guardian", "mining_round", cfg.guardian));
        for oracle in round.oracles().await?.oracles {
            out.push(record("oracle", "mining_round", Some(oracle)));
        }
    }
    if let Some(g) = &deployment.governance {
        let hook_admin = StakeClient::new(client, &g.stake).admin().await?;
        out.push(record("hook admin", "stake", hook_admin));
        let cfg = TimelockClient::new(client, &g.timelock).config().await?;
        out.push(record(
            "proposer",
            "timelock",
            Some(cfg.proposer.into_string()),
        ));
        out.push(record(
            "vetoer",
            "timelock",
            cfg.vetoer.map(|a| a.into_string()),
        ));
    }
    Ok(out)
}

/// What a single leaked key holding `role` can do at worst.
pub fn worst_case(role: &str) -> &'static str {
    match role {
        "owner" | "pending owner" => {
            "change every parameter, withdraw the unlocked funds and add reporters at once, with \
             no delay and no veto"
        }
        "wasm admin" => "migrate the contract to any code and take every token it holds",
        "reporter" => "record actions that pay the available pool to any address",
        "guardian" => "pause attestations and claims (only the owner unpauses)",
        "oracle" => "vote usage batches: one vote of the quorum",
        "hook admin" => "add member hooks to the group; a failing hook blocks every bond",
        "proposer" => "schedule operations, which still wait out the delay and can be vetoed",
        "vetoer" => "veto every operation: governance can be stalled, never captured",
        _ => "unknown role",
    }
}

/// One warning, in words, for every role the deployer still holds (and for a missing vetoer).
pub fn warnings(deployment: &Deployment, roles: &[RoleRecord]) -> Vec<String> {
    let mut out = Vec::new();
    let complete = deployment
        .governance
        .as_ref()
        .is_some_and(|g| g.handover_complete);
    if deployment.governance.is_some() && !complete {
        out.push(
            "the handover is not complete: the deploying key still owns the contracts and may \
             migrate them; run `deploy --handover` once the holders' group is active"
                .into(),
        );
    }
    for r in roles {
        if r.holder.as_deref() == Some(deployment.deployer.as_str()) {
            out.push(format!(
                "the deploying key is still {}: if it leaks, its holder can {}",
                r.label(),
                worst_case(&r.role)
            ));
        }
        if r.role == "vetoer" && r.holder.is_none() {
            out.push(
                "the timelock has no vetoer: a captured majority's operation cannot be \
                 stopped, only waited out"
                    .into(),
            );
        }
    }
    out
}

/// Prints the role table and the warnings through `progress`.
pub fn report(deployment: &Deployment, roles: &[RoleRecord], mut progress: impl FnMut(&str)) {
    progress("roles (read back from the chain):");
    for r in roles {
        progress(&format!("  {:<28} {}", r.label(), r.name));
    }
    for w in warnings(deployment, roles) {
        progress(&format!("WARNING: {w}"));
    }
}

/// Converts the `[governance]` TOML table (placeholders already resolved in `json`).
pub fn parse(json: serde_json::Value) -> Result<GovernanceParams, ChainError> {
    let params: GovernanceParams = serde_json::from_value(json)
        .map_err(|e| config(format!("[governance] is not valid: {e}")))?;
    params.validate()?;
    Ok(params)
}
