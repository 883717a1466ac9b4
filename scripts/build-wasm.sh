#!/usr/bin/env bash
# Builds every contract of the workspace and cw20-base 2.0 (the TOK/ECT token, from its
# crates.io package) into artifacts/, writes artifacts/checksums.txt and runs the pinned
# cosmwasm-check on each artifact.
#
# A plain stable wasm build is rejected by the chain's VM ("bulk memory support is not
# enabled"): we rebuild std for the MVP CPU with -Z build-std (RUSTC_BOOTSTRAP=1 on stable).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

ensure_wasm_toolchain
ensure_cosmwasm_check

# Package names of the contracts (contracts/*/Cargo.toml) plus the token contract.
contracts=()
for manifest in contracts/*/Cargo.toml; do
  contracts+=("$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$manifest" | head -1)")
done
packages=("${contracts[@]}" cw20-base)

step "building wasm: ${packages[*]}"
# cw20-base is reachable through the workspace member cw20-token, which must be selected too
# for cargo to resolve cw20-base's features (it is not a workspace member itself).
pkg_flags=(-p cw20-token)
for p in "${packages[@]}"; do pkg_flags+=(-p "$p"); done
# A separate target dir: RUSTFLAGS for the MVP build must not invalidate the host build cache.
RUSTC_BOOTSTRAP=1 RUSTFLAGS='-C link-arg=-s -C target-cpu=mvp' \
  cargo build --release ${CARGO_LOCKED---locked} --target wasm32-unknown-unknown --lib \
  -Z build-std=std,panic_abort --target-dir target/wasm "${pkg_flags[@]}"

step "optimizing into artifacts/"
mkdir -p artifacts
rm -f artifacts/*.wasm artifacts/checksums.txt
for p in "${packages[@]}"; do
  name="${p//-/_}"
  src="target/wasm/wasm32-unknown-unknown/release/$name.wasm"
  [ -f "$src" ] || die "expected $src after the build"
  wasm-opt -Os --strip-debug --strip-producers "$src" -o "artifacts/$name.wasm"
  info "$(printf '%-20s %8d bytes (unoptimized %d)' "$name.wasm" "$(stat -c %s "artifacts/$name.wasm")" "$(stat -c %s "$src")")"
done
(cd artifacts && sha256sum -- *.wasm > checksums.txt)

step "cosmwasm-check $COSMWASM_CHECK_VERSION"
cosmwasm-check artifacts/*.wasm
