//! Relayers converge by construction: whatever each one received first, once they can reach
//! each other they hold the same union, recompute it, re-vote it, and the round finalizes with
//! the union's batches; and one reading gets one verdict, alone or inside any batch.
//!
//! Each scenario runs several relayers in this process, each with its own SQLite file, HTTP
//! server, ingest pipeline, peer puller and round worker — the daemon's own components. Only
//! the chain is replaced, by a small model of the mining-round contract's vote rules
//! (replaceable votes, data before votes, acceptance at quorum of current oracles, fixed batch
//! count, finalization after the last batch) so that every interleaving is quick to provoke;
//! the three-relayer chaos test in `tests/localnet.rs` proves the same on wasmd.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test crate: failures are panics

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cube_scoring::{RatedPower, ScorePolicy};
use cube_types::mining_round::ExecuteMsg;
use relayer::aggregate::RoundPlan;
use relayer::ingest::{now_unix, IngestPolicy, RoundClock};
use relayer::metrics::Metrics;
use relayer::peers::{PeerLimits, Peers};
use relayer::plans::PlanStore;
use relayer::round_worker::{
    compute_plan, BatchView, ChainRoundStatus, PinnedInputs, RoundChain, RoundOutcome, RoundRules,
    TallyView, WorkerCtx, WorkerError,
};
use relayer::store::{InsertOutcome, ReadingStore, SqliteConfig, SqliteStore};
use relayer::telemetry::SignedReading;
use tokio::sync::watch;

const HOUR: u64 = 3_600;
const ROUND_SECS: u64 = 2 * HOUR;
const DEVICES: usize = 6;
/// Entries per batch: six owners make several batches, so acceptance is per batch.
const BATCH: u32 = 2;

/// Round 0 = [genesis, genesis + 2 h), ended an hour ago (hour-aligned genesis).
fn genesis() -> u64 {
    let now = now_unix();
    now - now % HOUR - 3 * HOUR
}

fn policy(genesis: u64) -> IngestPolicy {
    // Grace long enough that round 0 still takes readings over HTTP (the torsion scenario).
    IngestPolicy::unlimited(
        500,
        60,
        RoundClock::new(genesis, ROUND_SECS, 4 * HOUR),
        RatedPower::default(),
    )
}

// ---------------------------------------------------------------------------------------------
// A model of the contract's vote rules.

#[derive(Default)]
struct ChainState {
    oracles: Vec<String>,
    quorum: u32,
    /// (batch index, oracle) → voted hash.
    votes: HashMap<(u32, String), [u8; 32]>,
    /// batch index → hashes whose data is on chain.
    data: HashMap<u32, HashSet<[u8; 32]>>,
    accepted: BTreeMap<u32, [u8; 32]>,
    batch_count: Option<u32>,
}

impl ChainState {
    fn tally(&self, index: u32, hash: &[u8; 32]) -> u32 {
        let n = self
            .oracles
            .iter()
            .filter(|o| self.votes.get(&(index, (*o).clone())) == Some(hash))
            .count();
        u32::try_from(n).unwrap()
    }

    fn attestable(&self, index: u32, count: u32) -> Result<(), WorkerError> {
        if self.accepted.contains_key(&index) {
            return Err(WorkerError::Chain(format!(
                "batch {index} already accepted"
            )));
        }
        if self.batch_count.is_some_and(|c| c != count) {
            return Err(WorkerError::Chain("batch count mismatch".into()));
        }
        Ok(())
    }

    fn vote(&mut self, oracle: &str, index: u32, count: u32, hash: [u8; 32]) {
        self.votes.insert((index, oracle.to_string()), hash);
        if self.tally(index, &hash) >= self.quorum {
            self.accepted.insert(index, hash);
            self.batch_count = Some(count);
        }
    }

    fn finalized(&self) -> bool {
        self.batch_count
            .is_some_and(|c| self.accepted.len() == usize::try_from(c).unwrap())
    }
}

#[derive(Clone)]
struct ModelChain {
    state: Arc<Mutex<ChainState>>,
    oracle: String,
    inputs: PinnedInputs,
    /// Rated power the contract holds for rounds after 0 (an `UpdateConfig` during round 0
    /// changes it until round 1 starts).
    later_rated: Arc<Mutex<RatedPower>>,
}

impl ModelChain {
    fn send_sync(&self, msg: ExecuteMsg) -> Result<String, WorkerError> {
        let mut st = self.state.lock().unwrap();
        match msg {
            ExecuteMsg::SubmitUsage {
                round,
                batch_index,
                batch_count,
                policy_version,
                entries,
            } => {
                st.attestable(batch_index, batch_count)?;
                let hash = cube_scoring::batch_hash(
                    round,
                    batch_index,
                    batch_count,
                    policy_version,
                    &entries,
                )
                .map_err(|e| WorkerError::Chain(e.to_string()))?;
                st.data.entry(batch_index).or_default().insert(hash);
                st.vote(&self.oracle, batch_index, batch_count, hash);
            }
            ExecuteMsg::VoteBatch {
                batch_index,
                batch_count,
                batch_hash,
                ..
            } => {
                st.attestable(batch_index, batch_count)?;
                let hash: [u8; 32] = batch_hash.as_slice().try_into().unwrap();
                if !st.data.get(&batch_index).is_some_and(|d| d.contains(&hash)) {
                    return Err(WorkerError::Chain("no data for this hash".into()));
                }
                st.vote(&self.oracle, batch_index, batch_count, hash);
            }
            ExecuteMsg::AcceptBatch {
                batch_index,
                batch_hash,
                ..
            } => {
                let hash: [u8; 32] = batch_hash.as_slice().try_into().unwrap();
                if st.tally(batch_index, &hash) < st.quorum {
                    return Err(WorkerError::Chain("quorum not met".into()));
                }
                st.accepted.insert(batch_index, hash);
            }
            other => return Err(WorkerError::Chain(format!("unexpected {other:?}"))),
        }
        Ok("tx".into())
    }
}

impl RoundChain for ModelChain {
    fn oracle(&self) -> String {
        self.oracle.clone()
    }

    async fn round_status(&self, _round: u64) -> Result<ChainRoundStatus, WorkerError> {
        Ok(if self.state.lock().unwrap().finalized() {
            ChainRoundStatus::Closed
        } else {
            ChainRoundStatus::Attesting
        })
    }

    async fn round_rules(&self, round: u64) -> Result<RoundRules, WorkerError> {
        let mut rules = self.inputs.rules.clone();
        if round > 0 {
            rules.round = round;
            rules.start += round * ROUND_SECS;
            rules.end += round * ROUND_SECS;
            rules.rated_power = *self.later_rated.lock().unwrap();
        }
        Ok(rules)
    }

    async fn pinned_inputs(&self, _round: u64) -> Result<PinnedInputs, WorkerError> {
        Ok(self.inputs.clone())
    }

    async fn batch(&self, _round: u64, index: u32) -> Result<BatchView, WorkerError> {
        let st = self.state.lock().unwrap();
        let mut hashes: HashSet<[u8; 32]> = st.data.get(&index).cloned().unwrap_or_default();
        hashes.extend(
            st.votes
                .iter()
                .filter(|((i, _), _)| *i == index)
                .map(|(_, h)| *h),
        );
        Ok(BatchView {
            accepted: st.accepted.get(&index).copied(),
            quorum: st.quorum,
            tallies: hashes
                .into_iter()
                .map(|hash| TallyView {
                    hash,
                    votes: st.tally(index, &hash),
                    submitted: st.data.get(&index).is_some_and(|d| d.contains(&hash)),
                })
                .collect(),
        })
    }

    async fn my_vote(&self, _round: u64, index: u32) -> Result<Option<[u8; 32]>, WorkerError> {
        let st = self.state.lock().unwrap();
        Ok(st.votes.get(&(index, self.oracle.clone())).copied())
    }

    async fn send(&self, msg: ExecuteMsg) -> Result<String, WorkerError> {
        self.send_sync(msg)
    }
}

// ---------------------------------------------------------------------------------------------
// The network: relayers, a partition and a hostile peer.

struct Relayer {
    h: common::Harness,
    db: std::path::PathBuf,
}

/// `n` relayers over the same fleet, round 0 ended.
async fn relayers(n: usize, genesis: u64) -> Vec<Relayer> {
    let mut out = Vec::new();
    for _ in 0..n {
        let h = common::Harness::start_with_policy(DEVICES, policy(genesis)).await;
        let db = h._dir.path().join("relayer.sqlite");
        out.push(Relayer { h, db });
    }
    out
}

fn pinned_inputs(r: &Relayer, genesis: u64) -> PinnedInputs {
    let devices =
        r.h.fleet
            .devices
            .iter()
            .map(|d| (d.pubkey(), r.h.ingest.directory.get(&d.pubkey()).unwrap()))
            .collect();
    PinnedInputs {
        rules: RoundRules {
            round: 0,
            start: genesis,
            end: genesis + ROUND_SECS,
            attestation_deadline: genesis + 100 * ROUND_SECS,
            genesis_time: genesis,
            round_duration: ROUND_SECS,
            policy_version: 1,
            rated_power: RatedPower::default(),
            max_entries_per_batch: BATCH,
            round_reward: cosmwasm_std::Uint128::new(1_000),
            attestation_window: 99 * ROUND_SECS,
            claim_window: ROUND_SECS,
        },
        policy: ScorePolicy::default(),
        whitelist: HashSet::new(),
        devices,
    }
}

async fn store(r: &Relayer, readings: &[SignedReading]) {
    let out =
        r.h.store
            .submit(readings.to_vec())
            .unwrap()
            .await
            .unwrap()
            .unwrap();
    assert!(out.iter().all(|o| *o == InsertOutcome::Accepted), "{out:?}");
}

/// The plan of round 0 over exactly `union`, computed in a fresh store.
fn expected_plan(union: &[SignedReading], inputs: &PinnedInputs) -> RoundPlan {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(SqliteConfig::new(dir.path().join("union.sqlite"))).unwrap();
    let rt = tokio::runtime::Handle::current();
    let ack = s.submit(union.to_vec()).unwrap();
    tokio::task::block_in_place(|| rt.block_on(ack))
        .unwrap()
        .unwrap();
    compute_plan(&s, inputs, 4 * HOUR).unwrap().plan
}

/// The chain accepted exactly `expected`'s batches.
fn assert_accepted(state: &Mutex<ChainState>, expected: &RoundPlan, what: &str) {
    let accepted: Vec<[u8; 32]> = state.lock().unwrap().accepted.values().copied().collect();
    let want: Vec<[u8; 32]> = expected.batches.iter().map(|b| b.hash).collect();
    assert_eq!(accepted, want, "{what}");
}

async fn stop_all(rs: Vec<Relayer>) {
    for r in rs {
        r.h.stop().await;
    }
}

struct Worker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<RoundOutcome, WorkerError>>,
    db: std::path::PathBuf,
}

fn worker_ctx(
    r: &Relayer,
    chain: ModelChain,
    peers: Vec<String>,
    agreement: Duration,
) -> Arc<WorkerCtx<ModelChain>> {
    Arc::new(WorkerCtx {
        chain: Arc::new(chain),
        store: r.h.store.clone() as Arc<dyn ReadingStore>,
        plans: Arc::new(PlanStore::open(&r.db).unwrap()),
        peers: Arc::new(Peers::new(
            peers,
            PeerLimits {
                request_timeout: Duration::from_secs(2),
                ..PeerLimits::default()
            },
        )),
        ingest: r.h.ingest.clone(),
        grace: 4 * HOUR,
        delay: 0,
        poll: Duration::from_millis(100),
        agreement_timeout: agreement,
        metrics: Arc::new(Metrics::new()),
    })
}

fn start_worker(r: &Relayer, chain: ModelChain, peers: Vec<String>, agreement: Duration) -> Worker {
    let ctx = worker_ctx(r, chain, peers, agreement);
    let (stop, rx) = watch::channel(false);
    let task = tokio::spawn(async move { ctx.run_round(0, rx).await });
    Worker {
        stop,
        task,
        db: r.db.clone(),
    }
}

impl Worker {
    async fn finish(self, within: Duration) -> (RoundOutcome, i64) {
        let out = tokio::time::timeout(within, self.task).await;
        let _ = self.stop.send(true);
        let outcome = out.expect("the round finalizes in time").unwrap().unwrap();
        let generation: i64 = rusqlite::Connection::open(&self.db)
            .unwrap()
            .query_row(
                "SELECT generation FROM round_plans WHERE round = 0",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (outcome, generation)
    }
}

async fn wait_for(what: &str, within: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Three windows of every device: the readings every relayer received.
fn common_readings(r: &Relayer, genesis: u64) -> Vec<SignedReading> {
    let mut v = Vec::new();
    for d in &r.h.fleet.devices {
        for k in 0..3u64 {
            let start = genesis + 600 + k * 1_200;
            v.push(common::signed(d, start, (start, start + 600), 20 + k));
        }
    }
    v
}

/// A reading of device `i` in a slot no common reading uses (sequence = window start).
fn extra(r: &Relayer, genesis: u64, i: usize, slot: u64, wh: u64) -> SignedReading {
    let start = genesis + 4_000 + slot * 300;
    common::signed(&r.h.fleet.devices[i], start, (start, start + 300), wh)
}

/// Runs `n` relayers (quorum `quorum`) that each hold the common readings plus `late[k]`,
/// partitioned from each other until every one of them voted once; then heals. The round
/// must finalize with the union's plan.
async fn partitioned_then_healed(n: usize, quorum: u32, late: Vec<Vec<(usize, u64, u64)>>) {
    let g = genesis();
    let rs = relayers(n, g).await;
    let mut union = common_readings(&rs[0], g);
    for (k, r) in rs.iter().enumerate() {
        let mine: Vec<SignedReading> = late[k]
            .iter()
            .map(|(i, slot, wh)| extra(r, g, *i, *slot, *wh))
            .collect();
        let mut all = common_readings(r, g);
        all.extend(mine.iter().cloned());
        store(r, &all).await;
        union.extend(mine);
    }
    let inputs = pinned_inputs(&rs[0], g);
    let state = Arc::new(Mutex::new(ChainState {
        oracles: (0..n).map(|k| format!("oracle{k}")).collect(),
        quorum,
        ..ChainState::default()
    }));
    let open = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for (k, r) in rs.iter().enumerate() {
        let mut peers = Vec::new();
        for (j, other) in rs.iter().enumerate() {
            if j != k {
                let target = other.h.url.trim_start_matches("http://").to_string();
                peers.push(common::partition_proxy(target, open.clone()).await);
            }
        }
        let chain = ModelChain {
            state: state.clone(),
            oracle: format!("oracle{k}"),
            inputs: inputs.clone(),
            later_rated: Default::default(),
        };
        workers.push(start_worker(r, chain, peers, Duration::from_millis(300)));
    }
    // Every relayer votes its whole plan while partitioned (a batch its late reading does not
    // touch may be accepted already), and the round cannot finalize. Then nothing new appears
    // on chain for longer than a re-sync interval, so after the heal only the periodic re-sync
    // (not a fresh foreign hash) can bring the relayers together.
    let count = u32::try_from(expected_plan(&union, &inputs).batches.len()).unwrap();
    wait_for(
        "every relayer's vote on every batch",
        Duration::from_secs(30),
        || {
            let st = state.lock().unwrap();
            (0..count).all(|i| {
                st.accepted.contains_key(&i)
                    || (0..n).all(|k| st.votes.contains_key(&(i, format!("oracle{k}"))))
            })
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(
        !state.lock().unwrap().finalized(),
        "distinct sets must not finalize"
    );
    open.store(true, Ordering::SeqCst);
    let expected = expected_plan(&union, &inputs);
    let mut revoted = 0u32;
    for w in workers {
        let (outcome, generation) = w.finish(Duration::from_secs(60)).await;
        assert_eq!(outcome, RoundOutcome::Closed);
        revoted += u32::from(generation >= 1);
    }
    // No relayer first held the union, so every vote of the accepted batches comes from a
    // recomputation (a relayer beyond the quorum may find the round closed before it re-syncs).
    assert!(
        revoted >= quorum,
        "{revoted} relayers re-voted a recomputation"
    );
    assert_accepted(
        &state,
        &expected,
        "the round finalized with the union's batches",
    );
    stop_all(rs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partition_that_heals_after_both_relayers_voted_finalizes_the_union() {
    // Two relayers, quorum 2; each received readings the other lacks.
    partitioned_then_healed(2, 2, vec![vec![(0, 0, 7), (1, 1, 9)], vec![(2, 2, 11)]]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_skew_with_late_readings_converges_in_every_hash_order() {
    // Three relayers, quorum 2: clocks seconds apart and late readings leave each one with a
    // reading the others lack when it first votes, so three hashes compete. Every assignment
    // of the late readings to the relayers (every order of the three hashes) must finalize.
    let late = [(3usize, 0u64, 5u64), (4, 1, 6), (5, 2, 8)];
    let perms = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for p in perms {
        eprintln!("late readings assigned {p:?}");
        partitioned_then_healed(3, 2, p.iter().map(|&i| vec![late[i]]).collect()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_relayer_below_quorum_serving_each_honest_one_different_readings() {
    // Oracles: two honest relayers and a hostile one (quorum 2). The hostile relayer votes a
    // batch of its own and, as a peer, serves each honest relayer different genuine readings
    // (a colluding device owner signed them). The honest ones exchange what they got.
    let g = genesis();
    let rs = relayers(2, g).await;
    for r in &rs {
        store(r, &common_readings(r, g)).await;
    }
    let to_a: Vec<SignedReading> = (0..3).map(|s| extra(&rs[0], g, 2, s, 4 + s)).collect();
    let to_b: Vec<SignedReading> = (3..6).map(|s| extra(&rs[0], g, 2, s, 4 + s)).collect();
    let hostile = common::hostile_peer(
        g,
        ROUND_SECS,
        HashMap::from([
            ("a".to_string(), to_a.clone()),
            ("b".to_string(), to_b.clone()),
        ]),
    )
    .await;
    let mut union = common_readings(&rs[0], g);
    union.extend(to_a);
    union.extend(to_b);
    let inputs = pinned_inputs(&rs[0], g);
    let state = Arc::new(Mutex::new(ChainState {
        oracles: vec!["oracle0".into(), "oracle1".into(), "hostile".into()],
        quorum: 2,
        ..ChainState::default()
    }));
    let bogus = ModelChain {
        state: state.clone(),
        oracle: "hostile".into(),
        inputs: inputs.clone(),
        later_rated: Default::default(),
    };
    // The hostile oracle's own batch 0: one made-up owner.
    let made_up = vec![cube_scoring::UsageEntry {
        owner: "wasm1madeup".into(),
        buckets: Default::default(),
    }];
    let plan_len = expected_plan(&union, &inputs).batches.len();
    bogus
        .send_sync(ExecuteMsg::SubmitUsage {
            round: 0,
            batch_index: 0,
            batch_count: u32::try_from(plan_len).unwrap(),
            policy_version: 1,
            entries: made_up,
        })
        .unwrap();
    let mut workers = Vec::new();
    for (k, who) in ["a", "b"].iter().enumerate() {
        let other = &rs[1 - k];
        let peers = vec![other.h.url.clone(), format!("{hostile}/{who}")];
        let chain = ModelChain {
            state: state.clone(),
            oracle: format!("oracle{k}"),
            inputs: inputs.clone(),
            later_rated: Default::default(),
        };
        workers.push(start_worker(
            &rs[k],
            chain,
            peers,
            Duration::from_millis(500),
        ));
    }
    let expected = expected_plan(&union, &inputs);
    for w in workers {
        let (outcome, _) = w.finish(Duration::from_secs(60)).await;
        assert_eq!(outcome, RoundOutcome::Closed);
    }
    assert_accepted(
        &state,
        &expected,
        "finalized with everything the hostile peer gave anyone",
    );
    stop_all(rs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torsion_signature_alone_and_inside_a_peer_page_gets_one_verdict() {
    // A device owner signs with a small-order component added to R: cofactorless verification
    // rejects it alone and accepts it inside a batch whenever its coefficient is even. Under
    // the one predicate (ZIP-215) it is valid on every path: alone over HTTP, inside a large
    // request, and inside a peer page.
    let g = genesis();
    let rs = relayers(3, g).await;
    let domain = common::domain();
    let dev = &rs[0].h.fleet.devices[1];
    let torsion: Vec<SignedReading> = (0..4u64)
        .map(|s| {
            let start = g + 4_000 + s * 300;
            cube_sim::adversary::torsion_signed(
                &domain,
                &dev.key,
                common::reading(dev, start, (start, start + 300), 3 + s),
                s,
            )
        })
        .collect();
    for t in &torsion {
        let key = ed25519_dalek::VerifyingKey::from_bytes(&t.reading.device_pubkey).unwrap();
        let sig = ed25519_dalek::Signature::from_bytes(&t.signature);
        assert!(
            ed25519_dalek::Verifier::verify(&key, &domain.message(&t.reading), &sig).is_err(),
            "the cofactorless rule rejects it alone"
        );
        assert_eq!(domain.verify(t), Ok(()));
    }
    let honest = common_readings(&rs[0], g);
    // Relayer 0: each torsion reading alone, then the honest ones.
    for t in &torsion {
        let (status, body) = rs[0].h.post(std::slice::from_ref(t)).await;
        assert_eq!(
            (status, body["accepted"].as_u64()),
            (200, Some(1)),
            "{body}"
        );
    }
    let (_, body) = rs[0].h.post(&honest).await;
    assert_eq!(body["accepted"].as_u64(), Some(n64(honest.len())));
    // Relayer 1: everything in one request, torsion readings in the middle.
    let mut mixed = honest.clone();
    for (k, t) in torsion.iter().enumerate() {
        mixed.insert(3 + 5 * k, t.clone());
    }
    let (_, body) = rs[1].h.post(&mixed).await;
    assert_eq!(body["accepted"].as_u64(), Some(n64(mixed.len())), "{body}");
    // Relayer 2: pulls it all from relayer 1's pages.
    let peers = Peers::new(vec![rs[1].h.url.clone()], PeerLimits::default());
    let report = peers
        .pull_round(0, (g, g + ROUND_SECS), None, &rs[2].h.ingest)
        .await;
    assert_eq!(
        (report.imported, report.rejected, report.failures),
        (n64(mixed.len()), 0, 0)
    );
    // One set everywhere.
    let digests: Vec<serde_json::Value> = digests(&rs).await;
    assert_eq!(digests[0]["count"].as_u64(), Some(n64(mixed.len())));
    assert!(digests.iter().all(|d| d == &digests[0]), "{digests:?}");
    stop_all(rs).await;
}

async fn digests(rs: &[Relayer]) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for r in rs {
        out.push(r.h.get_json("/v1/rounds/0/digest").await);
    }
    out
}

fn n64(n: usize) -> u64 {
    u64::try_from(n).unwrap()
}

/// A relayer over the common readings with a model chain of `oracles` (quorum 2) and its
/// persisted first plan.
async fn one_relayer_with_plan(
    oracles: &[&str],
) -> (
    Vec<Relayer>,
    u64,
    Arc<WorkerCtx<ModelChain>>,
    Arc<Mutex<ChainState>>,
    relayer::plans::StoredPlan,
) {
    let g = genesis();
    let rs = relayers(1, g).await;
    store(&rs[0], &common_readings(&rs[0], g)).await;
    let state = Arc::new(Mutex::new(ChainState {
        oracles: oracles.iter().map(|o| o.to_string()).collect(),
        quorum: 2,
        ..ChainState::default()
    }));
    let mut inputs = pinned_inputs(&rs[0], g);
    inputs.rules.max_entries_per_batch = 1; // one owner per batch: several batches
    let chain = ModelChain {
        state: state.clone(),
        oracle: oracles[0].to_string(),
        inputs,
        later_rated: Default::default(),
    };
    let ctx = worker_ctx(&rs[0], chain, Vec::new(), Duration::from_secs(1));
    let (_tx, mut rx) = watch::channel(false);
    let plan = ctx.ensure_plan(0, &mut rx).await.unwrap();
    assert!(
        plan.plan.batches.len() >= 3,
        "several batches: {:?}",
        plan.plan.batches.len()
    );
    (rs, g, ctx, state, plan)
}

fn generation_of(db: &std::path::Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT generation FROM round_plans WHERE round = 0",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_summary_lists_every_foreign_hash_and_every_accepted_batch() {
    let (rs, _g, ctx, state, plan) = one_relayer_with_plan(&["me", "other", "third"]).await;
    let ours: Vec<[u8; 32]> = plan.plan.batches.iter().map(|b| b.hash).collect();
    {
        let mut st = state.lock().unwrap();
        st.accepted.insert(0, [7; 32]); // accepted with another hash
        st.accepted.insert(1, ours[1]); // accepted with ours
        st.data.entry(2).or_default().extend([[8; 32], [9; 32]]);
        st.votes.insert((2, "other".into()), [8; 32]);
        st.votes.insert((2, "third".into()), [9; 32]);
    }
    let summary = ctx.submit_pass(&plan.plan).await.unwrap();
    assert_eq!(
        summary.accepted,
        BTreeMap::from([(0, [7; 32]), (1, ours[1])])
    );
    assert_eq!(
        summary.foreign,
        vec![(0, [7; 32]), (2, [8; 32]), (2, [9; 32])]
    );
    // Our own votes went out for the batches not accepted.
    {
        let st = state.lock().unwrap();
        for (i, h) in ours.iter().enumerate().skip(2) {
            let i = u32::try_from(i).unwrap();
            assert_eq!(st.votes.get(&(i, "me".to_string())), Some(h));
        }
    }
    stop_all(rs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recomputation_that_contradicts_an_accepted_batch_is_not_adopted() {
    let (rs, g, ctx, _state, plan) = one_relayer_with_plan(&["me", "other"]).await;
    // A reading imported later changes batch 0 (a device of its first owner).
    let first_owner = plan.plan.batches[0].entries[0].owner.clone();
    let dev = rs[0]
        .h
        .fleet
        .devices
        .iter()
        .position(|d| d.owner == first_owner)
        .unwrap();
    store(&rs[0], &[extra(&rs[0], g, dev, 0, 9)]).await;
    let ours0 = plan.plan.batches[0].hash;
    let summary = |acc: [u8; 32]| relayer::round_worker::ChainSummary {
        foreign: Vec::new(),
        accepted: BTreeMap::from([(0, acc)]),
    };
    // Batch 0 accepted with our current hash: the recomputation would contradict it.
    let kept = ctx
        .resync(plan.clone(), &summary(ours0), true)
        .await
        .unwrap();
    assert_eq!((kept.generation, &kept.plan), (0, &plan.plan));
    assert_eq!(generation_of(&rs[0].db), 0);
    // Accepted with a hash neither plan has: nothing to keep, the grown union is adopted.
    let next = ctx
        .resync(plan.clone(), &summary([5; 32]), true)
        .await
        .unwrap();
    assert_eq!(next.generation, 1);
    assert_ne!(next.plan.batches[0].hash, ours0);
    assert_eq!(generation_of(&rs[0].db), 1);
    // Nothing accepted: adopted as well, and a recomputation equal to the plan changes nothing.
    let again = ctx
        .resync(
            next.clone(),
            &relayer::round_worker::ChainSummary::default(),
            true,
        )
        .await
        .unwrap();
    assert_eq!((again.generation, &again.plan), (1, &next.plan));
    stop_all(rs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_vote_waits_for_agreeing_peers_or_the_timeout() {
    let g = genesis();
    let rs = relayers(2, g).await;
    let inputs = pinned_inputs(&rs[0], g);
    let chain = |who: &str| ModelChain {
        state: Arc::new(Mutex::new(ChainState::default())),
        oracle: who.into(),
        inputs: inputs.clone(),
        later_rated: Default::default(),
    };
    store(&rs[0], &common_readings(&rs[0], g)).await;
    let mut superset = common_readings(&rs[1], g);
    superset.push(extra(&rs[1], g, 0, 0, 3));
    store(&rs[1], &superset).await;
    let (_tx, mut rx) = watch::channel(false);
    // A peer that holds more: pulled once, then the digests agree, long before the timeout.
    let ctx = worker_ctx(
        &rs[0],
        chain("a"),
        vec![rs[1].h.url.clone()],
        Duration::from_secs(60),
    );
    let t = Instant::now();
    ctx.await_agreement(0, &mut rx).await.unwrap();
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
    assert!(ctx.pull_peers(0).await.unwrap().agreed());
    // An unreachable peer never agrees: the wait ends at the timeout, not before.
    let closed = common::partition_proxy(
        rs[1].h.url.trim_start_matches("http://").to_string(),
        Arc::new(AtomicBool::new(false)),
    )
    .await;
    let ctx = worker_ctx(
        &rs[0],
        chain("a"),
        vec![closed],
        Duration::from_millis(1_200),
    );
    let t = Instant::now();
    ctx.await_agreement(0, &mut rx).await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(1_200),
        "{:?}",
        t.elapsed()
    );
    stop_all(rs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulled_readings_are_judged_with_the_rated_power_the_round_pinned() {
    // Relayer 1's local config allows 1 W per device; the contract pinned the default rated
    // power for round 0. Before a pull the worker reads the pinned power, so relayer 1 accepts
    // what relayer 0 accepted.
    let g = genesis();
    let mut rs = relayers(1, g).await;
    let mut tiny = policy(g);
    tiny.rated_power = RatedPower {
        cube_v1_w: 1,
        cube_v2_w: 1,
    };
    let h = common::Harness::start_with_policy(DEVICES, tiny).await;
    let db = h._dir.path().join("relayer.sqlite");
    rs.push(Relayer { h, db });
    let readings = common_readings(&rs[0], g);
    store(&rs[0], &readings).await;
    let chain = ModelChain {
        state: Arc::new(Mutex::new(ChainState::default())),
        oracle: "b".into(),
        inputs: pinned_inputs(&rs[1], g),
        later_rated: Default::default(),
    };
    assert_eq!(rs[1].h.ingest.rated_power_for(g + 600).cube_v1_w, 1);
    let ctx = worker_ctx(
        &rs[1],
        chain,
        vec![rs[0].h.url.clone()],
        Duration::from_secs(1),
    );
    let report = ctx.pull_peers(0).await.unwrap();
    assert_eq!((report.imported, report.rejected), (n64(readings.len()), 0));
    assert_eq!(rs[1].h.ingest.pinned.get(0), Some(RatedPower::default()));
    assert_eq!(
        rs[1].h.ingest.rated_power_for(g + 600),
        RatedPower::default()
    );
    stop_all(rs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rated_power_of_a_round_not_started_is_read_again_until_it_starts() {
    let (rs, g, ctx, _state, _plan) = one_relayer_with_plan(&["me", "other"]).await;
    let later = ctx.chain.later_rated.clone();
    let first = RatedPower {
        cube_v1_w: 700,
        cube_v2_w: 900,
    };
    let changed = RatedPower {
        cube_v1_w: 800,
        cube_v2_w: 950,
    };
    // Round 3 starts in the future: what the contract holds for it may still change.
    assert!(g + 3 * ROUND_SECS > now_unix());
    *later.lock().unwrap() = first;
    ctx.learn_rated_power(0..=3).await.unwrap();
    assert_eq!(rs[0].h.ingest.pinned.get(3), Some(first));
    assert!(!rs[0].h.ingest.pinned.is_final(3));
    assert!(
        rs[0].h.ingest.pinned.is_final(0),
        "round 0 has started: final"
    );
    *later.lock().unwrap() = changed;
    ctx.learn_rated_power(3..=3).await.unwrap();
    assert_eq!(rs[0].h.ingest.pinned.get(3), Some(changed));
    assert_eq!(
        rs[0].h.ingest.rated_power_for(g + 3 * ROUND_SECS + 10),
        changed
    );
    stop_all(rs).await;
}
