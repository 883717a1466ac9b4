//! Harness of the end-to-end suite: starts (or reuses) the localnet with
//! `scripts/localnet.sh start`, checks the wasm artifacts, deploys with the `deploy` library
//! and hands out typed contract clients for the funded test accounts. Gas figures measured by
//! the tests are collected into `<target>/e2e-gas/gas.md` (`scripts/refresh-docs.sh` refreshes
//! the committed `docs/gas.md`).
//!
//! Nothing here skips: when the chain cannot be started or the artifacts cannot be built, the
//! test fails with the script's output.

// Test support: a failed expectation is what a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod device;
pub mod gas;
pub mod gov;
pub mod merkle;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chain_client::cw20::Cw20Client;
use chain_client::governance::{MultisigClient, StakeClient, TimelockClient};
use chain_client::mining_round::MiningRoundClient;
use chain_client::reward_pool::RewardPoolClient;
use chain_client::{ChainClient, ChainError};
use deploy::{DeployParams, Deployment};

/// Repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("."))
}

/// `.localnet/accounts.json` and its accounts (one reader, in chain-client).
pub use chain_client::localnet::{LocalnetAccount as Account, LocalnetInfo};

fn run_script(script: &str, args: &[&str]) {
    let root = repo_root();
    let path = root.join("scripts").join(script);
    assert!(path.exists(), "{} is missing", path.display());
    eprintln!("[e2e] running scripts/{script} {}", args.join(" "));
    let out = Command::new("bash")
        .arg(&path)
        .args(args)
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "scripts/{script} {} failed ({}): the end-to-end suite needs a running wasmd localnet and \
         the wasm artifacts; it does not skip.\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        args.join(" "),
        out.status
    );
    for line in stderr.lines().chain(stdout.lines()) {
        eprintln!("    {line}");
    }
}

/// Makes sure wasmd is built (cached), the localnet produces blocks, and the artifacts a
/// deployment with `params` stores exist (the entries of `deploy/artifacts.txt` it needs).
pub fn ensure_chain_and_artifacts(params: &DeployParams) -> LocalnetInfo {
    run_script("build-wasmd.sh", &[]);
    run_script("localnet.sh", &["start"]);
    let root = repo_root();
    let missing: Vec<String> = deploy::required_artifacts(params)
        .into_iter()
        .map(|a| a.file_name())
        .filter(|file| !root.join("artifacts").join(file).exists())
        .collect();
    if !missing.is_empty() {
        eprintln!("[e2e] artifacts missing ({missing:?}), building them");
        run_script("build-wasm.sh", &[]);
    }
    let home = std::env::var_os("LOCALNET_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".localnet"));
    let accounts = home.join("accounts.json");
    LocalnetInfo::load(&accounts)
        .unwrap_or_else(|e| panic!("{} after localnet start: {e}", accounts.display()))
}

/// The running localnet, a client per account, and a fresh deployment of every contract.
pub struct Env {
    /// Chain facts from accounts.json.
    pub info: LocalnetInfo,
    /// The deployment made for this test binary.
    pub deployment: Deployment,
    clients: BTreeMap<String, ChainClient>,
}

impl Env {
    /// Starts or reuses the chain, deploys `deploy/localnet.toml` as `operator` and writes
    /// `deployments/<chain-id>.json`.
    pub async fn setup() -> Env {
        Self::setup_with("deploy/localnet.toml", "deployment").await
    }

    /// [`Env::setup`] with another parameter file (relative to the repository root); the
    /// deployment's gas goes to section `gas_section` of the gas table.
    pub async fn setup_with(params_file: &str, gas_section: &str) -> Env {
        let root = repo_root();
        let params = DeployParams::load(&root.join(params_file))
            .unwrap_or_else(|e| panic!("{params_file}: {e}"));
        let needs = params.clone();
        let info = tokio::task::spawn_blocking(move || ensure_chain_and_artifacts(&needs))
            .await
            .expect("setup thread");
        let mut clients = BTreeMap::new();
        for account in &info.accounts {
            // `client` also checks that the mnemonic derives wasmd's address for the account.
            let client = info
                .client(&account.name)
                .unwrap_or_else(|e| panic!("client for {}: {e}", account.name));
            clients.insert(account.name.clone(), client);
        }
        let names = info.names();
        let operator = clients.get("operator").expect("operator account");
        let started = std::time::Instant::now();
        let deployment = deploy::deploy(operator, &params, &root.join("artifacts"), &names, |l| {
            eprintln!("[deploy] {l}")
        })
        .await
        .unwrap_or_else(|e| panic!("deployment failed: {e}"));
        eprintln!("[e2e] deployed in {:.1}s", started.elapsed().as_secs_f64());
        deployment
            .write(
                &root
                    .join("deployments")
                    .join(format!("{}.json", info.chain_id)),
            )
            .expect("write deployment");
        let mut gas = gas::GasReport::new(gas_section);
        for (name, code) in &deployment.codes {
            gas.record_raw(
                "StoreCode",
                format!("{name} ({} B)", code.size),
                code.gas_used,
                code.gas_wanted,
                &code.tx_hash,
            );
        }
        for (role, c) in &deployment.contracts {
            gas.record_raw("Instantiate", role, c.gas_used, c.gas_wanted, &c.tx_hash);
        }
        gas.save(&info.chain_id);
        Env {
            info,
            deployment,
            clients,
        }
    }

    /// The client signing as account `name`.
    pub fn client(&self, name: &str) -> &ChainClient {
        self.clients
            .get(name)
            .unwrap_or_else(|| panic!("no account {name}"))
    }

    /// Address of account `name`.
    pub fn addr(&self, name: &str) -> String {
        self.client(name).address()
    }

    /// Address of the deployed contract `role`.
    pub fn contract(&self, role: &str) -> String {
        self.address(role).to_string()
    }

    fn address(&self, role: &str) -> &str {
        self.deployment
            .address(role)
            .unwrap_or_else(|e| panic!("deployed contract {role}: {e}"))
    }

    /// The mining round, transactions signed by account `who`.
    pub fn mining(&self, who: &str) -> MiningRoundClient<'_> {
        MiningRoundClient::new(self.client(who), self.address("mining_round"))
    }

    /// The reward pool, transactions signed by account `who`.
    pub fn pool(&self, who: &str) -> RewardPoolClient<'_> {
        RewardPoolClient::new(self.client(who), self.address("reward_pool"))
    }

    /// The CW20 token `role` (`tok` or `ect`), transactions signed by account `who`.
    pub fn token(&self, role: &str, who: &str) -> Cw20Client<'_> {
        Cw20Client::new(self.client(who), self.address(role))
    }

    /// The governance group (cw4-stake), transactions signed by account `who`.
    pub fn stake(&self, who: &str) -> StakeClient<'_> {
        StakeClient::new(self.client(who), self.address("stake"))
    }

    /// The governance multisig, transactions signed by account `who`.
    pub fn multisig(&self, who: &str) -> MultisigClient<'_> {
        MultisigClient::new(self.client(who), self.address("multisig"))
    }

    /// The governance timelock, transactions signed by account `who`.
    pub fn timelock(&self, who: &str) -> TimelockClient<'_> {
        TimelockClient::new(self.client(who), self.address("timelock"))
    }

    /// Runs the deploy command's governance handover (`deploy --handover`) as the deployer
    /// (`operator`) with the parameter file `params_file`, rewrites the deployment file and
    /// keeps the updated deployment. Returns whether the handover completed.
    pub async fn handover(&mut self, params_file: &str) -> Result<bool, ChainError> {
        let root = repo_root();
        let params = DeployParams::load(&root.join(params_file))?;
        let names = self.info.names();
        let operator = self.client("operator");
        let mut deployment = self.deployment.clone();
        let complete = deploy::handover(operator, &mut deployment, &params, &names, |l| {
            eprintln!("[deploy] {l}")
        })
        .await?;
        deployment.write(&self.deployment_file())?;
        self.deployment = deployment;
        Ok(complete)
    }

    /// `deployments/<chain-id>.json`, as the deploy command writes it.
    pub fn deployment_file(&self) -> PathBuf {
        repo_root()
            .join("deployments")
            .join(format!("{}.json", self.info.chain_id))
    }

    /// CW20 balance of `address` in the token contract `role` (`tok` or `ect`).
    pub async fn cw20_balance(&self, role: &str, address: &str) -> u128 {
        self.token(role, "operator")
            .balance(address)
            .await
            .expect("cw20 balance query")
    }
}

/// Asserts that `err` is a contract error the chain reported with exactly `expected`'s text
/// (the `Display` of the contract's `ContractError` variant).
pub fn assert_contract_error(err: &ChainError, expected: &str) {
    let message = err
        .chain_message()
        .unwrap_or_else(|| panic!("not a chain rejection: {err}"));
    assert!(
        message.contains(expected),
        "chain rejected the tx with\n  {message}\nexpected the contract error\n  {expected}"
    );
}
