//! `cube-sim`: a simulated Cube fleet.
//!
//! ```text
//! cube-sim fleet  --devices 60 --seed 1 --chain-id C --contract ADDR \
//!                 --devices-out devices.json --registrations-out regs.json
//! cube-sim stream --devices 60 --seed 1 --chain-id C --contract ADDR \
//!                 --relayer http://127.0.0.1:8080 --relayer http://127.0.0.1:8081 \
//!                 --window-secs 300 --backfill-secs 3600 --duration-secs 600 --rate 2000
//! ```
//!
//! `fleet` writes the device directory file a relayer can load (`[devices] static_file`) and
//! the registration manifest (pubkey, model, serial, time zone, manufacturer certificate,
//! possession signature). `register` sends the `RegisterDevice` transactions from the owner
//! accounts of a localnet `accounts.json` (`--accounts-json`, `--owner-names`); the
//! manufacturer key it prints must be among the contract's `manufacturer_keys`.
//!
//! `stream` sends every device's signed reading for each window to every relayer (each relayer
//! is an independent oracle and needs all readings), first catching up `--backfill-secs` of
//! history, then in real time for `--duration-secs`, at most `--rate` readings per second.
//! Readings are stateless per window (sequence = window start), so a restarted simulator
//! resends identical readings, which relayers accept idempotently.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chain_client::localnet::{LocalnetAccount, LocalnetInfo};
use chain_client::mining_round::FleetManifest;
use clap::{Parser, Subcommand};
use cube_scoring::RatedPower;
use cube_sim::{registration, window_reading, Fleet, FleetSpec};
use cube_telemetry::batch::{BatchRequest, BatchResponse};
use cube_telemetry::{write_device_file, Domain, ReadingJson};
use host_util::now_unix;

#[derive(Parser)]
#[command(name = "cube-sim", version, about = "Simulated Cube fleet")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args, Clone)]
struct FleetArgs {
    /// Number of devices.
    #[arg(long, default_value_t = 60)]
    devices: usize,
    /// Seed of keys, owners and energy.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Owner address prefix (owners are `<prefix><index:06>`), unless --owners-file is given.
    #[arg(long, default_value = "wasm1simowner")]
    owner_prefix: String,
    /// File with one owner address per line (real chain accounts).
    #[arg(long)]
    owners_file: Option<PathBuf>,
    /// Localnet `accounts.json`: owners are the named accounts of `--owner-names`.
    #[arg(long)]
    accounts_json: Option<PathBuf>,
    /// Comma-separated account names in `--accounts-json` that own the fleet.
    #[arg(long, default_value = "user1,user2,user3,user4")]
    owner_names: String,
    /// Chain id (telemetry and possession domains).
    #[arg(long)]
    chain_id: String,
    /// Mining-round contract address.
    #[arg(long)]
    contract: String,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write the device directory and the registration manifest.
    Fleet {
        #[command(flatten)]
        fleet: FleetArgs,
        /// Device directory JSON for the relayer.
        #[arg(long)]
        devices_out: PathBuf,
        /// Registration manifest JSON.
        #[arg(long)]
        registrations_out: Option<PathBuf>,
    },
    /// Register every device on chain: each owner account (from `--accounts-json`) sends
    /// `RegisterDevice` with the manufacturer certificate and the possession signature.
    Register {
        #[command(flatten)]
        fleet: FleetArgs,
        /// Node REST endpoint (default: the `rest` of `--accounts-json`).
        #[arg(long)]
        rest: Option<String>,
        /// Gas price (default: the `gas_price` of `--accounts-json`, else 0.025stake).
        #[arg(long)]
        gas_price: Option<String>,
    },
    /// Stream signed readings to relayers.
    Stream {
        #[command(flatten)]
        fleet: FleetArgs,
        #[command(flatten)]
        stream: StreamArgs,
    },
}

#[derive(clap::Args, Clone)]
struct StreamArgs {
    /// Relayer base URL (repeat for several relayers).
    #[arg(long = "relayer", required = true)]
    relayers: Vec<String>,
    /// Reading window length, seconds (≤ 3600).
    #[arg(long, default_value_t = 300)]
    window_secs: u64,
    /// History to send first, seconds before now.
    #[arg(long, default_value_t = 0)]
    backfill_secs: u64,
    /// Real-time streaming after the backfill, seconds.
    #[arg(long, default_value_t = 0)]
    duration_secs: u64,
    /// Maximum readings per second (per relayer).
    #[arg(long, default_value_t = 5_000)]
    rate: u64,
    /// Readings per HTTP request.
    #[arg(long, default_value_t = 500)]
    batch: usize,
}

/// The `--accounts-json` localnet file.
fn localnet(a: &FleetArgs) -> Result<LocalnetInfo> {
    let Some(path) = &a.accounts_json else {
        bail!("--accounts-json is required");
    };
    Ok(LocalnetInfo::load(path)?)
}

/// The `--owner-names` accounts of `info`.
fn owner_accounts<'a>(a: &FleetArgs, info: &'a LocalnetInfo) -> Result<Vec<&'a LocalnetAccount>> {
    let owners = a
        .owner_names
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|name| info.account(name))
        .collect::<Result<Vec<_>, _>>()?;
    if owners.is_empty() {
        bail!("--owner-names names no account");
    }
    Ok(owners)
}

fn build_fleet(a: &FleetArgs) -> Result<Fleet> {
    let spec = FleetSpec {
        devices: a.devices,
        seed: a.seed,
        owner_prefix: a.owner_prefix.clone(),
    };
    if a.accounts_json.is_some() {
        let info = localnet(a)?;
        let owners: Vec<String> = owner_accounts(a, &info)?
            .into_iter()
            .map(|o| o.address.clone())
            .collect();
        return Ok(Fleet::with_owners(&spec, &owners));
    }
    Ok(match &a.owners_file {
        Some(p) => {
            let owners: Vec<String> = std::fs::read_to_string(p)
                .with_context(|| format!("reading {}", p.display()))?
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            if owners.is_empty() {
                bail!("{} holds no owners", p.display());
            }
            Fleet::with_owners(&spec, &owners)
        }
        None => Fleet::generate(&spec),
    })
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match Cli::parse().cmd {
        Cmd::Fleet {
            fleet,
            devices_out,
            registrations_out,
        } => {
            let f = build_fleet(&fleet)?;
            write_device_file(&devices_out, &f.records())?;
            if let Some(path) = registrations_out {
                let manifest = FleetManifest {
                    manufacturer_pubkey: f.manufacturer.verifying_key().to_bytes(),
                    devices: f
                        .devices
                        .iter()
                        .map(|d| registration(d, &fleet.chain_id, &fleet.contract))
                        .collect(),
                };
                std::fs::write(&path, serde_json::to_vec_pretty(&manifest)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            println!(
                "{} devices, {} owners, manufacturer key {}",
                f.devices.len(),
                f.devices
                    .iter()
                    .map(|d| d.owner.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
                hex::encode(f.manufacturer.verifying_key().to_bytes())
            );
            Ok(())
        }
        Cmd::Register {
            fleet,
            rest,
            gas_price,
        } => block_on(register(fleet, rest, gas_price)),
        Cmd::Stream { fleet, stream: a } => block_on(stream(fleet, a)),
    }
}

fn block_on(task: impl std::future::Future<Output = Result<()>>) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(task)
}

async fn register(fa: FleetArgs, rest: Option<String>, gas_price: Option<String>) -> Result<()> {
    let fleet = build_fleet(&fa)?;
    let mut info = localnet(&fa)?;
    // The telemetry domain's chain id is the chain the devices are registered on.
    info.chain_id.clone_from(&fa.chain_id);
    if let Some(rest) = rest {
        info.rest = rest;
    }
    if let Some(gas_price) = gas_price {
        info.gas_price = gas_price;
    }
    let mut tasks = Vec::new();
    for owner in owner_accounts(&fa, &info)? {
        let client = info.client(&owner.name)?;
        let mine: Vec<_> = fleet
            .devices
            .iter()
            .filter(|d| d.owner == owner.address)
            .map(|d| registration(d, &fa.chain_id, &fa.contract))
            .collect();
        let (contract, name) = (fa.contract.clone(), owner.name.clone());
        tasks.push(tokio::spawn(async move {
            for reg in &mine {
                let tx = client.execute(&contract, &reg.to_msg()).await?;
                tracing::info!(owner = %name, device = %hex::encode(reg.pubkey), tx = %tx.hash, "registered");
            }
            Ok::<usize, chain_client::ChainError>(mine.len())
        }));
    }
    let mut n = 0;
    for t in tasks {
        n += t.await??;
    }
    println!(
        "registered {n} devices; manufacturer key {} must be in the contract's manufacturer_keys",
        hex::encode(fleet.manufacturer.verifying_key().to_bytes())
    );
    Ok(())
}

#[derive(Default)]
struct Tally {
    accepted: u64,
    duplicates: u64,
    rejected: BTreeMap<&'static str, u64>,
    busy_retries: u64,
}

async fn post_all(
    client: &reqwest::Client,
    relayers: &[String],
    body: &[u8],
    tallies: &mut [Tally],
) -> Result<()> {
    for (url, tally) in relayers.iter().zip(tallies.iter_mut()) {
        let mut backoff = Duration::from_millis(20);
        loop {
            let resp = client
                .post(format!("{url}/v1/readings"))
                .header("content-type", "application/json")
                .body(body.to_vec())
                .send()
                .await
                .with_context(|| format!("posting to {url}"))?;
            let status = resp.status().as_u16();
            if status == 429 || status == 503 {
                tally.busy_retries += 1;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
                continue;
            }
            if status != 200 {
                let text = resp.text().await.unwrap_or_default();
                bail!("{url} answered {status}: {text}");
            }
            let v: BatchResponse = resp
                .json()
                .await
                .with_context(|| format!("reading the answer of {url}"))?;
            tally.accepted += u64::try_from(v.accepted)?;
            tally.duplicates += u64::try_from(v.duplicates)?;
            for reason in v.results.iter().filter_map(|r| r.reason) {
                *tally.rejected.entry(reason.as_str()).or_default() += 1;
            }
            break;
        }
    }
    Ok(())
}

/// Posts `pending` to every relayer and empties it; the number of readings sent.
async fn send_batch(
    client: &reqwest::Client,
    relayers: &[String],
    pending: &mut Vec<ReadingJson>,
    tallies: &mut [Tally],
) -> Result<u64> {
    let request = BatchRequest {
        readings: std::mem::take(pending),
    };
    let body = serde_json::to_vec(&request)?;
    post_all(client, relayers, &body, tallies).await?;
    Ok(u64::try_from(request.readings.len())?)
}

async fn stream(fa: FleetArgs, a: StreamArgs) -> Result<()> {
    let StreamArgs {
        relayers,
        window_secs,
        backfill_secs,
        duration_secs,
        rate,
        batch,
    } = a;
    if window_secs == 0 || window_secs > 3600 {
        bail!("--window-secs must be in 1..=3600");
    }
    let fleet = build_fleet(&fa)?;
    let domain = Domain::new(&fa.chain_id, &fa.contract);
    let rated = RatedPower::default();
    let client = reqwest::Client::new();
    let mut tallies: Vec<Tally> = relayers.iter().map(|_| Tally::default()).collect();
    let started = Instant::now();
    let mut sent = 0u64;
    let now = now_unix();
    let mut t = now.saturating_sub(backfill_secs);
    t -= t % window_secs;
    let stop_at = now.saturating_add(duration_secs);
    let mut pending: Vec<ReadingJson> = Vec::with_capacity(batch);
    loop {
        let end = t.saturating_add(window_secs);
        if end > stop_at {
            break;
        }
        // Wait for the window to close (real-time phase).
        let now = now_unix();
        if end > now {
            tokio::time::sleep(Duration::from_secs(end - now)).await;
        }
        for (i, dev) in fleet.devices.iter().enumerate() {
            let r = window_reading(dev, i, fa.seed, &domain, &rated, t, end);
            pending.push(ReadingJson::from(&r));
            if pending.len() >= batch.max(1) {
                sent += send_batch(&client, &relayers, &mut pending, &mut tallies).await?;
                throttle(started, sent, rate).await;
            }
        }
        if !pending.is_empty() {
            sent += send_batch(&client, &relayers, &mut pending, &mut tallies).await?;
            throttle(started, sent, rate).await;
        }
        t = end;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "sent {sent} readings to each of {} relayers in {secs:.1} s",
        relayers.len()
    );
    for (url, t) in relayers.iter().zip(&tallies) {
        println!(
            "{url}: accepted {} duplicates {} rejected {:?} (429/503 retries {})",
            t.accepted, t.duplicates, t.rejected, t.busy_retries
        );
    }
    Ok(())
}

async fn throttle(started: Instant, sent: u64, rate: u64) {
    if rate == 0 {
        return;
    }
    let due = Duration::from_secs_f64(sent as f64 / rate as f64);
    let elapsed = started.elapsed();
    if due > elapsed {
        tokio::time::sleep(due - elapsed).await;
    }
}
