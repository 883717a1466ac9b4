#!/usr/bin/env bash
# Builds every contract of the workspace, cw20-base 2.0 (the TOK/ECT token) and the governance
# contracts cw4-stake 2.0 and cw3-flex-multisig 2.0 (each from its published package) into
# artifacts/, writes artifacts/checksums.txt and runs the pinned
# cosmwasm-check on each artifact.
#
# A plain stable wasm build is rejected by the chain's VM ("bulk memory support is not
# enabled"): we rebuild std for the MVP CPU with -Z build-std (RUSTC_BOOTSTRAP=1 on stable).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

ensure_wasm_toolchain
ensure_cosmwasm_check

# Package names of the contracts (contracts/*/Cargo.toml) plus the published contracts we deploy
# unchanged: the token and the governance pair.
contracts=()
for manifest in contracts/*/Cargo.toml; do
  contracts+=("$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$manifest" | head -1)")
done
packages=("${contracts[@]}" cw20-base cw4-stake cw3-flex-multisig)

step "building wasm: ${packages[*]}"
# The published contracts are reachable through the pinning workspace members cw20-token and
# cw-governance, which must be selected too for cargo to resolve their features (they are not
# workspace members themselves).
pkg_flags=(-p cw20-token -p cw-governance)
for p in "${packages[@]}"; do pkg_flags+=(-p "$p"); done
# A separate target dir: RUSTFLAGS for the MVP build must not invalidate the host build cache.
# Under $CARGO_TARGET_DIR when it is set (a shared cache), else target/.
wasm_target="${CARGO_TARGET_DIR:-target}/wasm"
RUSTC_BOOTSTRAP=1 RUSTFLAGS='-C link-arg=-s -C target-cpu=mvp' \
  cargo build --release ${CARGO_LOCKED---locked} --target wasm32-unknown-unknown --lib \
  -Z build-std=std,panic_abort --target-dir "$wasm_target" "${pkg_flags[@]}"

step "optimizing into artifacts/"
mkdir -p artifacts
rm -f artifacts/*.wasm artifacts/checksums.txt
for p in "${packages[@]}"; do
  name="${p//-/_}"
  src="$wasm_target/wasm32-unknown-unknown/release/$name.wasm"
  [ -f "$src" ] || die "expected $src after the build"
  wasm-opt -Os --strip-debug --strip-producers "$src" -o "artifacts/$name.wasm"
  info "$(printf '%-20s %8d bytes (unoptimized %d)' "$name.wasm" "$(stat -c %s "artifacts/$name.wasm")" "$(stat -c %s "$src")")"
done
(cd artifacts && sha256sum -- *.wasm > checksums.txt)

step "cosmwasm-check $COSMWASM_CHECK_VERSION"
cosmwasm-check artifacts/*.wasm
