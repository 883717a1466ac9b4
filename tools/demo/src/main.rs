//! `demo`: the whole system on the localnet, run by `scripts/demo.sh`.
//!
//! Deploys TOK, ECT, the reward pool and the mining round (rounds of `--round-secs`), funds
//! them, registers the simulated Cubes of `cube-sim` for their owners (user1..user4), starts
//! two relayers (oracle1, oracle2: own config, database and port) and `cube-sim stream`, then
//! every tick records content actions or an ad fee against the pool with the reporter key,
//! lets one holder claim TOK and ECT, and prints what the chain says. Ends on Ctrl-C / SIGTERM
//! or after `--rounds N`, stopping every child it started.
//!
//! The demo never attests: if the relayers do not get their votes on chain, it says so.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chain_client::mining_round::MiningRoundClient;
use chain_client::ChainClient;
use clap::Parser;
use cube_types::clock::RoundClock;
use cube_types::mining_round as mr;
use cube_types::reward_pool::ReceiveMsg;
use demo::chain::{Contracts, Units, View};
use demo::claims::{self, Claim};
use demo::fleet::{self, FleetSpec, Manifest};
use demo::localnet::LocalnetInfo;
use demo::params::{self, Overrides};
use demo::pool::{self, PoolDriver, PoolEvent, PoolPlan};
use demo::procs::ProcessGroup;
use demo::summary;
use demo::NOT_ATTESTING_BANNER;
use tokio::sync::watch;

#[derive(Parser, Debug)]
#[command(about = "Run the whole system on the localnet and print what the chain says")]
struct Args {
    /// Stop after this many rounds (and their attestation); default: run until Ctrl-C.
    #[arg(long, env = "DEMO_ROUNDS")]
    rounds: Option<u64>,
    /// Round length in seconds (the relayer accepts 60 and more).
    #[arg(long, env = "DEMO_ROUND_SECS", default_value_t = 60)]
    round_secs: u64,
    /// Halving cooldown of the pool, seconds.
    #[arg(long, env = "DEMO_COOLDOWN_SECS", default_value_t = 20)]
    cooldown_secs: u64,
    /// Seconds between two ticks (actions / ad fee, one claim, one status line).
    #[arg(long, env = "DEMO_TICK_SECS", default_value_t = 5)]
    tick_secs: u64,
    /// Simulated Cubes.
    #[arg(long, env = "DEMO_DEVICES", default_value_t = 6)]
    devices: usize,
    /// Length of a cube-sim reading window, seconds; must divide the round length.
    #[arg(long, env = "DEMO_WINDOW_SECS", default_value_t = 30)]
    window_secs: u64,
    /// Relayer grace after a round's end; the relayers aggregate a window plus this after it.
    #[arg(long, env = "DEMO_GRACE_SECS", default_value_t = 10)]
    grace_secs: u64,
    /// After the last round's end + grace, how long to wait for its finalization, seconds.
    #[arg(long, env = "DEMO_ATTEST_WAIT_SECS", default_value_t = 45)]
    attest_wait_secs: u64,
    /// The localnet's accounts file.
    #[arg(long, env = "DEMO_ACCOUNTS", default_value = ".localnet/accounts.json")]
    accounts: PathBuf,
    /// Wasm artifacts.
    #[arg(long, env = "DEMO_ARTIFACTS", default_value = "artifacts")]
    artifacts: PathBuf,
    /// Deployment parameters.
    #[arg(long, env = "DEMO_PARAMS", default_value = "tools/demo/demo.toml")]
    params: PathBuf,
    /// Logs, relayer configs and databases, the deployment file.
    #[arg(long, env = "DEMO_WORK_DIR", default_value = "target/demo")]
    work_dir: PathBuf,
    /// Directory holding the `relayer` and `cube-sim` binaries (default: this binary's own
    /// directory, where Cargo puts all three).
    #[arg(long, env = "DEMO_BIN_DIR")]
    bin_dir: Option<PathBuf>,
    /// Holders the demo never claims for (comma-separated names, e.g. `user4`): their TOK and
    /// ECT stay claimable, for a wallet (the web app's browser tests claim them).
    #[arg(long, env = "DEMO_NO_CLAIM", value_delimiter = ',')]
    no_claim: Vec<String>,
    /// HTTP port of the first relayer; the second uses the next one.
    #[arg(long, env = "DEMO_RELAYER_PORT", default_value_t = 18181)]
    relayer_port: u16,
}

const HOLDERS: [&str; 4] = ["user1", "user2", "user3", "user4"];
const ORACLES: [&str; 2] = ["oracle1", "oracle2"];
/// Rounds shown in a report (the latest ones).
const REPORT_ROUNDS: u64 = 5;
/// Consecutive ticks whose chain queries failed before the demo gives up.
const MAX_FAILED_TICKS: u32 = 6;

/// Seconds between the start of the setup and the earliest genesis (see `setup`).
const GENESIS_LEAD_SECS: u64 = 20;

/// Where the `relayer` and `cube-sim` binaries are: `--bin-dir`, else next to this binary.
fn bin_dir(args: &Args) -> PathBuf {
    args.bin_dir.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("."))
    })
}

fn say(line: impl AsRef<str>) {
    println!("[demo] {}", line.as_ref());
}

fn loud(line: impl AsRef<str>) {
    let bar = "!".repeat(78);
    println!("\n{bar}\n!!! {}\n{bar}\n", line.as_ref());
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        let signal = host_util::shutdown_signal().await;
        println!("\n[demo] {signal}: stop requested, finishing the current step ...");
        let _ = stop_tx.send(true);
    });
    run(args, stop_rx).await
}

/// What the setup produced.
struct Setup {
    info: LocalnetInfo,
    contracts: Contracts,
    deployment_file: PathBuf,
    logs: PathBuf,
    genesis: u64,
    fleet: Option<Manifest>,
    /// Symbols and decimals of TOK and ECT (from the deployment parameters).
    units: Units,
}

fn stopped(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow()
}

async fn run(args: Args, mut stop: watch::Receiver<bool>) -> Result<()> {
    let started = Instant::now();
    let work = args.work_dir.clone();
    let logs = work.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    for f in ["relayer1.sqlite", "relayer2.sqlite"] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(work.join(format!("{f}{suffix}")));
        }
    }
    if args.window_secs == 0
        || args.window_secs > 3600
        || !args.round_secs.is_multiple_of(args.window_secs)
    {
        bail!(
            "--window-secs {} must be in 1..=3600 and divide --round-secs {}",
            args.window_secs,
            args.round_secs
        );
    }
    let info = LocalnetInfo::load(&args.accounts)?;
    let operator = info.client("operator")?;
    operator
        .check_chain_id()
        .await
        .with_context(|| format!("is the localnet at {} running?", info.rest))?;
    let holders: Vec<(String, ChainClient)> = HOLDERS
        .iter()
        .map(|n| Ok((n.to_string(), info.client(n)?)))
        .collect::<Result<_>>()?;
    let names: BTreeMap<String, String> = info
        .accounts
        .iter()
        .map(|a| (a.address.clone(), a.name.clone()))
        .collect();

    let bin_dir = bin_dir(&args);
    let relayer_bin = bin_dir.join("relayer");
    let cube_sim_bin = bin_dir.join("cube-sim");
    let have_sim = cube_sim_bin.is_file();
    let have_relayer = relayer_bin.is_file();
    if !have_sim || !have_relayer {
        loud(format!(
            "{NOT_ATTESTING_BANNER}: relayer binaries missing in {} (relayer: {}, cube-sim: {}); \
             running the reward-pool part only",
            bin_dir.display(),
            have_relayer,
            have_sim
        ));
    }

    let setup = setup(&args, info, &operator, &holders, &logs, have_sim, &stop).await?;
    let view = View {
        client: &operator,
        contracts: &setup.contracts,
    };

    let mut group = ProcessGroup::new();
    let mut relayers_up = false;
    if let (true, true, Some(fleet)) = (have_sim, have_relayer, &setup.fleet) {
        match start_children(
            &args,
            &setup,
            fleet,
            &mut group,
            &relayer_bin,
            &cube_sim_bin,
        ) {
            Ok(()) => relayers_up = true,
            Err(e) => loud(format!(
                "{NOT_ATTESTING_BANNER}: could not start the relayers/cube-sim: {e:#}"
            )),
        }
    }
    say(format!(
        "ready after {:.1} s; ticks every {} s, rounds of {} s from {} UTC{}; Ctrl-C stops",
        started.elapsed().as_secs_f64(),
        args.tick_secs,
        args.round_secs,
        summary::clock(setup.genesis),
        args.rounds
            .map(|n| format!(", stopping after {n} rounds"))
            .unwrap_or_default()
    ));

    // Set by scripts/demo.sh when it serves the web app next to the demo.
    let web_url = std::env::var("DEMO_WEB_URL").ok().filter(|u| !u.is_empty());
    if let Some(url) = &web_url {
        say(format!("web app: {url}"));
    }

    let reference_pool = view.pool().config().await?.reference_pool.u128();
    let plan = PoolPlan {
        users: holders
            .iter()
            .zip([40u64, 30, 20, 10])
            .map(|((_, c), n)| (c.address(), n))
            .collect(),
        refill_at_level: 2,
        refill_target: reference_pool.saturating_add(reference_pool / 10),
    };
    let units = &setup.units;
    let mut driver = PoolDriver::new(&operator, &setup.contracts, plan, 1);
    let mut claims: Vec<Claim> = Vec::new();
    let mut tick: u64 = 0;
    let mut reported_round: Option<u64> = None;
    let mut votes_seen = false;
    let mut warned_not_attesting = false;
    let mut failures = 0u32;
    let mut result: Result<()> = Ok(());
    let last_round = args.rounds.map(|n| n.saturating_sub(1));
    let clock = RoundClock {
        genesis: setup.genesis,
        duration: args.round_secs,
    };
    // Past the end of time (overflow) a round never ends.
    let round_end = |r: u64| clock.end(r).unwrap_or(u64::MAX);

    while !stopped(&stop) {
        let tick_started = Instant::now();
        tick = tick.saturating_add(1);
        // 1. the pool
        match driver.tick().await {
            Ok(PoolEvent::Actions {
                batch_id,
                actions,
                rewarded,
                levels,
                ..
            }) => {
                let change = if levels.0 != levels.1 {
                    format!("  >>> HALVING: level {} -> {}", levels.0, levels.1)
                } else {
                    String::new()
                };
                say(format!(
                    "reporter batch {batch_id}: {actions} content actions credited {}{change}",
                    units.tok.tokens(rewarded)
                ));
            }
            Ok(PoolEvent::AdFee {
                campaign,
                amount,
                levels,
                ..
            }) => say(format!(
                "advertiser paid {} ad fee ({campaign})  >>> REVERSAL: level {} -> {}",
                units.tok.tokens(amount),
                levels.0,
                levels.1
            )),
            Err(e) => say(format!("pool step failed: {e}")),
        }
        // 2. one holder claims
        let idx = usize::try_from(tick).unwrap_or(0) % holders.len();
        let (holder, client) = &holders[idx];
        let claimers = if args.no_claim.contains(holder) {
            Vec::new()
        } else {
            vec![
                claims::claim_tok(holder, client, &setup.contracts).await,
                claims::claim_ect(holder, client, &setup.contracts).await,
            ]
        };
        for result in claimers {
            match result {
                Ok(Some(c)) => {
                    say(format!(
                        "{} claimed {}{}",
                        c.holder,
                        units.of(c.token).tokens(c.amount),
                        if c.rounds.is_empty() {
                            String::new()
                        } else {
                            format!(" for rounds {:?}", c.rounds)
                        }
                    ));
                    claims.push(c);
                }
                Ok(None) => {}
                Err(e) => say(format!("{holder}: claim failed: {e}")),
            }
        }
        // 3. children
        for ex in group.reap() {
            loud(format!(
                "{} exited ({}), see {}",
                ex.name,
                ex.status,
                ex.log.display()
            ));
        }
        // 4. rounds, and whether we are done; a chain that stays unreachable ends the demo.
        let observed = async {
            let cur = view.mining().current_round().await?;
            let now = cur.now;
            let current = cur.round.unwrap_or(0);
            let state = view.pool().state().await?;
            say(format!(
                "round {current} ({} s left) | {}",
                cur.end.unwrap_or(now).saturating_sub(now),
                summary::pool_line(&state, &units.tok)
            ));
            if let (false, Some(f)) = (votes_seen, current.checked_sub(1)) {
                for r in f.saturating_sub(2)..=f {
                    if summary::votes(&view.mining().round(r).await?) > 0 {
                        votes_seen = true;
                    }
                }
                let deadline = round_end(0)
                    .saturating_add(aggregation_delay(&args))
                    .saturating_add(args.attest_wait_secs);
                if !votes_seen && !warned_not_attesting && now >= deadline {
                    warned_not_attesting = true;
                    loud(format!(
                        "{NOT_ATTESTING_BANNER}: no oracle vote for round 0 {} s after its end. \
                         The relayers ingest and aggregate (see {}), but no vote reached the \
                         chain; rounds cannot finalize. The pool part runs on.",
                        now.saturating_sub(round_end(0)),
                        setup.logs.display()
                    ));
                }
            }
            if reported_round != Some(current) && tick > 1 {
                reported_round = Some(current);
                let first = current.saturating_sub(REPORT_ROUNDS - 1);
                print!(
                    "{}",
                    summary::report(&view, &names, units, first, current, &claims).await?
                );
                if let Some(url) = &web_url {
                    say(format!(
                        "web app: {url}  (pool, rounds, my rewards with a Keplr wallet)"
                    ));
                }
            }
            let mut done = false;
            if let Some(last) = last_round {
                let end = round_end(last);
                if now >= end {
                    let last_final = view.mining().round(last).await?.summary.status
                        == mr::RoundStatus::Finalized;
                    let waited_out = now
                        >= end.saturating_add(
                            aggregation_delay(&args).saturating_add(args.attest_wait_secs),
                        );
                    done = !relayers_up || last_final || waited_out;
                }
            }
            Ok::<bool, anyhow::Error>(done)
        };
        match observed.await {
            Ok(true) => {
                say(format!("{} rounds done", args.rounds.unwrap_or(0)));
                break;
            }
            Ok(false) => failures = 0,
            Err(e) => {
                failures += 1;
                say(format!("chain query failed ({failures} in a row): {e}"));
                if failures >= MAX_FAILED_TICKS {
                    result = Err(e.context("the chain stopped answering"));
                    break;
                }
            }
        }
        let rest = Duration::from_secs(args.tick_secs).saturating_sub(tick_started.elapsed());
        tokio::select! {
            _ = tokio::time::sleep(rest) => {}
            _ = stop.changed() => {}
        }
    }

    if let Ok(cur) = view.mining().current_round().await {
        let current = cur.round.unwrap_or(0);
        let first = current.saturating_sub(REPORT_ROUNDS - 1);
        match summary::report(&view, &names, units, first, current, &claims).await {
            Ok(report) => print!("{report}"),
            Err(e) => say(format!("final report failed: {e}")),
        }
    }
    if !votes_seen {
        loud(format!(
            "{NOT_ATTESTING_BANNER}: no round received an oracle vote during this demo"
        ));
    }
    say("stopping relayers and cube-sim ...");
    for (name, status) in group.shutdown(Duration::from_secs(10)) {
        say(format!("  {name}: {status}"));
    }
    say(format!(
        "done in {:.0} s. deployment: {}  logs: {}",
        started.elapsed().as_secs_f64(),
        setup.deployment_file.display(),
        setup.logs.display()
    ));
    result
}

async fn setup(
    args: &Args,
    info: LocalnetInfo,
    operator: &ChainClient,
    holders: &[(String, ChainClient)],
    logs: &Path,
    have_sim: bool,
    stop: &watch::Receiver<bool>,
) -> Result<Setup> {
    let work = &args.work_dir;
    let owners: Vec<String> = holders.iter().map(|(_, c)| c.address()).collect();
    let owners_file = work.join("owners.txt");
    fleet::write_owners(&owners_file, &owners)?;
    let mut spec = FleetSpec {
        cube_sim: bin_dir(args).join("cube-sim"),
        devices: args.devices,
        owners_file,
        chain_id: info.chain_id.clone(),
        contract: "pending".into(),
    };
    let manufacturer_key = if have_sim {
        let m = fleet::generate(&spec, &work.join("devices.json"))?;
        Some(m.manufacturer_pubkey)
    } else {
        None
    };

    // Round 0 starts at a window boundary, so reading windows never straddle rounds. Devices
    // registered while a round runs count from the next round, those registered
    // before genesis from round 0: genesis is the first boundary at least GENESIS_LEAD_SECS
    // ahead, after the setup below (about 10 s) has registered the fleet.
    let block = operator.latest_block().await?;
    let genesis = block
        .time_seconds()
        .saturating_add(GENESIS_LEAD_SECS)
        .div_ceil(args.window_secs)
        .saturating_mul(args.window_secs);
    let overrides = Overrides {
        round_secs: args.round_secs,
        genesis_time: genesis,
        cooldown_secs: args.cooldown_secs,
        manufacturer_key,
    };
    let deploy_params = params::load(&args.params, &overrides)?;
    let units = Units::from_params(&deploy_params)?;
    say(format!(
        "deploying to {} as operator {} ...",
        info.chain_id,
        operator.address()
    ));
    let t = Instant::now();
    let deployment = deploy::deploy(
        operator,
        &deploy_params,
        &args.artifacts,
        &info.names(),
        |l| say(format!("  {l}")),
    )
    .await
    .context("deployment")?;
    let deployment_file = work.join("deployment.json");
    deployment.write(&deployment_file)?;
    let contracts = Contracts::from_deployment(&deployment)?;
    say(format!(
        "deployed in {:.1} s -> {}",
        t.elapsed().as_secs_f64(),
        deployment_file.display()
    ));
    if stopped(stop) {
        bail!("stopped during setup");
    }
    let view = View {
        client: operator,
        contracts: &contracts,
    };

    // Funding: the treasury tops the pool up to S; the mining round gets ECT for its rounds.
    let s = view.pool().config().await?.reference_pool.u128();
    pool::send_to_pool(operator, &contracts, s, &ReceiveMsg::Fund {}).await?;
    let round_cfg = view.mining().config().await?;
    let ect_fund = round_cfg.round_reward.u128().saturating_mul(20);
    view.ect()
        .send(&contracts.round, ect_fund, &mr::ReceiveMsg::Fund {})
        .await?;
    say(format!(
        "funded: pool {} (level {}), mining round {} (unlocked {})",
        units.tok.tokens(s),
        view.pool().state().await?.level,
        units.ect.tokens(ect_fund),
        units
            .ect
            .amount(view.mining().funds().await?.unlocked.u128())
    ));

    // Devices: each owner registers its own Cubes.
    let mut manifest = None;
    if have_sim {
        spec.contract = contracts.round.clone();
        let m = fleet::generate(&spec, &work.join("devices.json"))?;
        for r in &m.devices {
            let (_, client) = holders
                .iter()
                .find(|(_, c)| c.address() == r.owner)
                .with_context(|| format!("device {} has an unknown owner", r.serial))?;
            MiningRoundClient::new(client, &contracts.round)
                .register_device(r)
                .await?;
        }
        for (name, client) in holders {
            let d = view
                .mining()
                .devices_by_owner(&client.address(), None, Some(demo::chain::PAGE))
                .await?;
            say(format!(
                "{name}: {} CubeV1 + {} CubeV2 registered{}",
                d.cube_v1,
                d.cube_v2,
                if d.dual_product {
                    " (both models: M3 = 1.3)"
                } else {
                    ""
                }
            ));
        }
        manifest = Some(m);
    }
    Ok(Setup {
        info,
        contracts,
        deployment_file,
        logs: logs.to_path_buf(),
        genesis: round_cfg.genesis_time,
        fleet: manifest,
        units,
    })
}

/// The configuration of relayer `i` (oracle `i`), listening on `port`, with `peers`.
fn relayer_config(
    args: &Args,
    setup: &Setup,
    i: usize,
    port: u16,
    peers: &[String],
) -> Result<relayer::config::Config> {
    let work = &args.work_dir;
    Ok(relayer::config::Config::builder(
        &setup.info.chain_id,
        &setup.contracts.round,
        setup.genesis,
    )
    .rest_url(&setup.info.rest)
    .rpc_url(&setup.info.rpc)
    .mnemonic_file(abs(&work.join(format!("oracle{i}.mnemonic"))))
    .store_path(abs(&work.join(format!("relayer{i}.sqlite"))))
    .synchronous_normal()
    .listen_local(port)
    .round_duration_secs(args.round_secs)
    .grace_secs(args.grace_secs)
    // cube-sim delivers every reading as its window closes, so a round is complete one
    // window plus the grace after its end (the relayer's default waits a full window).
    .aggregation_delay_secs(aggregation_delay(args))
    .peers(peers.iter().cloned())
    .static_devices(abs(&work.join("devices.json")))
    .battery_whitelist(["WL-BAT-A", "WL-BAT-B"])
    .log_format("text")
    .log_level("info")
    .build()?)
}

/// Seconds after a round's end before the demo's relayers aggregate it.
fn aggregation_delay(args: &Args) -> u64 {
    args.window_secs.saturating_add(args.grace_secs)
}

fn abs(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn start_children(
    args: &Args,
    setup: &Setup,
    fleet: &Manifest,
    group: &mut ProcessGroup,
    relayer_bin: &Path,
    cube_sim_bin: &Path,
) -> Result<()> {
    let mut urls = Vec::new();
    for (i, oracle) in ORACLES.iter().enumerate() {
        let n = i + 1;
        let port = args
            .relayer_port
            .checked_add(u16::try_from(i)?)
            .context("relayer port overflows")?;
        let account = setup.info.account(oracle)?;
        let mnemonic_file = args.work_dir.join(format!("oracle{n}.mnemonic"));
        host_util::replace_secret_file(&mnemonic_file, account.mnemonic.as_bytes())
            .with_context(|| format!("writing {}", mnemonic_file.display()))?;
        let config = args.work_dir.join(format!("relayer{n}.toml"));
        let peers: Vec<String> = (0..ORACLES.len())
            .filter(|j| *j != i)
            .map(|j| {
                let peer_port = u16::try_from(j)
                    .ok()
                    .and_then(|j| args.relayer_port.checked_add(j))
                    .context("relayer port overflows")?;
                Ok(format!("http://127.0.0.1:{peer_port}"))
            })
            .collect::<Result<_>>()?;
        relayer_config(args, setup, n, port, &peers)?.write(&config)?;
        let mut cmd = Command::new(relayer_bin);
        cmd.arg("run").arg("--config").arg(&config);
        let log = setup.logs.join(format!("relayer{n}.log"));
        let pid = group.spawn(&format!("relayer{n}"), cmd, &log)?;
        say(format!(
            "relayer{n} ({oracle} {}) pid {pid} on 127.0.0.1:{port}, log {}",
            account.address,
            log.display()
        ));
        urls.push((port, format!("http://127.0.0.1:{port}")));
    }
    for (port, url) in &urls {
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(ex) = group.reap().first() {
                bail!(
                    "{} exited ({}), see {}",
                    ex.name,
                    ex.status,
                    ex.log.display()
                );
            }
            if Instant::now() > deadline {
                bail!("{url} not listening after 20 s");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    let spec = FleetSpec {
        cube_sim: cube_sim_bin.to_path_buf(),
        devices: fleet.devices.len(),
        owners_file: args.work_dir.join("owners.txt"),
        chain_id: setup.info.chain_id.clone(),
        contract: setup.contracts.round.clone(),
    };
    let duration = args
        .rounds
        .map(|n| n.saturating_add(3).saturating_mul(args.round_secs))
        .unwrap_or(7 * 86_400);
    let mut cmd = Command::new(cube_sim_bin);
    cmd.arg("stream").args(spec.args());
    for (_, url) in &urls {
        cmd.arg("--relayer").arg(url);
    }
    cmd.args([
        "--window-secs",
        &args.window_secs.to_string(),
        "--backfill-secs",
        "0",
        "--rate",
        "1000",
    ])
    .arg("--duration-secs")
    .arg(duration.to_string());
    let log = setup.logs.join("cube-sim.log");
    let pid = group.spawn("cube-sim", cmd, &log)?;
    say(format!(
        "cube-sim pid {pid}: {} devices streaming signed readings every {} s to both relayers, log {}",
        fleet.devices.len(),
        args.window_secs,
        log.display()
    ));
    Ok(())
}
