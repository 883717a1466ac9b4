//! `deploy`: stores the contract artifacts on a wasmd chain, instantiates TOK, ECT, the reward
//! pool and the mining round from a TOML parameter file (with `[governance]` also cw4-stake,
//! cw3-flex-multisig and the timelock, which comes to own everything once the holders' group is
//! active), and writes `deployments/<chain-id>.json`. `deploy --handover` completes a governance
//! handover the first run had to leave for later.
//!
//! Every option also reads an environment variable; the key is a BIP-39 mnemonic from
//! `DEPLOY_MNEMONIC` or a file (`--mnemonic-file`), never a flag and never printed.
//!
//! ```text
//! cargo run -p deploy -- \
//!     --rest http://127.0.0.1:1317 --chain-id rewards-local-1 --gas-price 0.025stake \
//!     --params deploy/localnet.toml --accounts .localnet/accounts.json --key-name operator
//! ```

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use chain_client::localnet::LocalnetInfo;
use chain_client::{ChainClient, ChainConfig, GasPrice, Signer};
use clap::Parser;
use deploy::DeployParams;

#[derive(Parser, Debug)]
#[command(
    about = "Deploy TOK, ECT, reward-pool, mining-round and (with [governance]) the holders' governance to a wasmd chain"
)]
struct Args {
    /// Complete the governance handover of the deployment in --out (deployments/<chain-id>.json)
    /// instead of deploying: refused (exit code 2) while the holders' group is below the
    /// activation threshold of the parameter file's [governance] table.
    #[arg(long)]
    handover: bool,
    /// REST (gRPC-gateway) endpoint of a node [params [chain].rest, else http://127.0.0.1:1317].
    #[arg(long, env = "DEPLOY_REST")]
    rest: Option<String>,
    /// Chain id; the node must report the same [params [chain].chain_id, else rewards-local-1].
    #[arg(long, env = "DEPLOY_CHAIN_ID")]
    chain_id: Option<String>,
    /// Gas price, e.g. 0.025stake [params [chain].gas_price, else 0.025stake].
    #[arg(long, env = "DEPLOY_GAS_PRICE")]
    gas_price: Option<String>,
    /// Multiplier applied to simulated gas [params [chain].gas_adjustment, else 1.3].
    #[arg(long, env = "DEPLOY_GAS_ADJUSTMENT")]
    gas_adjustment: Option<f64>,
    /// Bech32 account prefix [params [chain].account_prefix, else wasm].
    #[arg(long, env = "DEPLOY_ACCOUNT_PREFIX")]
    account_prefix: Option<String>,
    /// Seconds to wait for each tx to be included [params [chain].tx_timeout, else 60].
    #[arg(long, env = "DEPLOY_TX_TIMEOUT")]
    tx_timeout: Option<u64>,
    /// Parameter file.
    #[arg(long, env = "DEPLOY_PARAMS", default_value = "deploy/localnet.toml")]
    params: PathBuf,
    /// Directory holding the wasm files of deploy/artifacts.txt (scripts/build-wasm.sh).
    #[arg(long, env = "DEPLOY_ARTIFACTS", default_value = "artifacts")]
    artifacts: PathBuf,
    /// Accounts file (scripts/localnet.sh's accounts.json): resolves `@name` placeholders and,
    /// with --key-name, supplies the deployer's mnemonic.
    #[arg(long, env = "DEPLOY_ACCOUNTS")]
    accounts: Option<PathBuf>,
    /// Take the deployer mnemonic of this account from --accounts (test keyrings only).
    #[arg(long, env = "DEPLOY_KEY_NAME")]
    key_name: Option<String>,
    /// File containing the deployer's mnemonic.
    #[arg(long, env = "DEPLOY_MNEMONIC_FILE")]
    mnemonic_file: Option<PathBuf>,
    /// Output file; default deployments/<chain-id>.json.
    #[arg(long, env = "DEPLOY_OUT")]
    out: Option<PathBuf>,
}

fn mnemonic(args: &Args) -> anyhow::Result<String> {
    if let Ok(m) = std::env::var("DEPLOY_MNEMONIC") {
        return Ok(m);
    }
    if let Some(path) = &args.mnemonic_file {
        return std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()));
    }
    if let (Some(accounts), Some(name)) = (&args.accounts, &args.key_name) {
        let info = LocalnetInfo::load(accounts)?;
        return Ok(info.account(name)?.mnemonic.clone());
    }
    bail!("no deployer key: set DEPLOY_MNEMONIC, --mnemonic-file, or --accounts with --key-name")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let params = DeployParams::load(&args.params)?;
    // Precedence: flag / environment, then the params file's [chain], then the localnet default.
    let c = &params.chain;
    let rest = args
        .rest
        .clone()
        .or_else(|| c.rest.clone())
        .unwrap_or_else(|| "http://127.0.0.1:1317".into());
    let chain_id = args
        .chain_id
        .clone()
        .or_else(|| c.chain_id.clone())
        .unwrap_or_else(|| "rewards-local-1".into());
    let gas_price: GasPrice = args
        .gas_price
        .clone()
        .or_else(|| c.gas_price.clone())
        .unwrap_or_else(|| "0.025stake".into())
        .parse()?;
    let mut config = ChainConfig::new(rest.clone(), chain_id.clone(), gas_price);
    config.gas_adjustment = args.gas_adjustment.or(c.gas_adjustment).unwrap_or(1.3);
    config.account_prefix = args
        .account_prefix
        .clone()
        .or_else(|| c.account_prefix.clone())
        .unwrap_or_else(|| "wasm".into());
    config.tx_timeout = Duration::from_secs(args.tx_timeout.or(c.tx_timeout).unwrap_or(60));
    let signer = Signer::from_mnemonic(&mnemonic(&args)?, &config.account_prefix)?;
    let client = ChainClient::new(config, signer)?;
    let accounts = match &args.accounts {
        Some(path) => LocalnetInfo::load(path)?.names(),
        None => Default::default(),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("deployments/{chain_id}.json")));
    let started = std::time::Instant::now();
    if args.handover {
        eprintln!(
            "completing the governance handover of {} as {}",
            out.display(),
            client.address()
        );
        let mut deployment = deploy::Deployment::load(&out)?;
        if deployment.deployer != client.address() {
            bail!(
                "{} was deployed by {}, not by this key ({})",
                out.display(),
                deployment.deployer,
                client.address()
            );
        }
        let complete = deploy::handover(&client, &mut deployment, &params, &accounts, |line| {
            eprintln!("[deploy] {line}")
        })
        .await?;
        deployment.write(&out)?;
        if !complete {
            eprintln!("[deploy] handover refused; {} updated", out.display());
            std::process::exit(2);
        }
        eprintln!(
            "[deploy] handover complete in {:.1}s, wrote {}",
            started.elapsed().as_secs_f64(),
            out.display()
        );
        return Ok(());
    }
    eprintln!("deploying to {chain_id} ({rest}) as {}", client.address());
    let deployment = deploy::deploy(&client, &params, &args.artifacts, &accounts, |line| {
        eprintln!("[deploy] {line}")
    })
    .await?;
    deployment.write(&out)?;
    eprintln!(
        "[deploy] done in {:.1}s, wrote {}",
        started.elapsed().as_secs_f64(),
        out.display()
    );
    println!("{}", serde_json::to_string_pretty(&deployment)?);
    Ok(())
}
