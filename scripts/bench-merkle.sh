#!/usr/bin/env bash
# Merkle-sum tree benchmarks (prints figures, asserts nothing): for one round of 1,000,000
# owners by default, leaf hashing alone (the baseline), `Tree::build` time and its ratio to
# the baseline, peak resident memory of the build next to the memory the leaves take, proofs
# per second (generate + serialise + verify, and verification alone) for 100,000 random
# leaves, and the leaves file's write time, size and digest time; a markdown table with the
# goals (build ≤ 2 s, ≤ 512 MiB, ≥ 5,000 proofs/s) closes. Built with the `native` profile
# (optimised, no fat LTO). Arguments go to `merkle-bench` (`scripts/bench-merkle.sh --help`;
# `--leaves N`, `--proofs M`, `--seed S`).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
step "building merkle-bench (profile native)"
cargo build --locked --profile native -p merkle-bench --bin merkle-bench
step "merkle-bench"
"$(cargo_target_dir)/native/merkle-bench" "$@"
