#!/usr/bin/env bash
# Single-validator wasmd localnet on loopback, for development and the end-to-end tests.
#
#   scripts/localnet.sh start    init (first time) and start in the background; idempotent
#   scripts/localnet.sh stop     stop the node (pid file)
#   scripts/localnet.sh reset    stop and delete all chain state (next start re-initialises)
#   scripts/localnet.sh status   print endpoints and the latest height, exit 1 if not running
#
# State lives in <repo>/.localnet/ (git-ignored): node home, node.log, node.pid and
# accounts.json (mnemonics + addresses of the funded test accounts, for Rust tests and the
# relayer; test keys only, never use them anywhere else).
#
# Chain: id rewards-local-1, fee/staking denom "stake", minimum gas price 0.025stake,
# consensus max block gas 30,000,000, blocks every ~300 ms (timeout_commit).
# CORS is open on RPC (cors_allowed_origins) and REST (enabled-unsafe-cors) for the web app.
# Every listener is bound to 127.0.0.1; ports are overridable:
#   LOCALNET_RPC_PORT (26657) LOCALNET_REST_PORT (1317) LOCALNET_GRPC_PORT (9090)
#   LOCALNET_P2P_PORT (26656) LOCALNET_CHAIN_ID (rewards-local-1)
#   LOCALNET_HOME (<repo>/.localnet) LOCALNET_START_TIMEOUT (seconds, 60)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_PREFIX=localnet
export LD_LIBRARY_PATH="$(dirname "$WASMD")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

BASE="${LOCALNET_HOME:-$REPO_ROOT/.localnet}"
HOME_DIR="$BASE/node"
LOG="$BASE/node.log"
PIDFILE="$BASE/node.pid"
ACCOUNTS="$BASE/accounts.json"
CHAIN_ID="${LOCALNET_CHAIN_ID:-rewards-local-1}"
DENOM="stake"
MIN_GAS_PRICE="0.025$DENOM"
MAX_BLOCK_GAS=30000000
BLOCK_TIME="${LOCALNET_BLOCK_TIME:-300ms}"
RPC_PORT="${LOCALNET_RPC_PORT:-26657}"
REST_PORT="${LOCALNET_REST_PORT:-1317}"
GRPC_PORT="${LOCALNET_GRPC_PORT:-9090}"
P2P_PORT="${LOCALNET_P2P_PORT:-26656}"
START_TIMEOUT="${LOCALNET_START_TIMEOUT:-60}"
ACCOUNT_NAMES=(operator oracle1 oracle2 oracle3 user1 user2 user3 user4 guardian reporter)
ACCOUNT_FUNDS="1000000000000$DENOM"   # 1,000,000 STAKE each, plenty for fees
VALIDATOR_FUNDS="2000000000000$DENOM"
VALIDATOR_STAKE="1000000000000$DENOM"

require curl jq awk

rpc_url() { printf 'http://127.0.0.1:%s' "$RPC_PORT"; }

height() {
    curl -sf --max-time 2 "$(rpc_url)/status" 2>/dev/null | jq -r '.result.sync_info.latest_block_height // empty' 2>/dev/null || true
}

running_pid() {
    [[ -f "$PIDFILE" ]] || return 1
    local pid; pid="$(cat "$PIDFILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    printf '%s' "$pid"
}

print_endpoints() {
    cat <<INFO
chain_id: $CHAIN_ID
rpc:      $(rpc_url)
rest:     http://127.0.0.1:$REST_PORT
grpc:     127.0.0.1:$GRPC_PORT
gas:      $MIN_GAS_PRICE (minimum), max block gas $MAX_BLOCK_GAS
accounts: $ACCOUNTS
log:      $LOG
height:   $(height)
INFO
}

# set_toml FILE SECTION KEY VALUE: replace `KEY = ...` inside [SECTION] ("" = top level).
set_toml() {
    local file="$1" section="$2" key="$3" value="$4" tmp
    tmp="$(mktemp)"
    awk -v section="$section" -v key="$key" -v value="$value" '
        BEGIN { cur = ""; done = 0 }
        /^\[.*\]/ { cur = $0; gsub(/^\[|\]$/, "", cur) }
        {
            if (!done && cur == section && $0 ~ "^" key "[ \t]*=") {
                print key " = " value; done = 1; next
            }
            print
        }
        END { if (!done) { exit 3 } }' "$file" > "$tmp" || { rm -f "$tmp"; die "key $key not found in [$section] of $file"; }
    mv "$tmp" "$file"
}

init_chain() {
    [[ -x "$WASMD" ]] || die "wasmd not found at $WASMD: run scripts/build-wasmd.sh first"
    log "initialising $CHAIN_ID in $HOME_DIR ($("$WASMD" version 2>&1))"
    rm -rf "$HOME_DIR" "$ACCOUNTS"
    mkdir -p "$BASE"
    local w=("$WASMD" --home "$HOME_DIR")
    "${w[@]}" init validator --chain-id "$CHAIN_ID" --default-denom "$DENOM" >/dev/null 2>&1 \
        || die "wasmd init failed"
    "${w[@]}" config set client chain-id "$CHAIN_ID" >/dev/null
    "${w[@]}" config set client keyring-backend test >/dev/null
    "${w[@]}" config set client node "$(rpc_url | sed 's/^http/tcp/')" >/dev/null

    "${w[@]}" keys add validator --keyring-backend test --output json >/dev/null 2>&1
    "${w[@]}" genesis add-genesis-account validator "$VALIDATOR_FUNDS" --keyring-backend test >/dev/null

    local entries=() name out
    for name in "${ACCOUNT_NAMES[@]}"; do
        out="$("${w[@]}" keys add "$name" --keyring-backend test --output json 2>&1)"
        "${w[@]}" genesis add-genesis-account "$name" "$ACCOUNT_FUNDS" --keyring-backend test >/dev/null
        entries+=("$(jq -c --arg n "$name" '{name: $n, address: .address, mnemonic: .mnemonic}' <<<"$out")")
    done
    printf '%s\n' "${entries[@]}" | jq -s \
        --arg chain_id "$CHAIN_ID" --arg rpc "$(rpc_url)" --arg rest "http://127.0.0.1:$REST_PORT" \
        --arg grpc "127.0.0.1:$GRPC_PORT" --arg denom "$DENOM" --arg gas_price "$MIN_GAS_PRICE" \
        '{chain_id: $chain_id, rpc: $rpc, rest: $rest, grpc: $grpc, denom: $denom,
          gas_price: $gas_price, accounts: .}' > "$ACCOUNTS"

    "${w[@]}" genesis gentx validator "$VALIDATOR_STAKE" --chain-id "$CHAIN_ID" --keyring-backend test >/dev/null 2>&1 \
        || die "gentx failed"
    "${w[@]}" genesis collect-gentxs >/dev/null 2>&1 || die "collect-gentxs failed"

    local genesis="$HOME_DIR/config/genesis.json" tmp
    tmp="$(mktemp)"
    jq --arg gas "$MAX_BLOCK_GAS" '.consensus.params.block.max_gas = $gas' "$genesis" > "$tmp"
    mv "$tmp" "$genesis"
    [[ "$(jq -r '.consensus.params.block.max_gas' "$genesis")" == "$MAX_BLOCK_GAS" ]] \
        || die "could not set max block gas in genesis"
    "${w[@]}" genesis validate >/dev/null 2>&1 || "${w[@]}" genesis validate-genesis >/dev/null 2>&1 \
        || die "genesis does not validate"

    local cfg="$HOME_DIR/config/config.toml" app="$HOME_DIR/config/app.toml"
    set_toml "$cfg" "" proxy_app "\"tcp://127.0.0.1:26658\""
    set_toml "$cfg" rpc laddr "\"tcp://127.0.0.1:$RPC_PORT\""
    set_toml "$cfg" rpc pprof_laddr "\"\""
    set_toml "$cfg" p2p laddr "\"tcp://127.0.0.1:$P2P_PORT\""
    set_toml "$cfg" p2p pex "false"
    set_toml "$cfg" p2p addr_book_strict "false"
    set_toml "$cfg" consensus timeout_commit "\"$BLOCK_TIME\""
    set_toml "$cfg" consensus timeout_propose "\"1s\""
    set_toml "$cfg" instrumentation prometheus "false"

    set_toml "$app" "" minimum-gas-prices "\"$MIN_GAS_PRICE\""
    set_toml "$app" api enable "true"
    set_toml "$app" api address "\"tcp://127.0.0.1:$REST_PORT\""
    set_toml "$app" grpc enable "true"
    set_toml "$app" grpc address "\"127.0.0.1:$GRPC_PORT\""
    set_toml "$app" telemetry enabled "false"
    allow_cors
}

# Lets the web app (served from another origin on 127.0.0.1) call the RPC and REST endpoints
# from the browser. Loopback-only test chain: any origin is allowed. Applied on every start, so
# an existing localnet home gets it too.
allow_cors() {
    local cfg="$HOME_DIR/config/config.toml" app="$HOME_DIR/config/app.toml"
    set_toml "$cfg" rpc cors_allowed_origins '["*"]'
    set_toml "$app" api enabled-unsafe-cors "true"
}

# True when accounts.json exists but lacks an account this version funds (a chain initialised
# by an older checkout): such a chain is re-initialised rather than failing tests later.
missing_accounts() {
    [[ -f "$ACCOUNTS" ]] || return 1
    local name
    for name in "${ACCOUNT_NAMES[@]}"; do
        jq -e --arg n "$name" '.accounts[] | select(.name == $n)' "$ACCOUNTS" >/dev/null || return 0
    done
    return 1
}

cmd_start() {
    if missing_accounts; then
        log "$ACCOUNTS lacks test accounts of this version (${ACCOUNT_NAMES[*]}): re-initialising"
        cmd_stop
        rm -rf "$HOME_DIR" "$ACCOUNTS" "$LOG"
    fi
    if pid="$(running_pid)"; then
        log "already running (pid $pid)"
        print_endpoints
        return 0
    fi
    [[ -x "$WASMD" ]] || die "wasmd not found at $WASMD: run scripts/build-wasmd.sh first"
    [[ -f "$HOME_DIR/config/genesis.json" && -f "$ACCOUNTS" ]] || init_chain
    allow_cors
    if curl -sf --max-time 2 "$(rpc_url)/status" >/dev/null 2>&1; then
        die "port $RPC_PORT already serves an RPC that is not ours (no live pid in $PIDFILE)"
    fi
    local started; started=$(date +%s)
    log "starting wasmd (log: $LOG)"
    nohup "$WASMD" start --home "$HOME_DIR" >>"$LOG" 2>&1 < /dev/null &
    echo $! > "$PIDFILE"
    local pid; pid="$(cat "$PIDFILE")"
    # A restarted node serves its stored height at once: wait for a block beyond the first
    # height seen, so "producing blocks" means new blocks.
    local deadline=$(( started + START_TIMEOUT )) h="" first=""
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "node exited during start-up; last lines of $LOG:"
            tail -n 30 "$LOG" >&2
            rm -f "$PIDFILE"
            exit 1
        fi
        h="$(height)"
        if [[ -n "$h" ]]; then
            [[ -n "$first" ]] || first="$h"
            if (( h > first && h >= 2 )); then break; fi
        fi
        if (( $(date +%s) >= deadline )); then
            log "no blocks after ${START_TIMEOUT}s (height '${h}'); last lines of $LOG:"
            tail -n 30 "$LOG" >&2
            exit 1
        fi
        sleep 0.2
    done
    log "producing blocks after $(( $(date +%s) - started )) s"
    print_endpoints
}

cmd_stop() {
    local pid
    if pid="$(running_pid)"; then
        kill "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then log "pid $pid did not exit, sending KILL"; kill -9 "$pid"; fi
        log "stopped (pid $pid)"
    else
        log "not running"
    fi
    rm -f "$PIDFILE"
}

cmd_status() {
    if pid="$(running_pid)"; then
        log "running (pid $pid)"
        print_endpoints
    else
        log "not running"
        return 1
    fi
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    reset) cmd_stop; rm -rf "$HOME_DIR" "$ACCOUNTS" "$LOG"; log "state removed" ;;
    status) cmd_status ;;
    *) echo "usage: $0 start|stop|reset|status" >&2; exit 2 ;;
esac
