#!/usr/bin/env bash
# Relayer benchmarks (prints figures, asserts nothing): readings/s acknowledged through the
# HTTP batch endpoint with durable SQLite storage next to the raw ed25519 verification rate
# measured in the same run; aggregation time and peak memory for 1,000,000 readings over
# 10,000 devices; peer-page serving of a round of 100,000 devices (pages/s, readings/s and
# peak memory through the store and through `GET /v1/rounds/{round}/readings`;
# `--no-peer-pages` skips it); and the per-device quota check at 1,000,000 devices against
# the first 100,000 (ns per check; `--no-quota` skips it). Built with the `native` profile
# (optimised, no fat LTO). Arguments go to `relayer-bench` (`scripts/bench-relayer.sh --help`).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
step "building relayer-bench (profile native)"
cargo build --locked --profile native -p relayer-bench --bin relayer-bench
step "relayer-bench"
"$(cargo_target_dir)/native/relayer-bench" "$@"
