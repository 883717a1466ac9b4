//! `merkle-bench`: the Merkle-sum tree's figures for one round of N owners; prints them,
//! asserts nothing about time (it fails only when something is wrong: a proof that does not
//! verify, a digest that does not match). Build with `--profile native`
//! (see `scripts/bench-merkle.sh`).
//!
//! ```text
//! merkle-bench [--leaves 1000000] [--proofs 100000] [--seed 42]
//! ```
//!
//! * (a) baseline: `leaf_node` for every leaf (the context prefix hashed per leaf), and the same
//!   through `LeafHasher` (the prefix state cloned per leaf, as `Tree::build` does);
//! * (b) `Tree::build` over the leaves: time and its ratio to the baseline;
//! * (c) peak resident memory of the build (`VmHWM` from `/proc/self/status`, reset through
//!   `/proc/self/clear_refs` before the build when the kernel allows it) next to the resident
//!   memory before it (the leaves themselves), so that the tree's own share shows;
//! * (d) proofs per second for M random leaves: `Tree::proof` + `Proof::to_bytes` +
//!   `compute_root` of the leaf node (hashed from the leaf, as the contract does), and
//!   verification alone over the same proofs;
//! * (e) the leaves file: time to write it, its size, and the time of the streamed digest.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use clap::Parser;
use cube_merkle::{
    compute_root, leaf_node, leaves_digest, leaves_file, Leaf, LeafContext, LeafHasher, Tree,
    UsageBuckets,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sha2::{Digest, Sha256};

/// Build time goal for the tree of one round.
const GOAL_BUILD: Duration = Duration::from_secs(2);
/// Peak resident memory goal of the build, MiB.
const GOAL_PEAK_MIB: f64 = 512.0;
/// Proof generation and verification goal.
const GOAL_PROOFS_PER_SEC: f64 = 5_000.0;

#[derive(Parser)]
#[command(
    name = "merkle-bench",
    version,
    about = "Merkle-sum tree benchmarks (build with --profile native); prints figures"
)]
struct Cli {
    /// Leaves (owners) of the tree.
    #[arg(long, default_value_t = 1_000_000)]
    leaves: usize,
    /// Random leaves to prove and verify.
    #[arg(long, default_value_t = 100_000)]
    proofs: usize,
    /// Seed of the random proof indexes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    ensure!(cli.leaves >= 1, "--leaves must be at least 1");
    if cfg!(debug_assertions) {
        println!("warning: debug build; build with --profile native for meaningful figures\n");
    }
    let ctx = LeafContext {
        chain_id: "rewards-local-1".into(),
        contract: "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d".into(),
        round: 7,
    };
    let start = Instant::now();
    let leaves = generate_leaves(cli.leaves);
    println!(
        "generated {} leaves in {:.2} s (owners wasm1<58-digit index>, sorted)",
        leaves.len(),
        start.elapsed().as_secs_f64()
    );

    // (a) Baseline: hashing the leaves only.
    let start = Instant::now();
    for leaf in &leaves {
        black_box(leaf_node(&ctx, black_box(leaf))?);
    }
    let baseline = start.elapsed();
    let hasher = LeafHasher::new(&ctx)?;
    let start = Instant::now();
    for leaf in &leaves {
        black_box(hasher.node(black_box(leaf))?);
    }
    let cloned_prefix = start.elapsed();

    // (b) + (c) The tree, with the memory it takes.
    let rss_before = rss_kib();
    let peak_reset = reset_peak_rss();
    let start = Instant::now();
    let tree = Tree::build(&ctx, &leaves)?;
    let build = start.elapsed();
    let peak = peak_rss_kib();
    let rss_after = rss_kib();
    let root = tree.root();
    println!(
        "root {} sum {} depth {} leaves {}",
        hex::encode(root.hash),
        root.sum,
        tree.depth(),
        tree.leaf_count()
    );

    // (d) Proofs: generate + serialise + verify (leaf hashed from the leaf, as on chain).
    let leaf_count = tree.leaf_count();
    let depth = tree.depth();
    let mut rng = StdRng::seed_from_u64(cli.seed);
    let indexes: Vec<u64> = (0..cli.proofs)
        .map(|_| rng.gen_range(0..leaf_count))
        .collect();
    let mut proofs = Vec::with_capacity(indexes.len());
    let start = Instant::now();
    for &index in &indexes {
        let bytes = tree.proof(index)?.to_bytes();
        let leaf = leaf_at(&leaves, index)?;
        let computed = compute_root(leaf_node(&ctx, leaf)?, index, leaf_count, depth, &bytes)?;
        if computed != root {
            bail!("the proof of leaf {index} does not verify");
        }
        proofs.push(bytes);
    }
    let prove_and_verify = start.elapsed();
    let start = Instant::now();
    for (&index, bytes) in indexes.iter().zip(&proofs) {
        let leaf = leaf_at(&leaves, index)?;
        let computed = compute_root(leaf_node(&ctx, leaf)?, index, leaf_count, depth, bytes)?;
        if computed != root {
            bail!("the proof of leaf {index} does not verify");
        }
    }
    let verify_only = start.elapsed();
    drop(proofs);

    // (e) The leaves file.
    let start = Instant::now();
    let file = leaves_file(&ctx, &leaves)?;
    let file_write = start.elapsed();
    let start = Instant::now();
    let digest = leaves_digest(&ctx, &leaves)?;
    let file_digest = start.elapsed();
    let direct: [u8; 32] = Sha256::digest(&file).into();
    ensure!(
        direct == digest,
        "leaves_digest differs from the file's sha256"
    );
    println!(
        "leaves file {} bytes, sha256 {}",
        file.len(),
        hex::encode(digest)
    );

    // The table.
    let secs = |d: Duration| {
        if d < Duration::from_millis(100) {
            format!("{:.2} ms", d.as_secs_f64() * 1_000.0)
        } else {
            format!("{:.3} s", d.as_secs_f64())
        }
    };
    let mib = |kib: Option<u64>| match kib {
        Some(kib) => format!("{:.1} MiB", kib as f64 / 1024.0),
        None => "n/a".into(),
    };
    let per_sec = |n: usize, d: Duration| {
        let s = d.as_secs_f64();
        if s > 0.0 {
            n as f64 / s
        } else {
            f64::INFINITY
        }
    };
    let status = |met: Option<bool>| match met {
        Some(true) => "met",
        Some(false) => "missed",
        None => "unknown",
    };
    let ratio = build.as_secs_f64() / baseline.as_secs_f64().max(f64::MIN_POSITIVE);
    let peak_mib = peak.map(|kib| kib as f64 / 1024.0);
    let tree_share = match (peak, rss_before) {
        (Some(peak), Some(before)) => Some(peak.saturating_sub(before)),
        _ => None,
    };
    let proofs_rate = per_sec(cli.proofs, prove_and_verify);
    let verify_rate = per_sec(cli.proofs, verify_only);

    println!();
    println!(
        "Merkle-sum tree, {} leaves (depth {}), {} proofs",
        cli.leaves, depth, cli.proofs
    );
    println!();
    println!("| figure | value | goal | status |");
    println!("|---|---|---|---|");
    println!(
        "| (a) leaf hashing, `leaf_node` per leaf (baseline) | {} | | |",
        secs(baseline)
    );
    println!(
        "| (a) leaf hashing, `LeafHasher` (prefix state cloned) | {} | | |",
        secs(cloned_prefix)
    );
    println!(
        "| (b) `Tree::build` (hashing + all levels) | {} ({ratio:.2}× baseline) | ≤ 2 s | {} |",
        secs(build),
        status(Some(build <= GOAL_BUILD))
    );
    println!(
        "| (c) resident memory before the build (leaves) | {} | | |",
        mib(rss_before)
    );
    println!(
        "| (c) peak resident memory during the build (`VmHWM`{}) | {} | ≤ 512 MiB | {} |",
        if peak_reset {
            ", reset before"
        } else {
            ", process lifetime"
        },
        mib(peak),
        status(peak_mib.map(|p| p <= GOAL_PEAK_MIB))
    );
    println!(
        "| (c) the tree's share (peak − before; resident after: {}) | {} | | |",
        mib(rss_after),
        mib(tree_share)
    );
    println!(
        "| (d) proofs/s: `proof` + `to_bytes` + `compute_root` | {proofs_rate:.0} | ≥ 5,000 | {} |",
        status(Some(proofs_rate >= GOAL_PROOFS_PER_SEC))
    );
    println!(
        "| (d) proofs/s: verification only (`leaf_node` + `compute_root`) | {verify_rate:.0} | | |"
    );
    println!(
        "| (e) leaves file: write (`leaves_file`) | {} | | |",
        secs(file_write)
    );
    println!(
        "| (e) leaves file: size | {} bytes ({:.1} MiB) | | |",
        file.len(),
        file.len() as f64 / (1024.0 * 1024.0)
    );
    println!(
        "| (e) leaves file: streamed digest (`leaves_digest`) | {} | | |",
        secs(file_digest)
    );
    Ok(())
}

/// Deterministic leaves sorted by owner: `wasm1` + the zero-padded index (63 bytes, the length
/// of a contract address), a few non-zero buckets, a score and a cumulative entitlement.
fn generate_leaves(count: usize) -> Vec<Leaf> {
    (0..count)
        .map(|i| {
            let x = u64::try_from(i).unwrap_or(u64::MAX);
            let mix = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            Leaf {
                owner: format!("wasm1{i:058}"),
                buckets: UsageBuckets {
                    wh: [[mix % 500, 0, (mix >> 20) % 300], [0, (mix >> 40) % 200, 0]],
                },
                score: u128::from(mix % 1_000_000) * 1_000_000,
                cumulative: u128::from(mix >> 24) * 1_000,
            }
        })
        .collect()
}

fn leaf_at(leaves: &[Leaf], index: u64) -> Result<&Leaf> {
    usize::try_from(index)
        .ok()
        .and_then(|i| leaves.get(i))
        .with_context(|| format!("no leaf {index}"))
}

/// `field:` of `/proc/self/status` in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Peak resident set size in KiB (`VmHWM`).
fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

/// Current resident set size in KiB (`VmRSS`).
fn rss_kib() -> Option<u64> {
    status_kib("VmRSS:")
}

/// Resets `VmHWM` to the current RSS (Linux `clear_refs` value 5). Returns whether it worked.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
