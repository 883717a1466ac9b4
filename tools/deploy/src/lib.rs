//! Deployment: store every wasm artifact, instantiate TOK and ECT (cw20-base) and our
//! contracts from a TOML parameter file, and describe the result in
//! `deployments/<chain-id>.json`.
//!
//! Parameter files (see `deploy/localnet.toml`) hold the instantiate messages of each contract
//! as TOML tables. String values starting with `@` are placeholders resolved at deploy time:
//! `@deployer` (the signing address), `@tok` / `@ect` (the token contracts just instantiated)
//! and `@<name>` for any account of an optional accounts file (the `accounts.json` written
//! by `scripts/localnet.sh`). Each table is checked against the contract's typed
//! `InstantiateMsg` before anything is sent.
//!
//! An optional `[governance]` table (see [`crate::governance`] and
//! `deploy/governance-localnet.toml`) also deploys cw4-stake over ECT, cw3-flex-multisig over
//! that group and our timelock in front of it, and, once the holders' group meets the
//! activation threshold, hands ownership and wasm admin of everything to the timelock.
//!
//! Which wasm files exist is said once, in `deploy/artifacts.txt` ([`artifacts`]); the
//! `deploy` binary is the command-line front of this library.

pub mod artifacts;
pub mod governance;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use chain_client::client::StoredCode;
use chain_client::{ChainClient, ChainError, TokenUnit};

use crate::artifacts::Artifact;
use crate::governance::{GovernanceParams, GovernanceRecord};

/// Where and how to send the deployment transactions; every field can be overridden by the
/// `deploy` command's flags or environment.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChainSection {
    /// REST (gRPC-gateway) endpoint.
    pub rest: Option<String>,
    /// Chain id.
    pub chain_id: Option<String>,
    /// Gas price, e.g. `0.025stake`.
    pub gas_price: Option<String>,
    /// Multiplier applied to simulated gas.
    pub gas_adjustment: Option<f64>,
    /// Bech32 account prefix.
    pub account_prefix: Option<String>,
    /// Seconds to wait for each tx to be included.
    pub tx_timeout: Option<u64>,
}

/// The parameter file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployParams {
    /// Chain endpoint and fees (optional; flags and environment take precedence).
    #[serde(default)]
    pub chain: ChainSection,
    /// Prefix of contract labels (`<prefix>-tok`, ...).
    pub label_prefix: String,
    /// Contract admin (may migrate); a placeholder or address. None: no admin.
    #[serde(default)]
    pub admin: Option<String>,
    /// cw20-base instantiate message of TOK.
    pub tok: toml::Table,
    /// cw20-base instantiate message of ECT.
    pub ect: toml::Table,
    /// reward-pool instantiate message.
    pub reward_pool: toml::Table,
    /// mining-round instantiate message; the contract is deployed only when present.
    #[serde(default)]
    pub mining_round: Option<toml::Table>,
    /// Token-weighted governance ([`GovernanceParams`]); deployed only when present.
    #[serde(default)]
    pub governance: Option<toml::Table>,
}

impl DeployParams {
    /// Reads and parses a parameter file.
    pub fn load(path: &Path) -> Result<Self, ChainError> {
        let text = std::fs::read_to_string(path).map_err(|source| io(path, source))?;
        toml::from_str(&text).map_err(|e| ChainError::Config(format!("{}: {e}", path.display())))
    }

    /// Replaces the `[mining_round]` table with the typed instantiate message `msg` (strings
    /// may still be `@` placeholders, e.g. `reward_token = "@ect"`).
    pub fn set_mining_round(
        &mut self,
        msg: &cube_types::mining_round::InstantiateMsg,
    ) -> Result<(), ChainError> {
        let table = toml::Table::try_from(msg)
            .map_err(|e| ChainError::Encode(format!("[mining_round] as TOML: {e}")))?;
        self.mining_round = Some(table);
        Ok(())
    }

    /// Symbol and decimals of the token `role` (`"tok"` or `"ect"`) from its cw20-base table, to
    /// show its amounts in whole tokens ([`chain_client::amount`]).
    pub fn token_unit(&self, role: &str) -> Result<TokenUnit, ChainError> {
        /// The part of a cw20-base instantiate message that says how amounts are shown.
        #[derive(Deserialize)]
        struct Unit {
            symbol: String,
            decimals: u8,
        }
        let table = match role {
            "tok" => &self.tok,
            "ect" => &self.ect,
            other => return Err(ChainError::Config(format!("no token table [{other}]"))),
        };
        let json = serde_json::to_value(table)
            .map_err(|e| ChainError::Config(format!("[{role}]: {e}")))?;
        let unit: Unit = serde_json::from_value(json)
            .map_err(|e| ChainError::Config(format!("[{role}] symbol and decimals: {e}")))?;
        Ok(TokenUnit {
            symbol: unit.symbol,
            decimals: unit.decimals,
        })
    }
}

/// A stored code.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CodeRecord {
    /// Code id.
    pub code_id: u64,
    /// Hex SHA-256 of the wasm (checked against the chain's).
    pub checksum: String,
    /// Size of the wasm in bytes.
    pub size: u64,
    /// Store tx hash.
    pub tx_hash: String,
    /// SDK gas used by the store tx.
    pub gas_used: u64,
    /// Gas limit of the store tx.
    #[serde(default)]
    pub gas_wanted: u64,
}

/// An instantiated contract.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ContractRecord {
    /// Contract address.
    pub address: String,
    /// Code id it runs.
    pub code_id: u64,
    /// Label.
    pub label: String,
    /// Instantiate tx hash.
    pub tx_hash: String,
    /// SDK gas used by the instantiate tx.
    pub gas_used: u64,
    /// Gas limit of the instantiate tx.
    #[serde(default)]
    pub gas_wanted: u64,
}

/// `deployments/<chain-id>.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Deployment {
    /// Chain id.
    pub chain_id: String,
    /// Deploying address.
    pub deployer: String,
    /// Height of the last deployment tx.
    pub height: u64,
    /// Codes by artifact name (`cw20_base`, `reward_pool`, `mining_round`).
    pub codes: BTreeMap<String, CodeRecord>,
    /// Contracts by role (`tok`, `ect`, `reward_pool`, `mining_round`, and with governance
    /// `stake` and `multisig`).
    pub contracts: BTreeMap<String, ContractRecord>,
    /// What the governance step did, when the parameters have `[governance]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governance: Option<GovernanceRecord>,
}

impl Deployment {
    /// Address of the contract with `role`.
    pub fn address(&self, role: &str) -> Result<&str, ChainError> {
        self.contracts
            .get(role)
            .map(|c| c.address.as_str())
            .ok_or_else(|| ChainError::Config(format!("deployment has no contract {role:?}")))
    }

    /// Code id of the stored artifact `name`.
    pub fn code_id(&self, name: &str) -> Result<u64, ChainError> {
        self.codes
            .get(name)
            .map(|c| c.code_id)
            .ok_or_else(|| ChainError::Config(format!("no code stored for {name}")))
    }

    /// Reads a deployment file.
    pub fn load(path: &Path) -> Result<Self, ChainError> {
        let text = std::fs::read_to_string(path).map_err(|source| io(path, source))?;
        serde_json::from_str(&text)
            .map_err(|e| ChainError::Config(format!("{}: {e}", path.display())))
    }

    /// Writes the deployment as pretty JSON, creating the directory.
    pub fn write(&self, path: &Path) -> Result<(), ChainError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| io(dir, source))?;
        }
        let json =
            serde_json::to_string_pretty(self).map_err(|e| ChainError::Encode(e.to_string()))?;
        std::fs::write(path, json + "\n").map_err(|source| io(path, source))
    }
}

fn io(path: &Path, source: std::io::Error) -> ChainError {
    ChainError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Replaces `@name` strings anywhere in `value` using `names`.
pub fn resolve_placeholders(
    value: &mut Value,
    names: &BTreeMap<String, String>,
) -> Result<(), ChainError> {
    match value {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix('@') {
                let resolved = names
                    .get(name)
                    .ok_or_else(|| ChainError::Config(format!("unknown placeholder @{name}")))?;
                *s = resolved.clone();
            }
        }
        Value::Array(items) => {
            for item in items {
                resolve_placeholders(item, names)?;
            }
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                resolve_placeholders(item, names)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Converts a TOML table into the JSON of the typed message `T`, resolving placeholders and
/// checking it deserializes as `T`.
fn typed_msg<T: Serialize + for<'de> Deserialize<'de>>(
    what: &str,
    table: &toml::Table,
    names: &BTreeMap<String, String>,
) -> Result<T, ChainError> {
    let mut json =
        serde_json::to_value(table).map_err(|e| ChainError::Config(format!("[{what}]: {e}")))?;
    resolve_placeholders(&mut json, names)?;
    serde_json::from_value(json).map_err(|e| {
        ChainError::Config(format!("[{what}] is not a valid instantiate message: {e}"))
    })
}

/// Hex SHA-256 of a wasm file.
pub fn checksum(wasm: &[u8]) -> String {
    hex::encode(Sha256::digest(wasm))
}

/// The cw20-base instantiate message (cw20-base 2.0 schema).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cw20InstantiateMsg {
    /// Token name.
    pub name: String,
    /// Ticker symbol.
    pub symbol: String,
    /// Decimal places.
    pub decimals: u8,
    /// Initial balances.
    pub initial_balances: Vec<cw20::Cw20Coin>,
    /// Minting rights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mint: Option<cw20::MinterResponse>,
    /// Marketing info.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketing: Option<Value>,
}

/// Package of TOK and ECT.
pub const CW20: &str = "cw20-base";
/// Package of the reward pool.
pub const REWARD_POOL: &str = "reward-pool";
/// Package of the mining round.
pub const MINING_ROUND: &str = "mining-round";
/// Package of the governance group (cw4-stake over ECT).
pub const STAKE: &str = "cw4-stake";
/// Package of the governance multisig (cw3-flex-multisig).
pub const MULTISIG: &str = "cw3-flex-multisig";
/// Package of the governance timelock (ours).
pub const TIMELOCK: &str = "timelock";

/// Whether a deployment with `params` instantiates `package`: the governance pair only with
/// `[governance]`, the mining round only with `[mining_round]`, everything else always.
pub fn needs(params: &DeployParams, package: &str) -> bool {
    match package {
        STAKE | MULTISIG | TIMELOCK => params.governance.is_some(),
        MINING_ROUND => params.mining_round.is_some(),
        _ => true,
    }
}

/// The artifacts of `deploy/artifacts.txt` a deployment with `params` stores, in list order.
pub fn required_artifacts(params: &DeployParams) -> Vec<Artifact> {
    artifacts::all()
        .into_iter()
        .filter(|a| needs(params, &a.package))
        .collect()
}

/// The artifact file stem of `package`, which must be in `deploy/artifacts.txt`.
fn artifact_name(package: &str) -> Result<String, ChainError> {
    artifacts::find(package)
        .map(|a| a.name)
        .ok_or_else(|| ChainError::Config(format!("{package} is not in deploy/artifacts.txt")))
}

/// Reads the `[governance]` table, placeholders resolved, as typed parameters.
pub fn governance_params(
    params: &DeployParams,
    names: &BTreeMap<String, String>,
) -> Result<Option<GovernanceParams>, ChainError> {
    match &params.governance {
        None => Ok(None),
        Some(table) => {
            let mut json = serde_json::to_value(table)
                .map_err(|e| ChainError::Config(format!("[governance]: {e}")))?;
            resolve_placeholders(&mut json, names)?;
            crate::governance::parse(json).map(Some)
        }
    }
}

/// Stores every `*.wasm` in `artifacts` (the governance pair only with `[governance]`), then
/// instantiates TOK, ECT, the reward pool, (if the parameters have it) the mining round, and
/// (with `[governance]`) cw4-stake and cw3-flex-multisig, which then owns the reward pool and
/// the mining round. `progress` receives one line per step.
pub async fn deploy(
    client: &ChainClient,
    params: &DeployParams,
    artifacts: &Path,
    accounts: &BTreeMap<String, String>,
    mut progress: impl FnMut(&str),
) -> Result<Deployment, ChainError> {
    client.check_chain_id().await?;
    // Every artifact the parameters need, checked before the first transaction.
    let mut wasm_files = Vec::new();
    for artifact in required_artifacts(params) {
        let path = artifacts.join(artifact.file_name());
        if !path.is_file() {
            return Err(ChainError::Config(format!(
                "{} is missing (run scripts/build-wasm.sh)",
                path.display()
            )));
        }
        wasm_files.push((artifact.name, path));
    }

    let mut names = accounts.clone();
    names.insert("deployer".into(), client.address());
    // Checked before any transaction (ECT and the contracts are not known yet: the table may
    // use only account placeholders).
    let gov_params = governance_params(params, &names)?;
    let admin = match &params.admin {
        Some(a) => {
            let mut v = Value::String(a.clone());
            resolve_placeholders(&mut v, &names)?;
            v.as_str().map(str::to_string)
        }
        None => None,
    };

    let mut deployment = Deployment {
        chain_id: client.config().chain_id.clone(),
        deployer: client.address(),
        height: 0,
        codes: BTreeMap::new(),
        contracts: BTreeMap::new(),
        governance: None,
    };

    for (name, path) in wasm_files {
        let wasm = std::fs::read(&path).map_err(|source| io(&path, source))?;
        let local = checksum(&wasm);
        let size = u64::try_from(wasm.len()).unwrap_or(u64::MAX);
        progress(&format!("storing {name}.wasm ({size} bytes)"));
        let StoredCode {
            code_id,
            checksum: chain_sum,
            tx,
        } = client.store_code(wasm).await?;
        if !chain_sum.is_empty() && !chain_sum.eq_ignore_ascii_case(&local) {
            return Err(ChainError::Decode {
                url: tx.hash,
                reason: format!("chain checksum {chain_sum} differs from local {local} for {name}"),
            });
        }
        progress(&format!(
            "  code id {code_id}, gas used {}, tx {}",
            tx.gas_used, tx.hash
        ));
        deployment.height = deployment.height.max(tx.height);
        deployment.codes.insert(
            name,
            CodeRecord {
                code_id,
                checksum: local,
                size,
                tx_hash: tx.hash,
                gas_used: tx.gas_used,
                gas_wanted: tx.gas_wanted,
            },
        );
    }
    let code_of = |package: &str| deployment.code_id(&artifact_name(package)?);
    let cw20_code = code_of(CW20)?;
    let pool_code = code_of(REWARD_POOL)?;
    let round_code = if params.mining_round.is_some() {
        Some(code_of(MINING_ROUND)?)
    } else {
        None
    };

    let mut add = Instantiator {
        client,
        params,
        admin: admin.as_deref(),
        deployment: &mut deployment,
    };
    for (role, table) in [("tok", &params.tok), ("ect", &params.ect)] {
        let msg: Cw20InstantiateMsg = typed_msg(role, table, &names)?;
        let what = format!("{role} ({})", msg.symbol);
        let address = add
            .contract(role, &what, cw20_code, &msg, &mut progress)
            .await?;
        names.insert(role.to_string(), address);
    }
    let msg: cube_types::reward_pool::InstantiateMsg =
        typed_msg("reward_pool", &params.reward_pool, &names)?;
    add.contract("reward_pool", "reward_pool", pool_code, &msg, &mut progress)
        .await?;
    if let (Some(table), Some(code)) = (&params.mining_round, round_code) {
        let msg: cube_types::mining_round::InstantiateMsg =
            typed_msg("mining_round", table, &names)?;
        add.contract("mining_round", "mining_round", code, &msg, &mut progress)
            .await?;
    }

    if let Some(gov) = gov_params {
        let ect_unit = params.token_unit("ect")?;
        let targets = crate::governance::Targets {
            ect: deployment.address("ect")?,
            ect_unit: &ect_unit,
            stake_code: deployment.code_id(&artifact_name(STAKE)?)?,
            multisig_code: deployment.code_id(&artifact_name(MULTISIG)?)?,
            timelock_code: deployment.code_id(&artifact_name(TIMELOCK)?)?,
        };
        let label = |role: &str| format!("{}-{role}", params.label_prefix);
        let done = crate::governance::instantiate(
            client,
            &gov,
            &targets,
            label,
            admin.as_deref(),
            &mut progress,
        )
        .await?;
        for (role, code_id, inst) in done.contracts {
            deployment.contracts.insert(
                role.clone(),
                ContractRecord {
                    address: inst.address,
                    code_id,
                    label: label(&role),
                    tx_hash: inst.tx.hash,
                    gas_used: inst.tx.gas_used,
                    gas_wanted: inst.tx.gas_wanted,
                },
            );
        }
        deployment.height = deployment.height.max(done.height);
        deployment.governance = Some(done.record);
        handover_parsed(client, &mut deployment, &gov, accounts, &mut progress).await?;
    }
    Ok(deployment)
}

/// The governance handover of a deployment ([`governance::handover`]), then the role table
/// read back from the chain, recorded in the deployment and printed with a warning for every
/// role the deploying key still holds. Returns whether the handover is complete.
pub async fn handover(
    client: &ChainClient,
    deployment: &mut Deployment,
    params: &DeployParams,
    accounts: &BTreeMap<String, String>,
    progress: impl FnMut(&str),
) -> Result<bool, ChainError> {
    let mut names = accounts.clone();
    names.insert("deployer".into(), client.address());
    let gov = governance_params(params, &names)?
        .ok_or_else(|| ChainError::Config("the parameters have no [governance] table".into()))?;
    handover_parsed(client, deployment, &gov, accounts, progress).await
}

/// [`handover`] with the `[governance]` table already parsed.
async fn handover_parsed(
    client: &ChainClient,
    deployment: &mut Deployment,
    gov: &GovernanceParams,
    accounts: &BTreeMap<String, String>,
    mut progress: impl FnMut(&str),
) -> Result<bool, ChainError> {
    let complete = governance::handover(client, deployment, gov, &mut progress).await?;
    let roles = governance::roles(client, deployment, accounts).await?;
    governance::report(deployment, &roles, &mut progress);
    if let Some(g) = deployment.governance.as_mut() {
        g.roles = roles;
    }
    Ok(complete)
}

/// Instantiates contracts into a deployment record.
struct Instantiator<'a> {
    client: &'a ChainClient,
    params: &'a DeployParams,
    admin: Option<&'a str>,
    deployment: &'a mut Deployment,
}

impl Instantiator<'_> {
    /// Instantiates `code_id` with `msg` as `role` (label `<prefix>-<role>`), records it and
    /// returns its address.
    async fn contract<T: Serialize>(
        &mut self,
        role: &str,
        what: &str,
        code_id: u64,
        msg: &T,
        progress: &mut impl FnMut(&str),
    ) -> Result<String, ChainError> {
        progress(&format!("instantiating {what}"));
        let label = format!("{}-{}", self.params.label_prefix, role.replace('_', "-"));
        let inst = self
            .client
            .instantiate(code_id, &label, msg, self.admin)
            .await?;
        progress(&format!("  {role} at {}", inst.address));
        self.deployment.height = self.deployment.height.max(inst.tx.height);
        self.deployment.contracts.insert(
            role.to_string(),
            ContractRecord {
                address: inst.address.clone(),
                code_id,
                label,
                tx_hash: inst.tx.hash,
                gas_used: inst.tx.gas_used,
                gas_wanted: inst.tx.gas_wanted,
            },
        );
        Ok(inst.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_placeholders_recursively() {
        let names: BTreeMap<String, String> = [
            ("deployer".to_string(), "wasm1d".to_string()),
            ("tok".to_string(), "wasm1t".to_string()),
        ]
        .into();
        let mut v =
            serde_json::json!({"token": "@tok", "reporters": ["@deployer", "wasm1x"], "n": 1});
        resolve_placeholders(&mut v, &names).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"token": "wasm1t", "reporters": ["wasm1d", "wasm1x"], "n": 1})
        );
        let mut bad = serde_json::json!(["@nobody"]);
        let err = resolve_placeholders(&mut bad, &names).unwrap_err();
        assert!(matches!(err, ChainError::Config(m) if m == "unknown placeholder @nobody"));
    }

    #[test]
    fn the_localnet_parameters_are_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/localnet.toml");
        let params = DeployParams::load(&path).unwrap();
        let names: BTreeMap<String, String> = [
            "deployer", "tok", "ect", "operator", "oracle1", "oracle2", "oracle3", "user1",
        ]
        .iter()
        .map(|n| (n.to_string(), format!("wasm1{n}")))
        .collect();
        assert_eq!(params.chain.chain_id.as_deref(), Some("rewards-local-1"));
        assert_eq!(params.chain.gas_price.as_deref(), Some("0.025stake"));
        let tok: Cw20InstantiateMsg = typed_msg("tok", &params.tok, &names).unwrap();
        assert_eq!(tok.symbol, "TOK");
        assert_eq!(
            params.token_unit("tok").unwrap(),
            TokenUnit {
                symbol: "TOK".into(),
                decimals: 6
            }
        );
        assert_eq!(
            params.token_unit("ect").unwrap().tokens(1_500_000),
            "1.5 ECT"
        );
        assert!(params.token_unit("stake").is_err());
        let pool: cube_types::reward_pool::InstantiateMsg =
            typed_msg("reward_pool", &params.reward_pool, &names).unwrap();
        assert_eq!(pool.token, "wasm1tok");
        assert_eq!(pool.reference_pool.u128(), 1_000_000);
        assert_eq!(pool.base_reward.u128(), 100);
        let round: cube_types::mining_round::InstantiateMsg = typed_msg(
            "mining_round",
            params.mining_round.as_ref().unwrap(),
            &names,
        )
        .unwrap();
        assert_eq!(round.reward_token, "wasm1ect");
        assert_eq!(
            round.oracles,
            vec!["wasm1oracle1".to_string(), "wasm1oracle2".to_string()]
        );
        assert_eq!(round.quorum, 2);
        assert_eq!(round.guardian.as_deref(), Some("wasm1operator"));
    }

    fn gov_names() -> BTreeMap<String, String> {
        ["deployer", "guardian", "reporter", "oracle1", "oracle2"]
            .iter()
            .map(|n| (n.to_string(), format!("wasm1{n}")))
            .collect()
    }

    /// `[governance]` of the localnet file with `edit` applied, parsed.
    fn gov_with(edit: impl FnOnce(&mut toml::Table)) -> Result<GovernanceParams, ChainError> {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/governance-localnet.toml");
        let mut params = DeployParams::load(&path).unwrap();
        edit(params.governance.as_mut().unwrap());
        governance_params(&params, &gov_names()).map(Option::unwrap)
    }

    fn config_err(r: Result<GovernanceParams, ChainError>) -> String {
        match r {
            Err(ChainError::Config(m)) => m,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn the_governance_parameters_are_valid_and_checked() {
        let gov = gov_with(|_| {}).unwrap();
        assert_eq!(gov.stake.tokens_per_weight.u128(), 1_000_000);
        assert_eq!(gov.stake.min_bond.u128(), 1_000_000);
        assert_eq!(
            gov.stake.unbonding_period,
            upstream_contracts::Duration::Time(10)
        );
        assert_eq!(
            gov.multisig.threshold,
            upstream_contracts::Threshold::ThresholdQuorum {
                threshold: cosmwasm_std::Decimal::percent(50),
                quorum: cosmwasm_std::Decimal::percent(50),
            }
        );
        assert_eq!(
            gov.multisig.max_voting_period,
            upstream_contracts::Duration::Time(60)
        );
        assert_eq!(gov.multisig.executor, None);
        assert_eq!(
            (gov.activation.min_total_weight, gov.activation.min_members),
            (60, 2)
        );
        assert_eq!(gov.timelock.min_delay, 8);
        assert_eq!(gov.timelock.grace_period, 3_600);
        assert_eq!(gov.timelock.vetoer.as_deref(), Some("wasm1guardian"));
        assert_eq!(gov.handover_wait, 0);
        assert_eq!(gov.token_admin, governance::TokenAdmin::None);
        // Omitted, the timelock waits two days and keeps an operation for fourteen.
        let defaults = gov_with(|t| {
            t.remove("timelock");
        })
        .unwrap();
        assert_eq!(
            (defaults.timelock.min_delay, defaults.timelock.grace_period),
            (172_800, 1_209_600)
        );
        assert_eq!(defaults.timelock.vetoer, None);

        // The plain localnet file has no governance.
        let plain = DeployParams::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/localnet.toml"),
        )
        .unwrap();
        assert!(governance_params(&plain, &gov_names()).unwrap().is_none());
    }

    #[test]
    fn governance_parameters_that_could_be_captured_are_refused() {
        // A member below one point of weight could still propose.
        let m = config_err(gov_with(|t| {
            let stake = t.get_mut("stake").unwrap().as_table_mut().unwrap();
            stake.insert("min_bond".into(), toml::Value::String("999999".into()));
        }));
        assert!(
            m.contains("min_bond 999999 must be at least tokens_per_weight"),
            "{m}"
        );
        // No quorum: a sliver of the weight passes a proposal.
        let m = config_err(gov_with(|t| {
            let ms = t.get_mut("multisig").unwrap().as_table_mut().unwrap();
            let th: toml::Table =
                toml::from_str("absolute_percentage = { percentage = \"0.5\" }").unwrap();
            ms.insert("threshold".into(), toml::Value::Table(th));
        }));
        assert!(m.contains("threshold must be threshold_quorum"), "{m}");
        // An empty activation threshold is no threshold.
        for (key, field) in [("min_members", 0), ("min_total_weight", 0)] {
            let m = config_err(gov_with(|t| {
                let a = t.get_mut("activation").unwrap().as_table_mut().unwrap();
                a.insert(key.into(), toml::Value::Integer(field));
            }));
            assert!(m.contains("must both be at least 1"), "{m}");
        }
        // Delays outside the timelock's bounds.
        let m = config_err(gov_with(|t| {
            let tl = t.get_mut("timelock").unwrap().as_table_mut().unwrap();
            tl.insert("min_delay".into(), toml::Value::Integer(0));
        }));
        assert!(m.contains("min_delay 0 s must be 1 to 2592000"), "{m}");
        let m = config_err(gov_with(|t| {
            let tl = t.get_mut("timelock").unwrap().as_table_mut().unwrap();
            tl.insert("grace_period".into(), toml::Value::Integer(59));
        }));
        assert!(m.contains("grace_period 59 s must be 60 to 2592000"), "{m}");
        // Unknown fields are refused, not ignored (the old bootstrap keys included).
        for key in ["quorum", "bootstrap_bond"] {
            let m = config_err(gov_with(|t| {
                t.insert(key.into(), toml::Value::String("1".into()));
            }));
            assert!(m.contains(&format!("unknown field `{key}`")), "{m}");
        }
    }

    #[test]
    fn warnings_name_every_role_the_deploying_key_still_holds() {
        let deployer = "wasm1deployer".to_string();
        let mut d: Deployment = serde_json::from_str(
            r#"{"chain_id":"c-1","deployer":"wasm1deployer","height":7,"codes":{},"contracts":{}}"#,
        )
        .unwrap();
        d.governance = Some(governance::GovernanceRecord {
            stake: "wasm1s".into(),
            multisig: "wasm1m".into(),
            timelock: "wasm1t".into(),
            handover_complete: true,
            activated_with: None,
            roles: vec![],
        });
        let role =
            |role: &str, of: &str, holder: Option<&str>, name: &str| governance::RoleRecord {
                role: role.into(),
                of: of.into(),
                holder: holder.map(str::to_string),
                name: name.into(),
            };
        let roles = vec![
            role("owner", "reward_pool", Some("wasm1t"), "timelock"),
            role("reporter", "reward_pool", Some(&deployer), "deployer"),
            role("wasm admin", "tok", None, "none"),
            role("vetoer", "timelock", Some("wasm1g"), "guardian"),
        ];
        assert_eq!(
            governance::warnings(&d, &roles),
            vec![
                "the deploying key is still reporter of reward_pool: if it leaks, its holder can \
                 record actions that pay the available pool to any address"
                    .to_string()
            ]
        );
        // No vetoer, and a handover left for later: both said in words.
        let mut pending = d.clone();
        pending.governance.as_mut().unwrap().handover_complete = false;
        let roles = vec![role("vetoer", "timelock", None, "none")];
        let w = governance::warnings(&pending, &roles);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].starts_with("the handover is not complete"), "{w:?}");
        assert!(w[1].starts_with("the timelock has no vetoer"), "{w:?}");
    }

    #[test]
    fn a_typed_mining_round_message_round_trips_through_the_parameters() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/localnet.toml");
        let mut params = DeployParams::load(&path).unwrap();
        let names: BTreeMap<String, String> = [
            "deployer", "tok", "ect", "operator", "oracle1", "oracle2", "oracle3", "user1",
        ]
        .iter()
        .map(|n| (n.to_string(), format!("wasm1{n}")))
        .collect();
        let mut msg: cube_types::mining_round::InstantiateMsg = typed_msg(
            "mining_round",
            params.mining_round.as_ref().unwrap(),
            &names,
        )
        .unwrap();
        msg.reward_token = "@ect".into();
        msg.genesis_time = Some(1_700_000_040);
        msg.guardian = None;
        params.set_mining_round(&msg).unwrap();
        let back: cube_types::mining_round::InstantiateMsg = typed_msg(
            "mining_round",
            params.mining_round.as_ref().unwrap(),
            &names,
        )
        .unwrap();
        assert_eq!(back.reward_token, "wasm1ect");
        assert_eq!(back.genesis_time, Some(1_700_000_040));
        assert_eq!(back.guardian, None);
        assert_eq!(back.manufacturer_keys, msg.manufacturer_keys);
        assert_eq!(back.rated_power, msg.rated_power);
    }

    #[test]
    fn deployment_files_without_governance_still_parse() {
        let json = r#"{"chain_id":"c-1","deployer":"wasm1d","height":7,"codes":{},"contracts":{}}"#;
        let d: Deployment = serde_json::from_str(json).unwrap();
        assert_eq!(d.governance, None);
        // And a deployment without governance writes no `governance` key.
        let text = serde_json::to_string(&d).unwrap();
        assert!(!text.contains("governance"), "{text}");
    }
}
