//! `relayer-bench`: the relayer's benchmarks; prints figures, asserts nothing. Build with
//! `--profile native` (see `scripts/bench-relayer.sh`).
//!
//! ```text
//! relayer-bench [--devices 2000] [--per-device 50] [--batch 500] [--clients 8,64]
//!               [--verify 20000] [--agg-devices 10000] [--agg-readings 1000000]
//!               [--peer-devices 100000] [--no-peer-pages]
//!               [--quota-keys 1000000] [--quota-budget-secs 60] [--no-quota]
//! ```

mod bench;

use anyhow::Result;
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "relayer-bench",
    version,
    about = "Relayer benchmarks (build with --profile native); prints figures"
)]
struct Cli {
    /// Devices in the ingest benchmark.
    #[arg(long, default_value_t = 2_000)]
    devices: usize,
    /// Readings per device in the ingest benchmark.
    #[arg(long, default_value_t = 50)]
    per_device: usize,
    /// Readings per HTTP request.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Concurrent HTTP clients; a comma-separated list runs the ingest benchmark once per
    /// value (durable ingest is bound by group-commit latency at low concurrency).
    #[arg(long, value_delimiter = ',', default_values_t = [8, 64])]
    clients: Vec<usize>,
    /// Signatures for the raw verification rate.
    #[arg(long, default_value_t = 20_000)]
    verify: usize,
    /// Devices in the aggregation benchmark.
    #[arg(long, default_value_t = 10_000)]
    agg_devices: usize,
    /// Readings in the aggregation benchmark.
    #[arg(long, default_value_t = 1_000_000)]
    agg_readings: usize,
    /// Devices in the peer-page benchmark (one reading each in the paged round).
    #[arg(long, default_value_t = 100_000)]
    peer_devices: usize,
    /// Skip the peer-page benchmark.
    #[arg(long)]
    no_peer_pages: bool,
    /// Distinct devices in the quota-check benchmark.
    #[arg(long, default_value_t = 1_000_000)]
    quota_keys: usize,
    /// Time budget of each phase of the quota-check benchmark, seconds (a phase stops early
    /// and says so when it runs out).
    #[arg(long, default_value_t = 60)]
    quota_budget_secs: u64,
    /// Skip the quota-check benchmark.
    #[arg(long)]
    no_quota: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let ingest: Vec<bench::IngestBench> = cli
        .clients
        .iter()
        .map(|&clients| bench::IngestBench {
            devices: cli.devices,
            per_device: cli.per_device,
            batch: cli.batch,
            clients,
        })
        .collect();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench::run_all(
            &ingest,
            cli.verify,
            cli.agg_devices,
            cli.agg_readings,
            bench::ServingBenches {
                peer_devices: (!cli.no_peer_pages).then_some(cli.peer_devices),
                quota_keys: (!cli.no_quota).then_some(cli.quota_keys),
                quota_budget: std::time::Duration::from_secs(cli.quota_budget_secs),
            },
        ))?;
    Ok(())
}
