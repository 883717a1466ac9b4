#!/usr/bin/env bash
# VM gas benchmark: runs the built artifacts in the real CosmWasm VM (cosmwasm-vm 2.3.5) and
# prints the gas of each message at several batch sizes. The same tables are written to
# <cargo target dir>/vm-gas.md, or to $VM_GAS_DOC when set (scripts/refresh-docs.sh sets it to
# the committed docs/vm-gas.md). Builds the artifacts first when they are missing or stale.
# VM_GAS_BIN: a vm-gas binary built already (the test command's workspace build).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
scripts/build-wasm.sh --if-changed
out="${VM_GAS_DOC:-$(cargo_target_dir)/vm-gas.md}"
mkdir -p "$(dirname "$out")"
step "running the VM gas benchmark (compiles cosmwasm-vm on first use)"
if [ -n "${VM_GAS_BIN:-}" ]; then
  "$VM_GAS_BIN" artifacts > "$out.tmp"
else
  cargo run --quiet --locked -p vm-gas -- artifacts > "$out.tmp"
fi
mv "$out.tmp" "$out"
cat "$out"
info "written to $out"
