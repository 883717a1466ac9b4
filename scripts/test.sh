#!/usr/bin/env bash
# The one test command (README.md). Runs in stages; each stage installs or starts what it needs
# (toolchain, wasmd, artifacts, localnet), so any stage works alone from a fresh clone.
#
#   scripts/test.sh                  every stage, in order (what .ci/run and the README call)
#   scripts/test.sh STAGE...         the named stages only, in the order given
#   scripts/test.sh --list           the stages, one line each
#   scripts/test.sh --fail-fast ...  stop at the first failing stage (default: run the rest, so
#                                    one run reports every failing stage)
#
# The run ends with a table (stage, result, seconds); its last line names the first failing
# stage and the exit code is non-zero when any stage failed. Each stage's output is also kept in
# <cargo target dir>/test-logs/<stage>.log. A full run (no stage named) that passes writes the
# commit it tested to target/last-green-commit (git-ignored): compare it with `git rev-parse HEAD`
# to know whether the checkout as it stands passed the whole suite on this machine.
#
# No stage writes a tracked file: gas tables and screenshots land under the target directory;
# scripts/refresh-docs.sh regenerates the committed copies in docs/. The last stage (`clean`)
# fails when `git status --porcelain` is not empty and names the files.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

# name|one-line description (the order of a full run)
STAGES=(
  "lint|cargo fmt --check and cargo clippy -D warnings over the whole workspace, every target"
  "wasm|contract artifacts (MVP wasm build, wasm-opt) + cosmwasm-check; schema/ and the web's TypeScript clients are current; the pool simulator's library builds for wasm32"
  "contracts|unit, property and cw-multi-test tests of the contracts (pool, mining round, timelock) and the shared contract packages"
  "relayer|relayer (SQLite store, HTTP ingest, daemon), telemetry, chain client, deploy and tool tests: no chain needed"
  "e2e|both contracts and governance through real signed transactions on the wasmd localnet (crate e2e)"
  "quorum|two and three relayer processes attesting rounds on the wasmd localnet: exact payouts, crash, chaos"
  "demo|scripts/demo.sh --rounds 2 on a localnet of its own, then every figure checked from the chain"
  "web|web app: npm ci, unit tests, build, browser tests (Debian chromium) on a demo localnet of its own"
  "gas|VM gas benchmark in cosmwasm-vm: prints the gas of each message (target/vm-gas.md)"
  "clean|the tests left the work tree as they found it: git status --porcelain is empty"
)

stage_names() { local s; for s in "${STAGES[@]}"; do printf '%s\n' "${s%%|*}"; done; }

usage() {
  printf 'usage: scripts/test.sh [--fail-fast] [STAGE...] | --list\n'
}

list_stages() {
  local s
  for s in "${STAGES[@]}"; do printf '%-10s %s\n' "${s%%|*}" "${s#*|}"; done
}

# --- prerequisites shared by stages (each is idempotent and cheap when already satisfied) ---

need_wasmd() { scripts/build-wasmd.sh; }
need_artifacts() { scripts/build-wasm.sh --if-changed; }

# --- the stages (each runs in a subshell with `set -euo pipefail`) ---

stage_lint() {
  ensure_rust_tools
  # Both run, so one pass reports formatting and clippy findings together.
  local fmt=0
  cargo fmt --all -- --check || fmt=$?
  cargo clippy --workspace --all-targets --locked -- -D warnings
  [ "$fmt" = 0 ] || die "cargo fmt --check found unformatted code (run cargo fmt --all)"
}

stage_wasm() {
  ensure_apt jq curl
  need_artifacts
  scripts/schema.sh --check
  scripts/codegen.sh --check
  # The simulator's core (no I/O) is meant for the browser: it must keep building for wasm32.
  cargo check --locked -p pool-sim --lib --no-default-features --target wasm32-unknown-unknown
}

CONTRACT_PACKAGES=(reward-pool mining-round timelock contract-common cube-scoring cube-merkle cube-types upstream-contracts)

stage_contracts() {
  workspace_build
  run_tests "${CONTRACT_PACKAGES[@]}"
}

# Every other package's tests, except the chain suites of e2e and demo (their own stages).
stage_relayer() {
  workspace_build
  local pkgs
  mapfile -t pkgs < <(cut -f1 "$(workspace_executables)" | sort -u \
    | grep -vxF -f <(printf '%s\n' "${CONTRACT_PACKAGES[@]}" e2e demo))
  info "packages: ${pkgs[*]}"
  CUBE_SIM_BIN="$(workspace_bin cube-sim cube-sim)" run_tests "${pkgs[@]}" e2e:e2e
  # Doc tests of every crate (same feature resolution as the workspace build).
  cargo test --workspace --doc --locked
}

# side_by_side LABEL PORT_BASE NAME=COMMAND...
# Runs each COMMAND in the background on a wasmd localnet of its own, started first: home
# <target>/LABEL/net<k>, ports PORT_BASE + 10·k (RPC; P2P one below), chain id rewards-LABEL-<k>,
# passed to the command as LOCALNET_HOME/LOCALNET_DIR, LOCALNET_*_PORT and LOCALNET_CHAIN_ID.
# Waits for all, prints each result (and the tail of each failing log), stops the localnets.
# Tests on the chain mostly wait for blocks and rounds, so side by side they take as long as
# the longest instead of the sum.
_sbs_env() {
  local k=$1
  printf '%s\n' "LOCALNET_HOME=$SBS_BASE/net$k" "LOCALNET_DIR=$SBS_BASE/net$k" \
    "LOCALNET_RPC_PORT=$(( SBS_PORT + k * 10 ))" "LOCALNET_P2P_PORT=$(( SBS_PORT - 1 + k * 10 ))" \
    "LOCALNET_REST_PORT=$(( SBS_PORT - 25340 + k * 10 ))" "LOCALNET_GRPC_PORT=$(( SBS_PORT - 17567 + k * 10 ))" \
    "LOCALNET_CHAIN_ID=rewards-$SBS_LABEL-$k"
}
_sbs_stop() {
  local k
  for (( k = 0; k < ${SBS_N:-0}; k++ )); do
    env $(_sbs_env "$k") scripts/localnet.sh stop >/dev/null 2>&1 || true
  done
}
side_by_side() {
  # Globals, not locals: the EXIT trap that stops the localnets runs after this function returns.
  SBS_LABEL=$1 SBS_PORT=$2; shift 2
  SBS_BASE="$(cargo_target_dir)/$SBS_LABEL"
  SBS_N=$#
  rm -rf "$SBS_BASE"
  mkdir -p "$SBS_BASE"
  trap _sbs_stop EXIT
  local names=() cmds=() job k
  for job in "$@"; do names+=("${job%%=*}"); cmds+=("${job#*=}"); done
  local starts=()
  for (( k = 0; k < SBS_N; k++ )); do
    info "localnet $k (RPC port $(( SBS_PORT + k * 10 ))) for ${names[$k]}"
    env $(_sbs_env "$k") scripts/localnet.sh start > "$SBS_BASE/net$k.start.log" 2>&1 &
    starts+=($!)
  done
  for (( k = 0; k < SBS_N; k++ )); do
    wait "${starts[$k]}" || { cat "$SBS_BASE/net$k.start.log"; die "localnet $k did not start"; }
  done
  local pids=() t0; t0=$(date +%s)
  for (( k = 0; k < SBS_N; k++ )); do
    info "started ${names[$k]} (log: $SBS_BASE/${names[$k]}.log)"
    env $(_sbs_env "$k") bash -c "${cmds[$k]}" > "$SBS_BASE/${names[$k]}.log" 2>&1 &
    pids+=($!)
  done
  local failed=0 rc
  for (( k = 0; k < SBS_N; k++ )); do
    rc=0
    wait "${pids[$k]}" || rc=$?
    if [ "$rc" -eq 0 ]; then
      info "$(printf 'pass  %-72s done by %4d s' "${names[$k]}" $(( $(date +%s) - t0 )))"
    else
      failed=1
      printf '\033[31mFAIL  %s (exit %s); last lines of %s:\033[0m\n' "${names[$k]}" "$rc" "$SBS_BASE/${names[$k]}.log"
      tail -n 80 "$SBS_BASE/${names[$k]}.log"
    fi
  done
  return "$failed"
}

# The end-to-end suite: one test binary per scenario (tests/e2e/tests/*.rs), side by side.
stage_e2e() {
  ensure_apt jq curl
  need_wasmd
  need_artifacts
  workspace_build
  local jobs=() t
  for t in $(workspace_tests e2e); do
    jobs+=("$t=. scripts/lib.sh; run_tests e2e:$t -- --nocapture")
  done
  [ ${#jobs[@]} -gt 0 ] || die "no e2e test binaries built"
  side_by_side e2e 38057 "${jobs[@]}"
}

# The relayer's chain tests (#[ignore]d in a plain `cargo test`: they need a localnet), each
# waiting for real rounds of 60 s: side by side, one localnet each.
stage_quorum() {
  ensure_apt jq curl
  need_wasmd
  need_artifacts
  workspace_build
  local exe tests jobs=() t
  exe="$(workspace_tests relayer localnet)"
  [ -n "$exe" ] && [ -x "$exe" ] || die "the relayer's localnet test was not built"
  mapfile -t tests < <("$exe" --ignored --list 2>/dev/null | sed -n 's/: test$//p')
  [ ${#tests[@]} -gt 0 ] || die "no #[ignore]d tests found in relayer/tests/localnet.rs"
  export CUBE_SIM_BIN; CUBE_SIM_BIN="$(workspace_bin cube-sim cube-sim)"
  for t in "${tests[@]}"; do
    jobs+=("$t=. scripts/lib.sh; run_tests relayer:localnet -- --ignored --exact $t --nocapture")
  done
  side_by_side quorum 37057 "${jobs[@]}"
}

stage_demo() {
  ensure_apt jq curl
  need_wasmd
  need_artifacts
  workspace_build
  # The proof starts (and stops) a localnet of its own, on ports of its own; the demo runs the
  # binaries of the workspace build.
  DEMO_SKIP_BUILD=1 DEMO_BIN_DIR="$(dirname "$(workspace_bin relayer relayer)")" run_tests demo
}

stage_web() {
  ensure_apt jq curl
  need_wasmd
  need_artifacts
  workspace_build
  DEMO_SKIP_BUILD=1 DEMO_BIN="$(workspace_bin demo demo)" \
    DEMO_BIN_DIR="$(dirname "$(workspace_bin relayer relayer)")" scripts/test-web.sh
}

stage_gas() {
  need_artifacts
  workspace_build
  VM_GAS_BIN="$(workspace_bin vm-gas vm-gas)" scripts/bench-gas.sh
}

stage_clean() {
  local dirty
  dirty="$(git status --porcelain --untracked-files=all)"
  if [ -n "$dirty" ]; then
    printf '\033[31mthe work tree is not clean after the tests\033[0m; these files were written or left:\n'
    printf '%s\n' "$dirty" | sed 's/^/    /'
    return 1
  fi
  info "git status --porcelain is empty"
}

# --- arguments ---

fail_fast=0
selected=()
for arg in "$@"; do
  case "$arg" in
    --list) list_stages; exit 0 ;;
    --fail-fast) fail_fast=1 ;;
    -h|--help) usage; printf '\nstages:\n'; list_stages | sed 's/^/  /'; exit 0 ;;
    -*) usage >&2; die "unknown option $arg" ;;
    *)
      stage_names | grep -qx -- "$arg" || { usage >&2; printf '\nstages:\n' >&2; list_stages >&2; die "unknown stage '$arg'"; }
      selected+=("$arg")
      ;;
  esac
done
full=0
if [ ${#selected[@]} -eq 0 ]; then
  full=1
  mapfile -t selected < <(stage_names)
fi

# --- the run ---

trap 'exit 130' INT TERM

log_dir="$(cargo_target_dir)/test-logs"
mkdir -p "$log_dir"
tested_commit="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
run_started=$(date +%s)
results=()
first_failed=""
skipped_after=""

for name in "${selected[@]}"; do
  if [ -n "$first_failed" ] && [ "$fail_fast" = 1 ]; then
    results+=("$name|skipped|0")
    skipped_after=1
    continue
  fi
  step "stage $name: $(list_stages | awk -v n="$name" '$1 == n { $1 = ""; sub(/^ +/, ""); print }')"
  t0=$(date +%s)
  (
    set -euo pipefail
    "stage_$name"
  ) 2>&1 | tee "$log_dir/$name.log"
  rc=${PIPESTATUS[0]}
  secs=$(( $(date +%s) - t0 ))
  if [ "$rc" -eq 0 ]; then
    results+=("$name|pass|$secs")
  else
    results+=("$name|FAIL|$secs")
    [ -n "$first_failed" ] || first_failed="$name"
    printf '\033[31m    stage %s failed (exit %s) after %s s; log: %s\033[0m\n' "$name" "$rc" "$secs" "$log_dir/$name.log"
  fi
done

total=$(( $(date +%s) - run_started ))
printf '\n%-10s %-7s %8s\n' stage result seconds
printf '%-10s %-7s %8s\n' ---------- ------- --------
for r in "${results[@]}"; do
  IFS='|' read -r n res secs <<<"$r"
  printf '%-10s %-7s %8s\n' "$n" "$res" "$secs"
done
printf '%-10s %-7s %8s\n' total "" "$total"
if [ -n "$first_failed" ]; then
  [ -n "$skipped_after" ] && printf '(--fail-fast: the stages after it were skipped)\n'
  printf '\033[31mFAILED: first failing stage: %s\033[0m (log: %s/%s.log)\n' "$first_failed" "$log_dir" "$first_failed"
  exit 1
fi
if [ "$full" = 1 ]; then
  mkdir -p "$REPO_ROOT/target"
  printf '%s\n' "$tested_commit" > "$REPO_ROOT/target/last-green-commit"
  printf 'all stages passed at %s (written to target/last-green-commit)\n' "$tested_commit"
else
  printf 'passed: %s\n' "${selected[*]}"
fi
