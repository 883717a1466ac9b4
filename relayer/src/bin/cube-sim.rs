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
use clap::{Parser, Subcommand};
use cube_scoring::RatedPower;
use relayer::directory::DeviceFileEntry;
use relayer::ingest::now_unix;
use relayer::sim::{possession_signature, window_reading, Fleet, FleetSpec};
use relayer::telemetry::{Domain, ReadingJson};
use serde_json::{json, Value};

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
    #[cfg(feature = "chain")]
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
    },
}

/// `(name, address, mnemonic)` of the `--owner-names` accounts in `--accounts-json`.
fn owner_accounts(a: &FleetArgs) -> Result<Vec<(String, String, String)>> {
    let Some(path) = &a.accounts_json else {
        bail!("--accounts-json is required");
    };
    let doc: Value = serde_json::from_slice(
        &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
    )?;
    let mut out = Vec::new();
    for name in a
        .owner_names
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let acct = doc["accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|x| x["name"].as_str() == Some(name))
            .with_context(|| format!("account {name} not in {}", path.display()))?;
        out.push((
            name.to_string(),
            acct["address"].as_str().unwrap_or_default().to_string(),
            acct["mnemonic"].as_str().unwrap_or_default().to_string(),
        ));
    }
    if out.is_empty() {
        bail!("--owner-names names no account");
    }
    Ok(out)
}

fn build_fleet(a: &FleetArgs) -> Result<Fleet> {
    let spec = FleetSpec {
        devices: a.devices,
        seed: a.seed,
        owner_prefix: a.owner_prefix.clone(),
    };
    if a.accounts_json.is_some() {
        let owners: Vec<String> = owner_accounts(a)?.into_iter().map(|o| o.1).collect();
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
            let dir: Vec<DeviceFileEntry> = f.records().iter().map(DeviceFileEntry::from).collect();
            std::fs::write(&devices_out, serde_json::to_vec_pretty(&dir)?)?;
            if let Some(path) = registrations_out {
                let regs: Vec<Value> = f
                    .devices
                    .iter()
                    .map(|d| {
                        json!({
                            "owner": d.owner,
                            "pubkey": hex::encode(d.pubkey()),
                            "model": d.model.as_str(),
                            "serial": d.serial,
                            "timezone": d.timezone,
                            "battery_id": d.battery_id,
                            "certificate": hex::encode(d.certificate),
                            "possession_signature": hex::encode(possession_signature(d, &fleet.chain_id, &fleet.contract)),
                        })
                    })
                    .collect();
                let doc = json!({
                    "manufacturer_pubkey": hex::encode(f.manufacturer.verifying_key().to_bytes()),
                    "devices": regs,
                });
                std::fs::write(&path, serde_json::to_vec_pretty(&doc)?)?;
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
        #[cfg(feature = "chain")]
        Cmd::Register {
            fleet,
            rest,
            gas_price,
        } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(register(fleet, rest, gas_price)),
        Cmd::Stream {
            fleet,
            relayers,
            window_secs,
            backfill_secs,
            duration_secs,
            rate,
            batch,
        } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(stream(
                fleet,
                relayers,
                window_secs,
                backfill_secs,
                duration_secs,
                rate,
                batch,
            )),
    }
}

#[cfg(feature = "chain")]
async fn register(fa: FleetArgs, rest: Option<String>, gas_price: Option<String>) -> Result<()> {
    use cosmwasm_std::Binary;
    use cube_types::mining_round::ExecuteMsg;
    use relayer::sim::possession_signature;

    let fleet = build_fleet(&fa)?;
    let doc: Value = match &fa.accounts_json {
        Some(p) => serde_json::from_slice(&std::fs::read(p)?)?,
        None => Value::Null,
    };
    let rest = rest
        .or_else(|| doc["rest"].as_str().map(str::to_string))
        .unwrap_or_else(|| "http://127.0.0.1:1317".into());
    let gas_price = gas_price
        .or_else(|| doc["gas_price"].as_str().map(str::to_string))
        .unwrap_or_else(|| "0.025stake".into());
    let mut tasks = Vec::new();
    for (name, address, mnemonic) in owner_accounts(&fa)? {
        let cfg =
            chain_client::ChainConfig::new(rest.clone(), fa.chain_id.clone(), gas_price.parse()?);
        let client = chain_client::ChainClient::new(
            cfg,
            chain_client::Signer::from_mnemonic(&mnemonic, "wasm")?,
        )?;
        let mine: Vec<_> = fleet
            .devices
            .iter()
            .filter(|d| d.owner == address)
            .cloned()
            .collect();
        let (contract, chain_id) = (fa.contract.clone(), fa.chain_id.clone());
        tasks.push(tokio::spawn(async move {
            for d in &mine {
                let msg = ExecuteMsg::RegisterDevice {
                    pubkey: Binary::from(d.pubkey().to_vec()),
                    model: d.model,
                    serial: d.serial.clone(),
                    timezone: d.timezone.clone(),
                    certificate: Binary::from(d.certificate.to_vec()),
                    possession_signature: Binary::from(
                        possession_signature(d, &chain_id, &contract).to_vec(),
                    ),
                };
                let tx = client.execute(&contract, &msg).await?;
                tracing::info!(owner = %name, device = %hex::encode(d.pubkey()), tx = %tx.hash, "registered");
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
    rejected: BTreeMap<String, u64>,
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
            let v: Value = resp.json().await?;
            if status != 200 {
                bail!("{url} answered {status}: {v}");
            }
            tally.accepted += v["accepted"].as_u64().unwrap_or(0);
            tally.duplicates += v["duplicates"].as_u64().unwrap_or(0);
            for r in v["results"].as_array().into_iter().flatten() {
                if let Some(reason) = r["reason"].as_str() {
                    *tally.rejected.entry(reason.to_string()).or_default() += 1;
                }
            }
            break;
        }
    }
    Ok(())
}

async fn stream(
    fa: FleetArgs,
    relayers: Vec<String>,
    window_secs: u64,
    backfill_secs: u64,
    duration_secs: u64,
    rate: u64,
    batch: usize,
) -> Result<()> {
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
                let body = serde_json::to_vec(&json!({ "readings": pending }))?;
                post_all(&client, &relayers, &body, &mut tallies).await?;
                sent += u64::try_from(pending.len())?;
                pending.clear();
                throttle(started, sent, rate).await;
            }
        }
        if !pending.is_empty() {
            let body = serde_json::to_vec(&json!({ "readings": pending }))?;
            post_all(&client, &relayers, &body, &mut tallies).await?;
            sent += u64::try_from(pending.len())?;
            pending.clear();
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
