#!/usr/bin/env bash
# VM gas benchmark: runs the built artifacts in the real CosmWasm VM (cosmwasm-vm 2.3.5) and
# prints the gas of each message at several batch sizes; writes the same tables to
# docs/vm-gas.md. Builds the artifacts first when they are missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
if ! ls artifacts/*.wasm >/dev/null 2>&1; then
  scripts/build-wasm.sh
fi
step "running the VM gas benchmark (compiles cosmwasm-vm on first use)"
mkdir -p docs
cargo run --quiet --locked -p vm-gas -- artifacts > docs/vm-gas.md.tmp
mv docs/vm-gas.md.tmp docs/vm-gas.md
cat docs/vm-gas.md
