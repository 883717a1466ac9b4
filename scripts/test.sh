#!/usr/bin/env bash
# The one test command (README.md): installs what is missing, then runs every check.
#   format → clippy (warnings denied) → wasm artifacts + cosmwasm-check → schema staleness
#   → every test of the workspace, including the end-to-end suite on a real wasmd localnet,
#     the demo's proof run and the relayer quorum tests with two relayers on the chain
#   → the web app: generated TypeScript clients current, npm ci, unit tests, browser tests
#     (chromium) on a demo localnet of their own
#   → the VM gas benchmark (prints figures).
# Each step prints its start time; the whole run ends with the elapsed time per step.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

declare -a timings=()
started=$(date +%s)
run_step() {
  local name="$1"; shift
  step "$name"
  local t0; t0=$(date +%s)
  "$@"
  timings+=("$(printf '%-34s %5ds' "$name" $(( $(date +%s) - t0 )))")
}

# The suite starts the localnet when it is not running; stop it again at the end in that case.
localnet_was_running=0
scripts/localnet.sh status >/dev/null 2>&1 && localnet_was_running=1
cleanup() {
  if [ "$localnet_was_running" -eq 0 ]; then
    scripts/localnet.sh stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

run_step "toolchain: wasm target, binaryen, jq, cosmwasm-check" bash -c '. scripts/lib.sh; ensure_apt jq curl; ensure_wasm_toolchain; ensure_cosmwasm_check'
run_step "wasmd (pinned, cached build)" scripts/build-wasmd.sh
run_step "cargo fmt --check" cargo fmt --all -- --check
run_step "cargo clippy -D warnings" cargo clippy --workspace --all-targets --locked -- -D warnings
run_step "wasm artifacts + cosmwasm-check" scripts/build-wasm.sh
run_step "schema is current" scripts/schema.sh --check
run_step "TypeScript clients are current (web/src/generated)" scripts/codegen.sh --check
run_step "cargo test (all, incl. e2e on wasmd)" cargo test --workspace --locked
# The relayer's quorum test on the chain (2 relayers, 50 devices, crash during submission)
# is #[ignore]d in plain `cargo test` because it needs the localnet; here it always runs.
run_step "localnet (for the relayer quorum tests)" scripts/localnet.sh start
run_step "relayer quorum tests on wasmd" cargo test --locked -p relayer --test localnet -- --ignored --test-threads=1
run_step "web app: npm ci, unit tests, build, browser tests on a demo localnet" scripts/test-web.sh
run_step "VM gas benchmark" scripts/bench-gas.sh

step "done in $(( $(date +%s) - started ))s"
printf '    %s\n' "${timings[@]}"
