#!/usr/bin/env bash
# Builds every artifact of deploy/artifacts.txt (our contracts incl. the timelock, cw20-base 2.0 for TOK/ECT and the
# governance contracts cw4-stake 2.0 and cw3-flex-multisig 2.0, each from its published package)
# into artifacts/, writes artifacts/checksums.txt and runs the pinned cosmwasm-check on each.
#
#   scripts/build-wasm.sh              build, optimise and check every artifact
#   scripts/build-wasm.sh --if-changed the cargo build always runs (a no-op when the sources are
#                                      unchanged); optimising and checking are skipped when the
#                                      compiled wasm is byte for byte what artifacts/ was made from
#
# A plain stable wasm build is rejected by the chain's VM ("bulk memory support is not
# enabled"): we rebuild std for the MVP CPU with -Z build-std (RUSTC_BOOTSTRAP=1 on stable).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

if_changed=0
case "${1:-}" in
  --if-changed) if_changed=1 ;;
  "") ;;
  *) die "unknown argument $1 (usage: scripts/build-wasm.sh [--if-changed])" ;;
esac

ensure_wasm_toolchain
ensure_cosmwasm_check

# The artifact list (deploy/artifacts.txt): our contracts and the published ones we deploy
# unchanged. The published ones are reachable through the pinning workspace member
# upstream-contracts (packages/upstream), which must be selected too for cargo to resolve their
# features (they are not workspace members themselves).
mapfile -t packages < <(artifact_packages)
step "building wasm: ${packages[*]}"
pkg_flags=(-p upstream-contracts)
for p in "${packages[@]}"; do pkg_flags+=(-p "$p"); done
# A separate target dir: RUSTFLAGS for the MVP build must not invalidate the host build cache.
# Under Cargo's target directory (CARGO_TARGET_DIR or the user's Cargo config when set).
wasm_target="$(cargo_target_dir)/wasm"
# Panics abort at once (`-C panic=immediate-abort`, which needs the rebuilt std): no panic
# message formatting and no symbol demangling in the artifact. Our contracts never panic (the
# workspace lints); a panic in a dependency still ends the call as a VM trap, only without text.
RUSTC_BOOTSTRAP=1 RUSTFLAGS='-C link-arg=-s -C target-cpu=mvp -Z unstable-options -C panic=immediate-abort' \
  cargo build --release ${CARGO_LOCKED---locked} --target wasm32-unknown-unknown --lib \
  -Z build-std=std,panic_abort --target-dir "$wasm_target" "${pkg_flags[@]}"

# What artifacts/ is made from: the compiled wasm of every package, in list order.
stamp="$(for p in "${packages[@]}"; do
  f="$wasm_target/wasm32-unknown-unknown/release/$(artifact_name "$p").wasm"
  [ -f "$f" ] && sha256sum < "$f" || echo missing
done | sha256sum | cut -d' ' -f1)"
if [ "$if_changed" = 1 ] && [ -f artifacts/.source-stamp ] && [ "$(cat artifacts/.source-stamp)" = "$stamp" ] \
   && (cd artifacts && sha256sum --quiet -c checksums.txt >/dev/null 2>&1); then
  info "artifacts/ is current (compiled wasm unchanged): not optimising or checking again"
  exit 0
fi

step "optimizing into artifacts/"
mkdir -p artifacts
rm -f artifacts/.source-stamp
rm -f artifacts/*.wasm artifacts/checksums.txt
for p in "${packages[@]}"; do
  name="$(artifact_name "$p")"
  src="$wasm_target/wasm32-unknown-unknown/release/$name.wasm"
  [ -f "$src" ] || die "expected $src after the build"
  wasm-opt -Os --strip-debug --strip-producers "$src" -o "artifacts/$name.wasm"
  size="$(stat -c %s "artifacts/$name.wasm")"
  budget="$(artifact_budget "$p")"
  info "$(printf '%-24s %8d bytes, %3d %% of the upload limit, budget %s (unoptimized %d)' "$name.wasm" "$size" \
    "$((size * 100 / WASM_UPLOAD_LIMIT))" "${budget:-none}" "$(stat -c %s "$src")")"
  if [ -n "$budget" ] && [ "$size" -gt "$budget" ]; then
    die "artifacts/$name.wasm is $size bytes, over its budget of $budget (deploy/artifacts.txt)"
  fi
done
(cd artifacts && sha256sum -- *.wasm > checksums.txt)

step "cosmwasm-check $COSMWASM_CHECK_VERSION"
cosmwasm-check artifacts/*.wasm
echo "$stamp" > artifacts/.source-stamp
