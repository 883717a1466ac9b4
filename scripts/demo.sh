#!/usr/bin/env bash
# One command shows the whole system working on a local wasmd chain:
#
#   scripts/demo.sh [--rounds N] [demo options]
#
# 1. builds what is missing, with progress: the pinned wasmd (cached, scripts/build-wasmd.sh),
#    the contract artifacts (scripts/build-wasm.sh --if-changed: optimised and checked again
#    only when the compiled contracts changed),
#    the `demo`, `relayer` and `cube-sim` binaries (cargo, incremental);
# 2. starts the localnet unless it already runs (scripts/localnet.sh start);
# 3. runs the `demo` binary (tools/demo): deploys TOK, ECT, reward-pool and mining-round
#    (rounds of 60 s, pool cooldown 20 s), registers the simulated Cubes, starts two relayers
#    (oracle1, oracle2) and cube-sim, drives the pool (content actions, ad fees), lets holders
#    claim and prints a live summary;
# 4. on Ctrl-C or after --rounds N: stops the relayers and cube-sim, and the localnet too if
#    this script started it, then says where the logs and the deployment file are.
#
# Demo options (also DEMO_* environment variables, see `<cargo target dir>/debug/demo --help`):
#   --rounds N  --round-secs 60  --cooldown-secs 20  --tick-secs 5  --devices 6
#   --work-dir target/demo  --relayer-port 18181
# Environment:
#   LOCALNET_HOME, LOCALNET_*_PORT, LOCALNET_CHAIN_ID   another localnet (see scripts/localnet.sh)
#   DEMO_SKIP_BUILD=1   use the binaries as they are (DEMO_BIN, default <target>/debug/demo,
#                       where <target> is Cargo's target directory: CARGO_TARGET_DIR, the
#                       user's Cargo config, or target/)
#   DEMO_KEEP_LOCALNET=1  leave a localnet this script started running at the end
#   DEMO_WEB_PORT (8088)  port of the web app on 127.0.0.1; DEMO_WEB=0 skips the web app
#   DEMO_KEEP_WEB=1       leave the web app's server running at the end (its pid file:
#                         $DEMO_WORK_DIR/web.pid)
#
# The web app (web/, built into web/dist when its sources changed) is served on
# http://127.0.0.1:$DEMO_WEB_PORT/ with the demo's deployment.json and the localnet's public
# endpoints (endpoints.json); the localnet allows its origin (CORS).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

t0=$(date +%s)
# The binaries are where Cargo puts them (CARGO_TARGET_DIR and Cargo config honoured).
cargo_dir="$(cargo_target_dir)"
DEMO_BIN="${DEMO_BIN:-$cargo_dir/debug/demo}"
export DEMO_BIN_DIR="${DEMO_BIN_DIR:-$cargo_dir/debug}"
export DEMO_WORK_DIR="${DEMO_WORK_DIR:-$REPO_ROOT/target/demo}"
LOCALNET_DIR="${LOCALNET_HOME:-$REPO_ROOT/.localnet}"
export DEMO_ACCOUNTS="${DEMO_ACCOUNTS:-$LOCALNET_DIR/accounts.json}"
started_localnet=0
interrupted=0
web_pid=""
DEMO_WEB_PORT="${DEMO_WEB_PORT:-8088}"

cleanup() {
  local rc=$?
  if [ -n "$web_pid" ] && [ -z "${DEMO_KEEP_WEB:-}" ]; then
    kill "$web_pid" 2>/dev/null || true
    rm -f "$DEMO_WORK_DIR/web.pid"
  fi
  if [ "$started_localnet" = 1 ] && [ -z "${DEMO_KEEP_LOCALNET:-}" ]; then
    step "stopping the localnet this demo started"
    scripts/localnet.sh stop || true
  fi
  printf '\n    localnet log:  %s\n' "$LOCALNET_DIR/node.log"
  printf '    demo files:    %s (deployment.json, logs/, relayer*.toml)\n' "$DEMO_WORK_DIR"
  printf '    total time:    %s s\n' "$(( $(date +%s) - t0 ))"
  exit "$rc"
}
trap cleanup EXIT

step "wasmd node (cached build)"
scripts/build-wasmd.sh

step "contract artifacts"
# Rebuilt when the contract sources changed (the cargo build is a no-op otherwise).
scripts/build-wasm.sh --if-changed

step "binaries (demo, relayer, cube-sim)"
if [ -n "${DEMO_SKIP_BUILD:-}" ]; then
  info "DEMO_SKIP_BUILD set: using $DEMO_BIN and $DEMO_BIN_DIR/{relayer,cube-sim} as they are"
else
  cargo build -p demo --bin demo
  if ! cargo build -p relayer -p cube-sim --bins; then
    printf '\n\033[31m!!! the relayer crate does not build: the demo runs the reward-pool part only\033[0m\n\n'
    export DEMO_BIN_DIR="$DEMO_WORK_DIR/no-relayer-binaries"
  fi
fi
[ -x "$DEMO_BIN" ] || die "$DEMO_BIN is missing"

step "localnet"
if scripts/localnet.sh status >/dev/null 2>&1; then
  info "already running, reusing it (it stays up afterwards)"
else
  # In a session of its own, so a Ctrl-C in this terminal reaches the demo, not the node.
  setsid -w scripts/localnet.sh start
  started_localnet=1
fi

if [ "${DEMO_WEB:-1}" != 0 ]; then
  step "web app (cached build) on 127.0.0.1:$DEMO_WEB_PORT"
  if scripts/web-build.sh; then
    mkdir -p "$DEMO_WORK_DIR"
    # The public part of the localnet's accounts file (no mnemonics): chain id and endpoints.
    jq '{chain_id, rpc, rest, denom, gas_price}' "$DEMO_ACCOUNTS" > "$DEMO_WORK_DIR/endpoints.json"
    if [ -f "$DEMO_WORK_DIR/web.pid" ]; then kill "$(cat "$DEMO_WORK_DIR/web.pid")" 2>/dev/null || true; fi
    setsid node web/serve.mjs --port "$DEMO_WEB_PORT" --dist web/dist \
      --deployment "$DEMO_WORK_DIR/deployment.json" --endpoints "$DEMO_WORK_DIR/endpoints.json" \
      > "$DEMO_WORK_DIR/web.log" 2>&1 < /dev/null &
    web_pid=$!
    echo "$web_pid" > "$DEMO_WORK_DIR/web.pid"
    export DEMO_WEB_URL="http://127.0.0.1:$DEMO_WEB_PORT/"
    info "web app: $DEMO_WEB_URL (log: $DEMO_WORK_DIR/web.log)"
  else
    printf '\n\033[31m!!! the web app does not build: the demo runs without it\033[0m\n\n'
  fi
fi

step "demo (Ctrl-C stops it cleanly)"
# The demo binary handles Ctrl-C itself (it stops its children and prints the summary); from
# here on the script only notes it and carries on with the cleanup once the binary has exited.
trap 'interrupted=1' INT TERM
set +e
"$DEMO_BIN" "$@"
rc=$?
set -e
[ "$interrupted" = 1 ] && info "interrupted"
exit "$rc"
