//! `relayer`: the Cube oracle daemon.
//!
//! ```text
//! relayer run       --config relayer.toml     the supervised service (relayer::service);
//!                                             logs on stderr
//! relayer status    --config relayer.toml     database, device and round progress summary
//! relayer aggregate --config relayer.toml --round N   print the round's batches (offline)
//! relayer keys device-new --out dev.key       new ed25519 device key (hex, mode 0600)
//! relayer keys device-pubkey --key-file dev.key
//! ```

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use cube_scoring::ScorePolicy;
use relayer::aggregate::{aggregate_round, RoundInput};
use relayer::config::Config;
use relayer::ingest::now_unix;
use relayer::service::load_directory;
use relayer::store::{ReadingStore, SqliteStore};

#[derive(Parser)]
#[command(name = "relayer", version, about = "Cube oracle daemon")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve ingest and aggregate finished rounds until SIGTERM / Ctrl-C.
    Run {
        /// Configuration file (see relayer/config.example.toml).
        #[arg(long, env = "RELAYER_CONFIG")]
        config: PathBuf,
    },
    /// Print a summary of the database and round progress.
    Status {
        /// Configuration file.
        #[arg(long, env = "RELAYER_CONFIG")]
        config: PathBuf,
        /// Show this round (default: the last finished one).
        #[arg(long)]
        round: Option<u64>,
    },
    /// Aggregate a round from the database and print its batches (does not submit).
    Aggregate {
        /// Configuration file.
        #[arg(long, env = "RELAYER_CONFIG")]
        config: PathBuf,
        /// Round index.
        #[arg(long)]
        round: u64,
        /// Policy version to stamp on the batches.
        #[arg(long, default_value_t = 1)]
        policy_version: u32,
    },
    /// Key handling.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Create an ed25519 device key file (hex secret, mode 0600) and print its public key.
    DeviceNew {
        /// Output file (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the public key of a device key file.
    DevicePubkey {
        /// Key file.
        #[arg(long)]
        key_file: PathBuf,
    },
}

/// Logs go to stderr (stdout is for the subcommands' output), colored only on a terminal.
/// `RUST_LOG` wins over `log.level` (validated with the config).
fn init_tracing(format: &str, level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Run { config } => {
            let cfg = Config::load(&config).context("loading configuration")?;
            init_tracing(&cfg.log.format, &cfg.log.level);
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(relayer::service::run(cfg, shutdown_signal()))
        }
        Cmd::Status { config, round } => status(&Config::load(&config)?, round),
        Cmd::Aggregate {
            config,
            round,
            policy_version,
        } => aggregate_cmd(&Config::load(&config)?, round, policy_version),
        Cmd::Keys { cmd } => keys(cmd),
    }
}

async fn shutdown_signal() {
    let signal = host_util::shutdown_signal().await;
    tracing::info!("{signal} received");
}

fn status(cfg: &Config, round: Option<u64>) -> Result<()> {
    let store = SqliteStore::open(cfg.sqlite())?;
    let clock = cfg.round_clock();
    let now = now_unix();
    println!("database        {}", cfg.store.path.display());
    println!("readings        {}", store.count_readings()?);
    println!(
        "current round   {}",
        clock
            .round_at(now)
            .map(|r| r.to_string())
            .unwrap_or_else(|| "before genesis".into())
    );
    let show = round.or_else(|| clock.round_at(now).and_then(|r| r.checked_sub(1)));
    if let Some(r) = show {
        match store.round_progress(r)? {
            Some(p) => println!(
                "round {r}: status {} policy v{} batches {}",
                p.status, p.policy_version, p.batch_count
            ),
            None => println!("round {r}: not aggregated"),
        }
        for s in store.submissions(r)? {
            println!(
                "  batch {} {} {} {} {}",
                s.batch_index,
                hex::encode(s.batch_hash),
                s.kind,
                s.state,
                s.tx_hash.unwrap_or_default()
            );
        }
    }
    store.close();
    Ok(())
}

fn aggregate_cmd(cfg: &Config, round: u64, policy_version: u32) -> Result<()> {
    let store = SqliteStore::open(cfg.sqlite())?;
    let directory = load_directory(cfg)?;
    let devices = directory.snapshot();
    let whitelist = cfg.whitelist();
    let policy = ScorePolicy::default();
    let (plan, stats) = aggregate_round(
        &store,
        &RoundInput {
            round,
            clock: cfg.round_clock().clock,
            policy: &policy,
            policy_version,
            whitelist: &whitelist,
            devices: &devices,
            max_entries_per_batch: cfg.rounds.max_entries_per_batch,
        },
    )?;
    println!(
        "round {round}: {} readings ({} of unknown devices skipped), {} batches",
        stats.readings,
        stats.skipped_unknown_device,
        plan.batches.len()
    );
    for b in &plan.batches {
        println!(
            "batch {} entries {} hash {}",
            b.index,
            b.entries.len(),
            hex::encode(b.hash)
        );
    }
    store.close();
    Ok(())
}

fn keys(cmd: KeysCmd) -> Result<()> {
    match cmd {
        KeysCmd::DeviceNew { out } => {
            if out.exists() {
                bail!("{} exists; refusing to overwrite a key", out.display());
            }
            let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
            write_secret(&out, &hex::encode(key.to_bytes()))?;
            println!("{}", hex::encode(key.verifying_key().to_bytes()));
            Ok(())
        }
        KeysCmd::DevicePubkey { key_file } => {
            let text = std::fs::read_to_string(&key_file)
                .with_context(|| format!("reading {}", key_file.display()))?;
            let mut secret = [0u8; 32];
            hex::decode_to_slice(text.trim(), &mut secret)
                .context("key file must hold 64 hex characters")?;
            let key = ed25519_dalek::SigningKey::from_bytes(&secret);
            println!("{}", hex::encode(key.verifying_key().to_bytes()));
            Ok(())
        }
    }
}

fn write_secret(path: &Path, content: &str) -> Result<()> {
    host_util::write_secret_file(path, content.as_bytes())
        .with_context(|| format!("creating {}", path.display()))
}
