#!/usr/bin/env bash
# Builds the pinned wasmd node (chain/go.mod) into a cache directory outside git.
#
#   scripts/build-wasmd.sh            build unless the cached binary matches the pin
#   REWARD_INFRA_CACHE=/path ...      cache root (default ~/.cache/reward-infra)
#   FORCE=1 scripts/build-wasmd.sh    rebuild even when the stamp matches
#
# Modules come from wherever the environment's Go configuration points (`go env GOPROXY`,
# GOPRIVATE, GONOSUMDB…): this script sets no source of its own, so a user's mirror is honoured.
# wasmd links libwasmvm.x86_64.so from the Go module cache via rpath; the library is copied
# next to the binary and scripts/localnet.sh sets LD_LIBRARY_PATH, so the cached binary does
# not depend on the module cache staying around.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_PREFIX=build-wasmd
BIN_DIR="$WASMD_BIN_DIR"
BIN="$BIN_DIR/wasmd"
STAMP="$BIN_DIR/wasmd.stamp"

require go

want_stamp="$(cat "$REPO_ROOT/chain/go.mod" "$REPO_ROOT/chain/go.sum" <(go version) | sha256sum | cut -d' ' -f1)"
if [[ -z "${FORCE:-}" && -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" ]]; then
    if LD_LIBRARY_PATH="$BIN_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$BIN" version >/dev/null 2>&1; then
        log "cached wasmd matches the pin ($BIN), skipping build"
        exit 0
    fi
    log "cached wasmd does not run, rebuilding"
fi

mkdir -p "$BIN_DIR"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly -buildvcs=false"
export CGO_ENABLED=1
cd "$REPO_ROOT/chain"

wasmd_version="$(go list -m -f '{{.Version}}' github.com/CosmWasm/wasmd)"
log "go: $(go version)"
log "wasmd $wasmd_version -> $BIN"
start=$(date +%s)
log "downloading modules (GOPROXY from the environment: $(go env GOPROXY)) ..."
go mod download -x 2>&1 | grep -E '^# get .*: 200 OK' | sed -E 's/^# get https?:\/\/[^/]+\/(.*): 200 OK.*/[build-wasmd]   fetched \1/' >&2 || true
log "compiling (a cold build is ~8 min of 2 busy cores plus module downloads) ..."
# -v prints each package as it is compiled: progress for long CI builds.
go build -v -o "$BIN.tmp" \
    -ldflags "-X github.com/cosmos/cosmos-sdk/version.Name=wasm -X github.com/cosmos/cosmos-sdk/version.AppName=wasmd -X github.com/cosmos/cosmos-sdk/version.Version=$wasmd_version" \
    github.com/CosmWasm/wasmd/cmd/wasmd 2>&1 | awk '{ n++; if (n % 50 == 0) { printf "[build-wasmd]   %d packages compiled (last: %s)\n", n, $0; fflush() } }' >&2
[[ -x "$BIN.tmp" ]] || die "go build produced no binary"
mv "$BIN.tmp" "$BIN"

wasmvm_dir="$(go list -m -f '{{.Dir}}' github.com/CosmWasm/wasmvm/v3)"
lib="$wasmvm_dir/internal/api/libwasmvm.$(uname -m).so"
[[ -f "$lib" ]] || die "$lib not found"
install -m 0644 "$lib" "$BIN_DIR/"

version="$(LD_LIBRARY_PATH="$BIN_DIR" "$BIN" version 2>&1)"
log "built wasmd version $version in $(( $(date +%s) - start )) s"
printf '%s\n' "$want_stamp" > "$STAMP"
