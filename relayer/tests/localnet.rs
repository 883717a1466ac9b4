//! End to end on the real localnet (`.localnet/accounts.json` written by the project's
//! localnet script): deploy ECT + mining-round (60 s rounds, oracles oracle1 + oracle2,
//! quorum 2, 2 owners per batch), register 50 simulated Cubes for the four user accounts,
//! run two `relayer` processes with separate databases and keys, feed both the same signed
//! readings, wait for the round to finalize, claim, and compare every owner's score and ECT
//! payout with an independent computation from the raw readings.
//!
//! Needs the running localnet, so it is ignored by default:
//! `cargo test -p relayer --test localnet -- --ignored --nocapture`
//! (`LOCALNET_DIR` overrides the default `<workspace>/.localnet`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test crate: failures are panics

mod common;

use common::free_port;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chain_client::cw20::Cw20Client;
use chain_client::localnet::LocalnetInfo;
use chain_client::mining_round::MiningRoundClient;
use chain_client::ChainClient;
use chrono::{TimeZone, Timelike};
use cosmwasm_std::{Binary, Uint128};
use cube_scoring::{DeviceModel, RatedPower};
use cube_sim::{window_reading, Fleet, FleetSpec, SimDevice};
use cube_types::mining_round::{
    BatchResponse, HashTally, InstantiateMsg, ReceiveMsg, RoundResponse, RoundStatus,
};
use deploy::DeployParams;
use relayer::config::Config;
use relayer::telemetry::{Domain, ReadingJson, SignedReading};
use serde_json::{json, Value};

const ROUND_SECS: u64 = 60;
const WINDOW_SECS: u64 = 30;
const DEVICES: usize = 50;
const REWARD: u128 = 1_000_000_000;

fn localnet_dir() -> PathBuf {
    std::env::var("LOCALNET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(".localnet")
        })
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Kills the child process when dropped (also when the test fails).
use common::KillOnDrop as Proc;

/// The default time-of-use table (`docs/spec.md` §2.4), written out independently of cube-scoring.
fn tou_bp(hour: u32) -> u128 {
    match hour {
        0..=7 => 5_000,
        8..=9 => 10_000,
        10..=11 => 13_500,
        12..=13 => 10_000,
        14..=18 => 13_500,
        19..=20 => 10_000,
        _ => 5_000,
    }
}

/// A deployed mining-round with a registered fleet.
struct E2e {
    info: LocalnetInfo,
    operator: ChainClient,
    chain_id: String,
    mining: String,
    ect: String,
    fleet: Fleet,
    genesis: u64,
    tmp: tempfile::TempDir,
}

const USERS: [&str; 4] = ["user1", "user2", "user3", "user4"];

async fn deploy(max_entries_per_batch: u32, register_with_cli: bool) -> E2e {
    deploy_with(
        max_entries_per_batch,
        register_with_cli,
        &["oracle1", "oracle2"],
        60,
        None,
    )
    .await
}

/// Deploys with the given oracles (quorum 2); round 0 starts at the first minute boundary at
/// least `genesis_lead` seconds after the latest block. `rated_power`: the contract's rated
/// power (`None`: the contract's default).
async fn deploy_with(
    max_entries_per_batch: u32,
    register_with_cli: bool,
    oracles: &[&str],
    genesis_lead: u64,
    rated_power: Option<RatedPower>,
) -> E2e {
    // The simulator binary is built on first use: build it before round 0 is scheduled, so
    // the registrations land before genesis (a device registered during round 0 only counts
    // from round 1).
    let cube_sim = register_with_cli.then(common::cube_sim_bin);
    let dir = localnet_dir();
    let info = LocalnetInfo::load(&dir.join("accounts.json")).unwrap();
    let chain_id = info.chain_id.clone();
    let operator = info.client("operator").unwrap();
    let owners: Vec<String> = USERS
        .iter()
        .map(|n| info.account(n).unwrap().address.clone())
        .collect();

    let fleet = Fleet::with_owners(
        &FleetSpec {
            devices: DEVICES,
            seed: 2026,
            owner_prefix: String::new(),
        },
        &owners,
    );
    let block = operator.latest_block().await.unwrap();
    let earliest = block.time_seconds() + genesis_lead;
    let genesis = earliest + (60 - earliest % 60) % 60;
    // The deploy library with the localnet parameters (TOK, ECT, the reward pool) and this
    // test's mining round; `@ect` is resolved by the deployment.
    let mut params = DeployParams::load(&repo_root().join("deploy/localnet.toml")).unwrap();
    params.label_prefix = "relayer-e2e".into();
    params
        .set_mining_round(&InstantiateMsg {
            owner: None,
            reward_token: "@ect".into(),
            round_reward: Uint128::new(REWARD),
            genesis_time: Some(genesis),
            round_duration: Some(ROUND_SECS),
            attestation_window: Some(600),
            claim_window: Some(3_600),
            oracles: oracles
                .iter()
                .map(|o| info.account(o).unwrap().address.clone())
                .collect(),
            quorum: 2,
            manufacturer_keys: vec![Binary::from(
                fleet.manufacturer.verifying_key().to_bytes().to_vec(),
            )],
            battery_whitelist: cube_sim::WHITELISTED_BATTERIES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            policy: None,
            rated_power,
            max_entries_per_batch: Some(max_entries_per_batch),
            max_claim_rounds: None,
            guardian: None,
            attestation_mode: None,
            challenge_window: None,
            dispute_bond_bps: None,
        })
        .unwrap();
    let deployment = deploy::deploy(
        &operator,
        &params,
        &repo_root().join("artifacts"),
        &info.names(),
        |line| eprintln!("[deploy] {line}"),
    )
    .await
    .unwrap();
    let ect = deployment.address("ect").unwrap().to_string();
    let mining = deployment.address("mining_round").unwrap().to_string();
    Cw20Client::new(&operator, &ect)
        .send(&mining, REWARD * 2, &ReceiveMsg::Fund {})
        .await
        .unwrap();

    if let Some(cube_sim) = cube_sim {
        // The simulator's own `register` command, owners from accounts.json.
        let out = Command::new(cube_sim)
            .args([
                "register",
                "--devices",
                &DEVICES.to_string(),
                "--seed",
                "2026",
            ])
            .args(["--chain-id", &chain_id, "--contract", &mining])
            .arg("--accounts-json")
            .arg(dir.join("accounts.json"))
            .args(["--owner-names", &USERS.join(",")])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("registered {DEVICES} devices")),
            "{text}"
        );
    } else {
        // Register the fleet: one task per owner (their txs are sequential).
        let mut regs = Vec::new();
        for name in USERS {
            let c = info.client(name).unwrap();
            let mine: Vec<SimDevice> = fleet
                .devices
                .iter()
                .filter(|d| d.owner == info.account(name).unwrap().address)
                .cloned()
                .collect();
            let (mining, chain_id) = (mining.clone(), chain_id.clone());
            regs.push(tokio::spawn(async move {
                let contract = MiningRoundClient::new(&c, &mining);
                for d in mine {
                    let registration = cube_sim::registration(&d, &chain_id, &mining);
                    contract.register_device(&registration).await.unwrap();
                }
            }));
        }
        for r in regs {
            r.await.unwrap();
        }
    }
    E2e {
        info,
        operator,
        chain_id,
        mining,
        ect,
        fleet,
        genesis,
        tmp: tempfile::tempdir().unwrap(),
    }
}

impl E2e {
    /// The mining round, queried (and claimed from) as the operator.
    fn mr(&self) -> MiningRoundClient<'_> {
        MiningRoundClient::new(&self.operator, &self.mining)
    }

    /// The configuration every relayer of these tests starts from: oracle `oracle`'s key,
    /// database `i`, listening on `port`, one-second device refresh, 10 s grace, 2 s polls.
    fn base_config(&self, i: usize, oracle: &str, port: u16) -> relayer::config::ConfigBuilder {
        Config::builder(&self.chain_id, &self.mining, self.genesis)
            .rest_url(&self.info.rest)
            .gas_price(&self.info.gas_price)
            .device_refresh_secs(1)
            .mnemonic(&self.info.account(oracle).unwrap().mnemonic)
            .store_path(self.db(i))
            .listen_local(port)
            .round_duration_secs(ROUND_SECS)
            .grace_secs(10)
            .poll_secs(2)
    }

    /// Writes relayer `i`'s config (oracle `oracle`, port chosen now) and returns (config
    /// path, url).
    fn relayer_config(&self, i: usize, oracle: &str) -> (PathBuf, String) {
        let port = free_port();
        let cfg = self
            .base_config(i, oracle, port)
            // Readings of the whole (future) round are sent at once, so allow the round's
            // length ahead.
            .clock_skew_secs(300)
            // Every reading is sent before the round ends: aggregate right after the grace.
            .aggregation_delay_secs(10)
            .build()
            .unwrap();
        let path = self.tmp.path().join(format!("r{i}.toml"));
        cfg.write(&path).unwrap();
        (path, format!("http://127.0.0.1:{port}"))
    }

    fn db(&self, i: usize) -> PathBuf {
        self.tmp.path().join(format!("r{i}.sqlite"))
    }

    fn log(&self, i: usize) -> PathBuf {
        self.tmp.path().join(format!("r{i}.log"))
    }

    /// Starts relayer `i` with oracle key `oracle`; waits until it serves every device.
    async fn start(&self, i: usize, oracle: &str, config: &PathBuf, url: &str) -> Proc {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log(i))
            .unwrap();
        // RELAYER_BIN: run a copy of the binary (a shared target directory may be rebuilt by
        // another checkout while a long test runs).
        let bin = std::env::var("RELAYER_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_relayer").to_string());
        let child = Command::new(bin)
            .args(["run", "--config"])
            .arg(config)
            .env(
                "RELAYER__OPERATOR__MNEMONIC",
                &self.info.account(oracle).unwrap().mnemonic,
            )
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(format!("{url}/health")).send().await {
                let v: Value = r.json().await.unwrap_or(Value::Null);
                if v["devices"].as_u64() == Some(DEVICES as u64) {
                    break;
                }
            }
            if Instant::now() >= deadline {
                eprintln!(
                    "--- relayer {i} log ---\n{}",
                    std::fs::read_to_string(self.log(i)).unwrap_or_default()
                );
                panic!("relayer {url} not ready");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Proc(child)
    }

    /// Every device's reading for every 30 s window of round 0.
    fn readings(&self) -> Vec<(usize, SignedReading)> {
        let domain = Domain::new(&self.chain_id, &self.mining);
        let rated = RatedPower::default();
        let mut out = Vec::new();
        for (i, d) in self.fleet.devices.iter().enumerate() {
            let mut t = self.genesis;
            while t < self.genesis + ROUND_SECS {
                out.push((
                    i,
                    window_reading(d, i, 2026, &domain, &rated, t, t + WINDOW_SECS),
                ));
                t += WINDOW_SECS;
            }
        }
        out
    }

    async fn feed(&self, url: &str, readings: &[(usize, SignedReading)]) {
        let body = json!({"readings": readings.iter().map(|(_, r)| ReadingJson::from(r)).collect::<Vec<_>>()});
        let v: Value = reqwest::Client::new()
            .post(format!("{url}/v1/readings"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["accepted"].as_u64(), Some(readings.len() as u64), "{v}");
    }

    async fn round(&self) -> RoundResponse {
        self.mr().round(0).await.unwrap()
    }

    /// Every batch of round 0 that has votes (one page is enough for these tests).
    async fn batches(&self) -> Vec<BatchResponse> {
        let page = self.mr().batches(0, None, Some(100)).await.unwrap();
        assert_eq!(page.next, None);
        page.batches
    }

    async fn wait_finalized(&self) -> RoundResponse {
        self.wait_round_finalized(0, Instant::now() + Duration::from_secs(300), 2)
            .await
    }

    /// Polls round `round` until it is finalized; past `deadline` prints the logs of relayers
    /// `0..relayers` and fails.
    async fn wait_round_finalized(
        &self,
        round: u64,
        deadline: Instant,
        relayers: usize,
    ) -> RoundResponse {
        loop {
            let r = self.mr().round(round).await.unwrap();
            if r.summary.status == RoundStatus::Finalized {
                return r;
            }
            if Instant::now() > deadline {
                for i in 0..relayers {
                    eprintln!(
                        "--- relayer {i} log ---\n{}",
                        std::fs::read_to_string(self.log(i)).unwrap_or_default()
                    );
                }
                panic!("round {round} not finalized: {r:?}");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn ect_balance(&self, owner: &str) -> u128 {
        Cw20Client::new(&self.operator, &self.ect)
            .balance(owner)
            .await
            .unwrap()
    }

    /// Checks total score, each owner's score, and each owner's claimed ECT against an
    /// independent computation from the raw readings.
    async fn check_scores_and_claims(
        &self,
        round: &RoundResponse,
        readings: &[(usize, SignedReading)],
    ) {
        let mut models: HashMap<&str, (bool, bool)> = HashMap::new();
        for d in &self.fleet.devices {
            let e = models.entry(d.owner.as_str()).or_default();
            match d.model {
                DeviceModel::CubeV1 => e.0 = true,
                DeviceModel::CubeV2 => e.1 = true,
            }
        }
        let mut weighted: BTreeMap<String, u128> = BTreeMap::new();
        for (i, r) in readings {
            let d = &self.fleet.devices[*i];
            let tz: chrono_tz::Tz = d.timezone.parse().unwrap();
            let hour = tz
                .timestamp_opt(i64::try_from(r.reading.window_start).unwrap(), 0)
                .single()
                .unwrap()
                .hour();
            let m1: u128 = if cube_sim::WHITELISTED_BATTERIES.contains(&d.battery_id.as_str()) {
                12_000
            } else {
                10_000
            };
            *weighted.entry(d.owner.clone()).or_default() +=
                u128::from(r.reading.discharged_wh) * m1 * tou_bp(hour);
        }
        let scores: BTreeMap<String, u128> = weighted
            .iter()
            .map(|(o, w)| {
                let (v1, v2) = models[o.as_str()];
                let m3: u128 = if v1 && v2 { 13_000 } else { 10_000 };
                (o.clone(), m3 * w / 1_000_000)
            })
            .collect();
        let total: u128 = scores.values().sum();
        assert_eq!(round.summary.total_score.u128(), total);
        for name in USERS {
            let owner = &self.info.account(name).unwrap().address;
            let s = self.mr().score(0, owner).await.unwrap();
            assert_eq!(s.score.u128(), scores[owner], "score of {name}");
            let expected = REWARD * scores[owner] / total;
            let before = self.ect_balance(owner).await;
            let holder = self.info.client(name).unwrap();
            MiningRoundClient::new(&holder, &self.mining)
                .claim(None)
                .await
                .unwrap();
            let after = self.ect_balance(owner).await;
            assert_eq!(after - before, expected, "payout of {name}");
            eprintln!("{name}: score {} payout {expected}", scores[owner]);
        }
    }
}

fn sigterm_and_wait(procs: Vec<Proc>) {
    for p in &procs {
        let _ = Command::new("kill")
            .args(["-TERM", &p.0.id().to_string()])
            .status();
    }
    for mut p in procs {
        let status = p.0.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the running localnet (scripts/localnet.sh)"]
async fn two_relayers_finalize_a_round_and_owners_are_paid_exactly() {
    let e = deploy(2, true).await;
    let mut procs = Vec::new();
    let mut urls = Vec::new();
    for (i, oracle) in ["oracle1", "oracle2"].iter().enumerate() {
        let (cfg, url) = e.relayer_config(i, oracle);
        procs.push(e.start(i, oracle, &cfg, &url).await);
        urls.push(url);
    }
    let readings = e.readings();
    for url in &urls {
        e.feed(url, &readings).await;
    }
    let round = e.wait_finalized().await;
    // 4 owners, 2 per batch; both oracles agreed on each batch.
    assert_eq!(round.summary.batch_count, Some(2));
    assert_eq!(round.summary.accepted_batches, 2);
    let batches = e.batches().await;
    assert_eq!(batches.len(), 2);
    for b in &batches {
        // One hash per batch, accepted, with both oracles' votes.
        assert_eq!(b.tallies.len(), 1, "{b:?}");
        assert_eq!(Some(&b.tallies[0].batch_hash), b.accepted_hash.as_ref());
        assert_eq!(b.tallies[0].votes, 2, "{b:?}");
    }
    // The read API forwards the on-chain leaderboard and scores.
    let lb: Value = reqwest::get(format!("{}/v1/rounds/0/leaderboard?limit=10", urls[0]))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = lb["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 4, "{lb}");
    let top = entries[0]["owner"].as_str().unwrap().to_string();
    let s: Value = reqwest::get(format!("{}/v1/rounds/0/scores/{top}", urls[1]))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["score"], entries[0]["score"], "{s}");
    let r: Value = reqwest::get(format!("{}/v1/rounds/0", urls[0]))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["on_chain"]["summary"]["status"], "finalized", "{r}");
    assert_eq!(r["progress"]["batch_count"], 2, "{r}");
    e.check_scores_and_claims(&round, &readings).await;
    sigterm_and_wait(procs);
}

/// SIGKILL one relayer as soon as it has recorded its first submission; after a restart on the
/// same database the round finalizes, every batch carries exactly the two oracles' votes (no
/// vote lost or doubled) and the payouts are exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the running localnet (scripts/localnet.sh)"]
async fn relayer_killed_during_submission_resumes_without_lost_or_double_votes() {
    let e = deploy(1, false).await;
    let (cfg0, url0) = e.relayer_config(0, "oracle1");
    let (cfg1, url1) = e.relayer_config(1, "oracle2");
    let p0 = e.start(0, "oracle1", &cfg0, &url0).await;
    let p1 = e.start(1, "oracle2", &cfg1, &url1).await;
    let readings = e.readings();
    e.feed(&url0, &readings).await;
    e.feed(&url1, &readings).await;

    // Watch relayer 0's database; kill -9 at its first submission record.
    let deadline = Instant::now() + Duration::from_secs(200);
    let seen = loop {
        let n = rusqlite::Connection::open(e.db(0))
            .and_then(|c| {
                c.query_row(
                    "SELECT COUNT(*) FROM submissions WHERE kind != 'pending'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
            })
            .unwrap_or(0);
        if n > 0 {
            break n;
        }
        assert!(
            Instant::now() < deadline,
            "relayer 0 never started submitting"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    drop(p0); // SIGKILL
    let before = e.round().await;
    eprintln!(
        "killed relayer 0 after {seen} submission record(s); accepted so far {}",
        before.summary.accepted_batches
    );
    let p0 = e.start(0, "oracle1", &cfg0, &url0).await;
    let round = e.wait_finalized().await;
    assert_eq!(round.summary.batch_count, Some(4));
    assert_eq!(round.summary.accepted_batches, 4);
    let batches = e.batches().await;
    for b in &batches {
        for t in &b.tallies {
            assert!(t.votes <= 2, "{t:?}");
        }
    }
    assert_eq!(
        batches
            .iter()
            .filter(|b| b
                .tallies
                .iter()
                .any(|t| Some(&t.batch_hash) == b.accepted_hash.as_ref() && t.votes == 2))
            .count(),
        4
    );
    // Both relayers' records end confirmed for every batch. The transaction that finalizes the
    // round may be a relayer's own last vote, which it records as confirmed only once its
    // inclusion poll returns: give that poll a bounded moment after the chain shows the round
    // finalized.
    for i in 0..2 {
        let c = rusqlite::Connection::open(e.db(i)).unwrap();
        let confirmed = || -> i64 {
            c.query_row(
                "SELECT COUNT(*) FROM submissions WHERE round = 0 AND state = 'confirmed'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while confirmed() < 4 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(confirmed(), 4, "relayer {i}");
    }
    e.check_scores_and_claims(&round, &readings).await;
    sigterm_and_wait(vec![p0, p1]);
}

// ---------------------------------------------------------------------------------------------
// Chaos: three independently fed relayers converge.

const CHAOS_ROUNDS: u64 = 2;
const CHAOS_WINDOW: u64 = 20;
/// Length of the hostile peer's readings (see the chaos test).
const HOSTILE_WINDOW: u64 = 5;
/// Rated power of the chaos deployment: a thousand times the default, so that a 20 s window
/// carries hundreds to thousands of Wh at any local hour. At the default power a 20 s window
/// holds 0 or 1 Wh for most of the day, and two relayers that lost *different* readings of
/// the same owner and bucket could then hold equal sums and reach a quorum on a batch that
/// lacks readings of the union.
const CHAOS_RATED: RatedPower = RatedPower {
    cube_v1_w: 2_000_000,
    cube_v2_w: 3_000_000,
};

impl E2e {
    /// Config of chaos relayer `i` (oracle `oracle`) listening on `port`, pulling from
    /// `peers`.
    fn chaos_config(&self, i: usize, oracle: &str, port: u16, peers: &[String]) -> PathBuf {
        let cfg = self
            .base_config(i, oracle, port)
            // Every reading of the test is delivered before round 0 starts.
            .clock_skew_secs(400)
            .peers(peers.iter().cloned())
            .rated_power(CHAOS_RATED)
            .peer_timeout_secs(5)
            // Relayer 0 aggregates 5 s after a round's end, the others 25 s: a reading arriving
            // in between (the test sends one) is missing from relayer 0's first plan.
            .aggregation_delay_secs(if i == 0 { 5 } else { 25 })
            // Before its first vote on a round a relayer waits for every peer to report the
            // same digest as its own. The hostile peer never does and the honest ones are
            // unreachable until the partition heals, so each first vote comes after this
            // bounded wait.
            .agreement_timeout_secs(8)
            .build()
            .unwrap();
        let path = self.tmp.path().join(format!("chaos{i}.toml"));
        cfg.write(&path).unwrap();
        path
    }
}

/// Sends `items` to `url` in chunks; returns (accepted, duplicates, rejected).
async fn deliver(url: &str, items: &[SignedReading]) -> (u64, u64, u64) {
    let http = reqwest::Client::new();
    let mut sums = (0, 0, 0);
    for chunk in items.chunks(40) {
        let body = json!({"readings": chunk.iter().map(ReadingJson::from).collect::<Vec<_>>()});
        let v: Value = http
            .post(format!("{url}/v1/readings"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        sums.0 += v["accepted"].as_u64().unwrap_or(0);
        sums.1 += v["duplicates"].as_u64().unwrap_or(0);
        sums.2 += v["rejected"].as_u64().unwrap_or(0);
    }
    sums
}

/// Largest-remainder share of `wh` for the two pieces of a window cut at `cut` (ties to the
/// earlier piece), written independently of the relayer's aggregation code.
fn split_two(ws: u64, we: u64, cut: u64, wh: u64) -> (u64, u64) {
    let (l1, l2, len) = (cut - ws, we - cut, we - ws);
    let (a, b) = (wh * l1 / len, wh * l2 / len);
    let (ra, rb) = ((wh * l1) % len, (wh * l2) % len);
    match wh - a - b {
        0 => (a, b),
        1 if ra >= rb => (a + 1, b),
        1 => (a, b + 1),
        _ => (a + 1, b + 1),
    }
}

async fn wait_until(unix: u64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if unix > now {
        tokio::time::sleep(Duration::from_secs(unix - now)).await;
    }
}

/// The latest plan generation relayer `i` persisted for round `round` (`None`: no plan).
fn plan_generation(e: &E2e, i: usize, round: u64) -> Option<i64> {
    rusqlite::Connection::open(e.db(i))
        .unwrap()
        .query_row(
            "SELECT MAX(generation) FROM round_plans WHERE round = ?1",
            [i64::try_from(round).unwrap()],
            |r| r.get::<_, Option<i64>>(0),
        )
        .unwrap()
}

/// The chaos proof: 3 relayers (quorum 2), each reading delivered to each relayer in random
/// order with ≥ 10 % loss and duplication per relayer, one equivocating device, one device
/// sold to another owner during round 0, windows straddling the round boundary, one relayer
/// SIGKILLed during round 0's attestation and restarted more than a round later, a device
/// whose signatures are valid or not depending on the verification rule, a hostile peer that
/// feeds each relayer different genuine readings, and a network partition between the honest
/// relayers that heals only after every one of them has voted on round 0. Every round
/// finalizes and every owner's on-chain score equals the test's own recomputation from the
/// union of all delivered readings with the round's as-of registry view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the running localnet (scripts/localnet.sh)"]
async fn chaos_three_relayers_converge_under_loss_equivocation_sale_restart_partition_and_hostile_peer(
) {
    let started = Instant::now();
    let e = deploy_with(
        2,
        false,
        &["oracle1", "oracle2", "oracle3"],
        45,
        Some(CHAOS_RATED),
    )
    .await;
    let g = e.genesis;
    eprintln!("deployed in {:?}; genesis {g}", started.elapsed());
    let domain = Domain::new(&e.chain_id, &e.mining);
    let rated = CHAOS_RATED;
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let urls: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let oracles = ["oracle1", "oracle2", "oracle3"];
    let oracle_addrs: Vec<String> = oracles
        .iter()
        .map(|o| e.info.account(o).unwrap().address.clone())
        .collect();

    // Devices 0 (equivocation), 1 (sale) and 5 (late reading) have their own roles below. The
    // hostile peer's accomplice is the first other CubeV2 (its rated power allows 4 Wh in a
    // 5 s window); the device with torsion signatures is the next other device.
    let hostile_dev = (0..e.fleet.devices.len())
        .find(|i| ![0, 1, 5].contains(i) && e.fleet.devices[*i].model == DeviceModel::CubeV2)
        .unwrap();
    let torsion_dev = (0..e.fleet.devices.len())
        .find(|i| ![0, 1, 5, hostile_dev].contains(i))
        .unwrap();
    eprintln!("hostile peer's device {hostile_dev}, torsion-signing device {torsion_dev}");

    // The hostile peer's readings: nine 5 s windows of its device in [g+1, g+46), inside
    // round 0; relayer i gets windows 3k+i, each of 2^i Wh. So each relayer holds a different
    // share of that device's energy (3, 6 or 12 Wh), no two shares or sums of shares are equal,
    // and until the relayers exchange readings their plans for that owner differ (their other
    // readings would have to make up the difference exactly). The device's ordinary readings
    // of [g+10, g+50) are not delivered at all, leaving that time to these windows (no
    // overlap; sequences = window starts, increasing with the window as for every other
    // reading).
    let hd = &e.fleet.devices[hostile_dev];
    assert!(
        rated.of(hd.model) * HOSTILE_WINDOW >= 4 * 3600,
        "4 Wh in {HOSTILE_WINDOW} s must be plausible"
    );
    let mut hostile: Vec<Vec<SignedReading>> = vec![Vec::new(); 3];
    for k in 0..9u64 {
        let ws = g + 1 + HOSTILE_WINDOW * k;
        let i = usize::try_from(k % 3).unwrap();
        hostile[i].push(domain.sign(
            &hd.key,
            relayer::telemetry::Reading {
                device_pubkey: hd.pubkey(),
                sequence: ws,
                window_start: ws,
                window_end: ws + HOSTILE_WINDOW,
                discharged_wh: 1 << i,
                charged_wh: 0,
                battery_id: hd.battery_id.clone(),
                firmware: "sim-1.0.0".into(),
            },
        ));
    }
    let hostile_url = common::hostile_peer(
        g,
        ROUND_SECS,
        hostile
            .iter()
            .enumerate()
            .map(|(i, set)| (format!("to{i}"), set.clone()))
            .collect(),
    )
    .await;

    // The partition: relayers reach each other only through proxies that drop every
    // connection until `healed` is set; the hostile peer is reached directly throughout.
    // Relayer i lists its honest peers in the cyclic order i+1, i+2. A pull visits the peers in
    // list order, so a heal landing in the middle of a pull can let a relayer reach a later
    // peer but not an earlier one; with the cyclic order no two relayers can both have reached
    // each other while both missed the third, so no two of them can agree (and reach quorum)
    // on a union that lacks readings only the third one holds.
    let healed = Arc::new(AtomicBool::new(false));
    let mut proxies = Vec::new();
    for p in &ports {
        proxies.push(common::partition_proxy(format!("127.0.0.1:{p}"), healed.clone()).await);
    }
    let mut cfgs = Vec::new();
    let mut procs: Vec<Option<Proc>> = Vec::new();
    for i in 0..3 {
        let peers: Vec<String> = [(i + 1) % 3, (i + 2) % 3]
            .iter()
            .map(|j| proxies[*j].clone())
            .chain(std::iter::once(format!("{hostile_url}/to{i}")))
            .collect();
        let cfg = e.chaos_config(i, oracles[i], ports[i], &peers);
        procs.push(Some(e.start(i, oracles[i], &cfg, &urls[i]).await));
        cfgs.push(cfg);
    }

    // Readings: 20 s windows from g+10 to g+110; [g+50, g+70) straddles the round boundary.
    let mut all: Vec<(usize, SignedReading)> = Vec::new();
    for (i, d) in e.fleet.devices.iter().enumerate() {
        let mut t = g + 10;
        while t + CHAOS_WINDOW <= g + 10 + 100 {
            if i != hostile_dev || t >= g + 50 {
                all.push((
                    i,
                    window_reading(d, i, 2026, &domain, &rated, t, t + CHAOS_WINDOW),
                ));
            }
            t += CHAOS_WINDOW;
        }
    }
    // The torsion device signs four of its readings (g+10 .. g+70, both rounds and the
    // straddling window) with a nonce commitment shifted by the point of order 2. Such a
    // signature fails the cofactorless single check, passes or fails a cofactorless batch check
    // depending on the rest of the batch, and always passes the cofactored (ZIP-215) check the
    // relayers use on every path. Delivered inside mixed requests to every relayer, they must
    // count everywhere, whatever they were batched with.
    let mut torsion_idx = Vec::new();
    for (k, (i, r)) in all.iter_mut().enumerate() {
        if *i == torsion_dev && r.reading.window_start < g + 90 {
            let d = &e.fleet.devices[torsion_dev];
            *r = cube_sim::adversary::torsion_signed(
                &domain,
                &d.key,
                r.reading.clone(),
                r.reading.window_start,
            );
            torsion_idx.push(k);
        }
    }
    assert_eq!(torsion_idx.len(), 4);
    // Device 0 equivocates: a second reading with the sequence of its g+30 window, other Wh.
    let honest = all
        .iter()
        .position(|(i, r)| *i == 0 && r.reading.window_start == g + 30)
        .unwrap();
    let mut twin = all[honest].1.reading.clone();
    twin.firmware = "sim-1.0.1-equivocating".into();
    let twin = domain.sign(&e.fleet.devices[0].key, twin);

    // Per-relayer delivery: 15 % loss, 10 % duplicates, random order; every reading reaches
    // relayer 0 or 1 (the ones that stay up). The equivocating pair: relayers 0 and 2 get one,
    // relayer 1 the other. The torsion-signed readings reach every relayer.
    let mut rng = cube_sim::SplitMix(0x00C4_A05E);
    let mut lists: Vec<Vec<SignedReading>> = vec![Vec::new(); 3];
    let mut union: Vec<SignedReading> = Vec::new();
    for (k, (_, r)) in all.iter().enumerate() {
        if k == honest {
            continue;
        }
        union.push(r.clone());
        if torsion_idx.contains(&k) {
            for list in lists.iter_mut() {
                list.push(r.clone());
            }
            continue;
        }
        let mut got = [false; 3];
        for (k, list) in lists.iter_mut().enumerate() {
            if rng.below(100) >= 15 {
                list.push(r.clone());
                got[k] = true;
                if rng.below(100) < 10 {
                    list.push(r.clone());
                }
            }
        }
        // A reading held only by relayer 2 could not count for a round aggregated while
        // relayer 2 is down (no one else has it); every reading reaches relayer 0 or 1.
        if !got[0] && !got[1] {
            lists[usize::try_from(rng.below(2)).unwrap()].push(r.clone());
        }
    }
    lists[0].push(all[honest].1.clone());
    lists[2].push(all[honest].1.clone());
    lists[1].push(twin.clone());
    union.push(all[honest].1.clone());
    union.push(twin.clone());
    // Every honest relayer ends up with every hostile reading (each holds its own share from
    // the hostile peer and pulls the others' from its peers after the partition heals).
    union.extend(hostile.iter().flatten().cloned());
    for list in lists.iter_mut() {
        // Fisher–Yates with the test's PRNG.
        for i in (1..list.len()).rev() {
            let j = usize::try_from(rng.below(u64::try_from(i + 1).unwrap())).unwrap();
            list.swap(i, j);
        }
    }
    let mut sends = Vec::new();
    for (i, list) in lists.iter().enumerate() {
        let (url, list) = (urls[i].clone(), list.clone());
        sends.push(tokio::spawn(async move { deliver(&url, &list).await }));
    }
    for (i, s) in sends.into_iter().enumerate() {
        let (a, d, r) = s.await.unwrap();
        eprintln!(
            "relayer {i}: {} delivered, {a} accepted, {d} duplicates, {r} rejected",
            lists[i].len()
        );
    }
    // Each torsion-signed reading, sent again alone to relayer 0: stored (a duplicate of the
    // copy that arrived inside a mixed request), never rejected.
    for &k in &torsion_idx {
        let (accepted, duplicates, rejected) =
            deliver(&urls[0], std::slice::from_ref(&all[k].1)).await;
        assert!(
            rejected == 0 && accepted + duplicates == 1,
            "torsion-signed reading of window g+{} not stored by relayer 0: \
             {accepted} accepted, {duplicates} duplicates, {rejected} rejected",
            all[k].1.reading.window_start - g
        );
    }

    // Device 1 is sold during round 0: its new holder re-registers it (effective round 1).
    let sold = &e.fleet.devices[1];
    let buyer_name = USERS
        .iter()
        .find(|n| e.info.account(n).unwrap().address != sold.owner)
        .unwrap();
    let buyer = e.info.account(buyer_name).unwrap().address.clone();
    wait_until(g + 5).await;
    // The possession signature signs the challenge of the device's latest registration.
    let at = e.mr().registration_challenge(&sold.pubkey()).await.unwrap();
    let resale = cube_sim::registration_for(sold, &e.chain_id, &e.mining, &buyer, at);
    let buyer_client = e.info.client(buyer_name).unwrap();
    MiningRoundClient::new(&buyer_client, &e.mining)
        .register_device(&resale)
        .await
        .unwrap();
    eprintln!("device 1 sold to {buyer_name} during round 0");

    // SIGKILL relayer 2 once round 0 has ended (before it aggregated round 0); restart it more
    // than a round later.
    wait_until(g + ROUND_SECS + 2).await;
    drop(procs[2].take());
    eprintln!("relayer 2 killed at g+{}", ROUND_SECS + 2);
    // A late reading of round 0 (device 5, window [g, g+10)) reaches relayer 1 only, after
    // relayer 0 aggregated round 0 (g+65) and before relayer 1 does (g+85).
    wait_until(g + ROUND_SECS + 12).await;
    let d5 = &e.fleet.devices[5];
    let late = domain.sign(
        &d5.key,
        relayer::telemetry::Reading {
            device_pubkey: d5.pubkey(),
            sequence: g,
            window_start: g,
            window_end: g + 10,
            discharged_wh: 3,
            charged_wh: 1,
            battery_id: d5.battery_id.clone(),
            firmware: "sim-1.0.0".into(),
        },
    );
    let (a, _, _) = deliver(&urls[1], std::slice::from_ref(&late)).await;
    assert_eq!(a, 1, "late reading accepted by relayer 1");
    union.push(late);
    eprintln!(
        "late round-0 reading delivered to relayer 1 at g+{}",
        ROUND_SECS + 12
    );
    wait_until(g + 2 * ROUND_SECS + 10).await;
    procs[2] = Some(e.start(2, oracles[2], &cfgs[2], &urls[2]).await);
    eprintln!("relayer 2 restarted at g+{}", 2 * ROUND_SECS + 10);

    // Heal the partition once every oracle has a vote on chain for round 0 (relayers 0 and 1
    // voted after their aggregation, relayer 2 only after its restart). Until then each relayer
    // knew only its own deliveries and its share of the hostile peer's readings, so no batch of
    // round 0 can have reached quorum.
    let heal_deadline = Instant::now() + Duration::from_secs(150);
    let pre_heal = loop {
        let page = e.mr().batches(0, None, Some(100)).await.unwrap();
        let all_voted = page
            .batches
            .iter()
            .find(|b| b.batch_index == 0)
            .is_some_and(|b| {
                oracle_addrs
                    .iter()
                    .all(|o| b.tallies.iter().any(|t| t.voters.contains(o)))
            });
        if all_voted {
            break page;
        }
        if Instant::now() > heal_deadline {
            for i in 0..3 {
                eprintln!(
                    "--- relayer {i} log ---\n{}",
                    std::fs::read_to_string(e.log(i)).unwrap_or_default()
                );
            }
            panic!(
                "not every oracle voted on batch 0 of round 0 while partitioned (150 s after \
                 relayer 2's restart); votes so far: {page:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    for b in &pre_heal.batches {
        assert_eq!(
            b.accepted_hash, None,
            "a round-0 batch reached quorum during the partition: {b:?}"
        );
    }
    assert_ne!(
        e.round().await.summary.status,
        RoundStatus::Finalized,
        "round 0 finalized during the partition"
    );
    healed.store(true, Ordering::SeqCst);
    let healed_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    eprintln!(
        "partition healed at g+{} (every oracle voted on round 0)",
        healed_at.saturating_sub(g)
    );

    // Every round finalizes.
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut rounds = Vec::new();
    for r in 0..CHAOS_ROUNDS {
        rounds.push(e.wait_round_finalized(r, deadline, 3).await);
    }

    // Convergence on chain. Every batch of every round is accepted by a quorum; no oracle's
    // vote counts twice (at most one tally per oracle, at most 3 votes per batch). Once a batch
    // is accepted the contract takes no further votes on it, so the third oracle's vote may
    // stay on its earlier hash: a quorum, not unanimity, is what convergence guarantees.
    let mut round0_new_hashes = 0;
    for r in 0..CHAOS_ROUNDS {
        let page = e.mr().batches(r, None, Some(100)).await.unwrap();
        assert_eq!(page.next, None);
        for b in &page.batches {
            let votes: u32 = b.tallies.iter().map(|t| t.votes).sum();
            assert!(votes <= 3, "{b:?}");
            for o in &oracle_addrs {
                let n = b.tallies.iter().filter(|t| t.voters.contains(o)).count();
                assert!(n <= 1, "oracle {o} counted on {n} hashes: {b:?}");
            }
            let acc = b
                .tallies
                .iter()
                .find(|t| Some(&t.batch_hash) == b.accepted_hash.as_ref())
                .unwrap_or_else(|| panic!("round {r}: batch not accepted: {b:?}"));
            assert!(acc.votes >= 2, "{b:?}");
            if r != 0 {
                continue;
            }
            // Round 0: the hashes voted during the partition came from partial unions (each
            // relayer lacked the others' shares of the hostile readings, and its own losses).
            // An oracle counted for the accepted hash that had voted another one during the
            // partition re-synced after the heal, recomputed and replaced its first plan (plan
            // generation ≥ 1) before re-voting; one that had voted the accepted hash already
            // had it in its first plan.
            let before = pre_heal
                .batches
                .iter()
                .find(|x| x.batch_index == b.batch_index);
            let is_accepted = |t: &HashTally| Some(&t.batch_hash) == b.accepted_hash.as_ref();
            let voted_before = before.is_some_and(|x| x.tallies.iter().any(is_accepted));
            if !voted_before {
                round0_new_hashes += 1;
            }
            for (i, o) in oracle_addrs.iter().enumerate() {
                // This oracle's vote on the batch when the partition healed.
                let earlier = before.and_then(|x| x.tallies.iter().find(|t| t.voters.contains(o)));
                if acc.voters.contains(o) && earlier.is_some_and(|t| !is_accepted(t)) {
                    let generation = plan_generation(&e, i, 0);
                    assert!(
                        generation.is_some_and(|n| n >= 1),
                        "relayer {i} moved its vote on round 0 batch {} to the accepted hash \
                         but its plan generation is {generation:?}",
                        b.batch_index
                    );
                }
            }
        }
    }
    // At least the batch holding the hostile peer's device owner cannot have been computed
    // by anyone during the partition: its accepted hash is one nobody voted before the heal.
    assert!(
        round0_new_hashes >= 1,
        "every round-0 batch was accepted with a hash voted during the partition"
    );

    // Recomputation from the union: drop every (device, sequence) with two different readings
    // (the equivocation), cut straddling windows at the round boundary, attribute each piece to
    // the device's owner in that round's registry view.
    let mut by_seq: HashMap<([u8; 32], u64), Vec<&SignedReading>> = HashMap::new();
    for r in &union {
        let v = by_seq
            .entry((r.reading.device_pubkey, r.reading.sequence))
            .or_default();
        if !v.iter().any(|x| x.reading == r.reading) {
            v.push(r);
        }
    }
    let index_of: HashMap<[u8; 32], usize> = e
        .fleet
        .devices
        .iter()
        .enumerate()
        .map(|(i, d)| (d.pubkey(), i))
        .collect();
    for (r, resp) in rounds.iter().enumerate() {
        let r = r as u64;
        let (start, end) = (g + r * ROUND_SECS, g + (r + 1) * ROUND_SECS);
        let owner_of = |i: usize| -> String {
            if i == 1 && r >= 1 {
                buyer.clone()
            } else {
                e.fleet.devices[i].owner.clone()
            }
        };
        let mut models: HashMap<String, (bool, bool)> = HashMap::new();
        for i in 0..e.fleet.devices.len() {
            let m = models.entry(owner_of(i)).or_default();
            match e.fleet.devices[i].model {
                DeviceModel::CubeV1 => m.0 = true,
                DeviceModel::CubeV2 => m.1 = true,
            }
        }
        let mut weighted: BTreeMap<String, u128> = BTreeMap::new();
        for group in by_seq.values() {
            if group.len() != 1 {
                continue; // equivocation: evidence, counted nowhere
            }
            let rd = &group[0].reading;
            let (ws, we, wh) = (rd.window_start, rd.window_end, rd.discharged_wh);
            let piece = if ws >= start && we <= end {
                Some((ws, wh))
            } else if ws < start && we > start {
                Some((start, split_two(ws, we, start, wh).1))
            } else if ws < end && we > end {
                Some((ws, split_two(ws, we, end, wh).0))
            } else {
                None
            };
            let Some((piece_start, piece_wh)) = piece else {
                continue;
            };
            let i = index_of[&rd.device_pubkey];
            let d = &e.fleet.devices[i];
            let tz: chrono_tz::Tz = d.timezone.parse().unwrap();
            let hour = tz
                .timestamp_opt(i64::try_from(piece_start).unwrap(), 0)
                .single()
                .unwrap()
                .hour();
            let m1: u128 = if cube_sim::WHITELISTED_BATTERIES.contains(&d.battery_id.as_str()) {
                12_000
            } else {
                10_000
            };
            *weighted.entry(owner_of(i)).or_default() += u128::from(piece_wh) * m1 * tou_bp(hour);
        }
        let mut total = 0u128;
        for name in USERS {
            let owner = e.info.account(name).unwrap().address.clone();
            let expected = weighted
                .get(&owner)
                .map(|w| {
                    let (v1, v2) = models.get(&owner).copied().unwrap_or_default();
                    let m3: u128 = if v1 && v2 { 13_000 } else { 10_000 };
                    m3 * w / 1_000_000
                })
                .unwrap_or(0);
            total += expected;
            let s = e.mr().score(r, &owner).await.unwrap();
            assert_eq!(s.score.u128(), expected, "round {r} score of {name}");
            eprintln!("round {r} {name}: score {expected}");
        }
        assert_eq!(resp.summary.total_score.u128(), total, "round {r} total");
    }
    let procs: Vec<Proc> = procs.into_iter().flatten().collect();
    sigterm_and_wait(procs);
    eprintln!("chaos test took {:?}", started.elapsed());
}
