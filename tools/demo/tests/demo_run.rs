//! Proof of the one-command demo: runs `scripts/demo.sh --rounds 2` non-interactively on a
//! localnet of its own (own home, ports and chain id, so it never disturbs the e2e suite's
//! chain), then asserts from the chain, through the chain client, not from the printout:
//!
//! * devices: every simulated Cube registered to its owner, both-model owners flagged;
//! * the pool: a halving and a later reversal in RateHistory, every event one level step,
//!   money conserved (funded + ad fees = available + owed + claimed = the pool's TOK balance
//!   + claimed), claims paid (Σ holders' TOK balances = total claimed > 0);
//! * rounds (when the relayers attest): rounds 0 and 1 finalized by two oracle votes with
//!   their reward locked, ECT claims paid (each holder's ECT balance = the rewards of its
//!   claimed scores, Σ = Σ paid > 0). When no vote reached the chain, the demo must have said
//!   so loudly.
//!
//! It fails (never skips) when the chain cannot start. `scripts/demo.sh` builds the relayer
//! binaries from the current sources first (if they do not build, the demo runs the pool part
//! and must print its banner); the test prints which binaries it used.

// An integration-test crate: a failed expectation is what a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Instant, SystemTime};

use chain_client::TokenUnit;
use cube_types::mining_round::RoundStatus;
use cube_types::reward_pool::RateEventKind;
use demo::chain::{Contracts, View};
use demo::localnet::LocalnetInfo;
use demo::summary;
use demo::NOT_ATTESTING_BANNER;
use deploy::Deployment;

const HOLDERS: [&str; 4] = ["user1", "user2", "user3", "user4"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// The test's own localnet and demo directories.
struct TestNet {
    env: Vec<(String, String)>,
    home: PathBuf,
    work: PathBuf,
}

impl TestNet {
    fn new() -> Self {
        let base = root().join("target/demo-test");
        let home = base.join("localnet");
        let work = base.join("work");
        let env = [
            ("LOCALNET_HOME", home.display().to_string()),
            ("LOCALNET_RPC_PORT", "36757".into()),
            ("LOCALNET_REST_PORT", "11417".into()),
            ("LOCALNET_GRPC_PORT", "19190".into()),
            ("LOCALNET_P2P_PORT", "36756".into()),
            ("LOCALNET_CHAIN_ID", "rewards-demo-test-1".into()),
            ("DEMO_WORK_DIR", work.display().to_string()),
            ("DEMO_RELAYER_PORT", "18281".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        TestNet { env, home, work }
    }

    fn script(&self, script: &str, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new("bash");
        cmd.arg(root().join("scripts").join(script))
            .args(args)
            .current_dir(root())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(extra.iter().copied());
        cmd.output()
            .unwrap_or_else(|e| panic!("cannot run scripts/{script}: {e}"))
    }

    fn must(&self, script: &str, args: &[&str]) -> Output {
        let out = self.script(script, args, &[]);
        assert!(
            out.status.success(),
            "scripts/{script} {args:?} failed ({}): the demo proof needs a wasmd localnet and \
             does not skip.\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

impl Drop for TestNet {
    fn drop(&mut self) {
        let out = self.script("localnet.sh", &["stop"], &[]);
        eprintln!(
            "[demo-test] {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
}

fn describe_binary(path: &Path) -> String {
    match std::fs::metadata(path).and_then(|m| m.modified()) {
        Ok(t) => {
            let age = SystemTime::now()
                .duration_since(t)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            format!("{} (built {age} s ago)", path.display())
        }
        Err(_) => format!("{} (missing)", path.display()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_demo_rounds_finalize_pay_claims_and_move_the_pool_level() {
    let net = TestNet::new();
    net.must("build-wasmd.sh", &[]);
    net.must("localnet.sh", &["start"]);
    let started = Instant::now();
    let out = net.script(
        "demo.sh",
        &["--rounds", "2"],
        // demo.sh builds the relayer binaries from the current sources (cargo releases its
        // lock before running tests, so the nested build does not deadlock).
        &[("DEMO_BIN", env!("CARGO_BIN_EXE_demo"))],
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    eprintln!(
        "[demo-test] scripts/demo.sh --rounds 2 took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        out.status.success(),
        "scripts/demo.sh failed ({})\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    for bin in ["relayer", "cube-sim"] {
        eprintln!(
            "[demo-test] used {}",
            describe_binary(&Path::new(env!("CARGO_BIN_EXE_demo")).with_file_name(bin))
        );
    }
    assert!(stdout.contains("2 rounds done"), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    for line in &lines[lines.len().saturating_sub(45)..] {
        eprintln!("[demo-test] | {line}");
    }

    // Everything below is read from the chain.
    let info = LocalnetInfo::load(&net.home.join("accounts.json")).expect("accounts.json");
    let client = info.client("operator").expect("client");
    let text = std::fs::read_to_string(net.work.join("deployment.json")).expect("deployment");
    let deployment: Deployment = serde_json::from_str(&text).expect("deployment json");
    assert_eq!(deployment.chain_id, "rewards-demo-test-1");
    let contracts = Contracts::from_deployment(&deployment).expect("contracts");
    let view = View {
        client: &client,
        contracts: &contracts,
    };
    let holders: Vec<String> = HOLDERS
        .iter()
        .map(|n| info.account(n).expect("holder").address.clone())
        .collect();

    // Devices: the fleet pattern of cube-sim (6 devices over 4 owners).
    let mut counts = Vec::new();
    for h in &holders {
        let d = view
            .mining()
            .devices_by_owner(h, None, Some(demo::chain::PAGE))
            .await
            .expect("devices by owner");
        assert_eq!(d.dual_product, d.cube_v1 > 0 && d.cube_v2 > 0);
        counts.push((d.cube_v1, d.cube_v2, d.dual_product));
    }
    assert_eq!(
        counts,
        vec![(1, 0, false), (1, 1, true), (0, 1, false), (1, 1, true)]
    );

    // The pool: halving then reversal, one level per event.
    let history = view
        .pool()
        .rate_history(demo::chain::PAGE, 20)
        .await
        .expect("rate history");
    for e in &history {
        match e.kind {
            RateEventKind::Halving => assert_eq!(e.to_level, e.from_level + 1, "{e:?}"),
            RateEventKind::Reversal => assert_eq!(e.to_level + 1, e.from_level, "{e:?}"),
        }
    }
    let first_halving = history
        .iter()
        .position(|e| e.kind == RateEventKind::Halving)
        .unwrap_or_else(|| panic!("no halving in {history:?}"));
    assert!(
        history[first_halving..]
            .iter()
            .any(|e| e.kind == RateEventKind::Reversal),
        "no reversal after the first halving: {history:?}"
    );
    let tok = TokenUnit::from(&view.tok().token_info().await.expect("TOK token info"));
    for e in &history {
        eprintln!("[demo-test] {}", summary::rate_event(e, &tok));
    }
    let state = view.pool().state().await.expect("pool state");
    assert!(state.total_ad_fees.u128() > 0);
    assert!(state.total_claimed.u128() > 0);
    // Money is conserved and backed.
    let pool_tok = view
        .tok()
        .balance(&contracts.pool)
        .await
        .expect("pool balance");
    assert_eq!(pool_tok, state.available.u128() + state.owed.u128());
    assert_eq!(
        state.total_funded.u128() + state.total_ad_fees.u128() + state.total_reconciled.u128(),
        state.available.u128() + state.owed.u128() + state.total_claimed.u128()
    );
    // TOK claims paid: the holders hold exactly what they claimed; owed = Σ claimable.
    let mut tok_sum = 0u128;
    let mut owed_sum = 0u128;
    for h in &holders {
        tok_sum += view.tok().balance(h).await.expect("tok");
        owed_sum += view
            .pool()
            .claimable(h)
            .await
            .expect("claimable")
            .amount
            .u128();
    }
    assert_eq!(tok_sum, state.total_claimed.u128());
    assert_eq!(owed_sum, state.owed.u128());

    // Rounds: finalized by the relayers' votes, or the demo said loudly that they did not vote.
    let mut total_votes = 0u32;
    let mut rounds = Vec::new();
    for r in 0..2u64 {
        let rr = view.mining().round(r).await.expect("round");
        total_votes += summary::votes(&rr);
        rounds.push(rr);
    }
    // The relayers must attest: a demo whose rounds never finalize is a failed proof, even
    // when it says so loudly.
    assert!(
        total_votes > 0 && !stdout.contains(NOT_ATTESTING_BANNER),
        "no oracle vote reached the chain during the demo\n{stdout}"
    );
    let cfg = view.mining().config().await.expect("round config");
    let mut paid = 0u128;
    for rr in &rounds {
        let s = &rr.summary;
        assert_eq!(s.status, RoundStatus::Finalized, "round {}: {s:?}", s.round);
        assert_eq!(Some(s.accepted_batches), s.batch_count);
        assert_eq!(s.reward, cfg.round_reward);
        assert!(s.scored_owners > 0 && !s.total_score.is_zero());
        for index in 0..s.batch_count.unwrap_or(0) {
            let b = view.mining().batch(s.round, index).await.expect("batch");
            let accepted = b.accepted_hash.clone().expect("accepted batch");
            let tally = b
                .tallies
                .iter()
                .find(|t| t.batch_hash == accepted)
                .expect("tally of the accepted hash");
            assert!(tally.votes >= cfg.quorum, "{tally:?}");
        }
        assert!(s.paid <= s.reward);
        paid += s.paid.u128();
    }
    assert!(paid > 0, "no ECT claim paid");
    let mut ect_sum = 0u128;
    for h in &holders {
        let balance = view.ect().balance(h).await.expect("ect");
        let mut expected = 0u128;
        for r in 0..2u64 {
            let board = view
                .mining()
                .leaderboard(r, None, Some(10))
                .await
                .expect("leaderboard");
            if board.entries.iter().any(|e| &e.owner == h) {
                let score = view.mining().score(r, h).await.expect("score");
                if score.claimed {
                    expected += score.reward.expect("reward of a finalized round").u128();
                }
            }
        }
        assert_eq!(balance, expected, "ECT of {h}");
        ect_sum += balance;
    }
    assert_eq!(ect_sum, paid);
}
