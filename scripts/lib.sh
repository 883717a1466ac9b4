# Shared helpers for the project's scripts. Source it: `. "$(dirname "$0")/lib.sh"`.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT
# Everything built outside git (the wasmd binary, tool stamps) lives here.
export REWARD_INFRA_CACHE="${REWARD_INFRA_CACHE:-$HOME/.cache/reward-infra}"
# The pinned wasmd node: scripts/build-wasmd.sh builds it here, scripts/localnet.sh runs it
# (WASMD_BIN overrides the binary; its directory also holds libwasmvm).
WASMD_BIN_DIR="$REWARD_INFRA_CACHE/bin"
WASMD="${WASMD_BIN:-$WASMD_BIN_DIR/wasmd}"
# Where Cargo puts what it builds: $CARGO_TARGET_DIR, a `build.target-dir` in the user's Cargo
# config, or <repo>/target. Asked of Cargo itself, once per process.
cargo_target_dir() {
  if [ -z "${_CARGO_TARGET_DIR_CACHED:-}" ]; then
    local meta
    meta="$(cd "$REPO_ROOT" && cargo metadata --format-version 1 --no-deps)" \
      || die "cargo metadata failed"
    # jq when it is installed; a fresh machine's first call may come before a stage installs it.
    if command -v jq >/dev/null; then
      _CARGO_TARGET_DIR_CACHED="$(jq -r '.target_directory' <<<"$meta")"
    else
      _CARGO_TARGET_DIR_CACHED="$(sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p' <<<"$meta")"
    fi
    [ -n "$_CARGO_TARGET_DIR_CACHED" ] || die "cargo metadata did not name a target directory"
    export _CARGO_TARGET_DIR_CACHED
  fi
  printf '%s\n' "$_CARGO_TARGET_DIR_CACHED"
}

# Pinned tool versions.
COSMWASM_CHECK_VERSION="3.0.10"

# Cargo packages built into artifacts/, one per line (deploy/artifacts.txt, the one list).
artifact_packages() {
  sed -e 's/#.*//' "$REPO_ROOT/deploy/artifacts.txt" | awk 'NF { print $1 }'
}
# wasmd's upload limit for one contract (bytes).
WASM_UPLOAD_LIMIT=819200
# The size budget in bytes of a package's artifact (third column of deploy/artifacts.txt).
artifact_budget() {
  sed -e 's/#.*//' "$REPO_ROOT/deploy/artifacts.txt" | awk -v p="$1" 'NF && $1 == p { print $3 }'
}
# The artifact file stem of a package: cw20-base → cw20_base.
artifact_name() { printf '%s\n' "${1//-/_}"; }

step() { printf '\n\033[1m==> %s\033[0m  [%s]\n' "$*" "$(date +%H:%M:%S)"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }
# Progress on stderr (stdout stays parseable), prefixed with $LOG_PREFIX when a script sets it.
log() { printf '%s%s\n' "${LOG_PREFIX:+[$LOG_PREFIX] }" "$*" >&2; }
# Fail early with the install hint when a command is missing.
require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool is required but not on PATH (scripts/test.sh installs what it can)"
  done
}

# Run the apt installer once per process for the packages that are missing.
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  info "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# rustfmt and clippy (rustup components), jq and curl (Debian).
ensure_rust_tools() {
  ensure_apt jq curl
  local c
  for c in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
      info "adding rustup component $c"
      rustup component add "$c"
    fi
  done
}

ensure_wasm_toolchain() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    info "adding rustup target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  if ! rustup component list --installed | grep -q '^rust-src'; then
    info "adding rustup component rust-src"
    rustup component add rust-src
  fi
  command -v wasm-opt >/dev/null || ensure_apt binaryen
}

ensure_cosmwasm_check() {
  if command -v cosmwasm-check >/dev/null \
     && cosmwasm-check --version 2>/dev/null | grep -q "$COSMWASM_CHECK_VERSION"; then
    return 0
  fi
  info "installing cosmwasm-check $COSMWASM_CHECK_VERSION (a one-off build of a few minutes)"
  cargo install cosmwasm-check --version "$COSMWASM_CHECK_VERSION" --locked --quiet
}

# --- one workspace build shared by every test stage -------------------------------------------
# `cargo test -p A` and `cargo test -p B` resolve features for their own selection, so a
# dependency (tokio, cosmwasm-std…) is compiled once per selection and every crate above it with
# it. The test command builds the whole workspace once instead — libraries, binaries and every
# test target, with one feature resolution — and runs the test executables it produced.

# The executables of the last workspace_build: package, test (true/false), kind, target name,
# executable, package directory; tab-separated, libraries' tests first.
workspace_executables() { printf '%s/test-logs/executables.tsv\n' "$(cargo_target_dir)"; }

# Builds libraries, binaries and tests of every workspace member (a no-op when nothing changed)
# and records the executables.
workspace_build() {
  local out json meta
  ensure_apt jq
  out="$(workspace_executables)"
  mkdir -p "$(dirname "$out")"
  json="$(mktemp)"
  meta="$(mktemp)"
  if ! cargo build --workspace --lib --bins --tests --locked --message-format=json-render-diagnostics > "$json"; then
    rm -f "$json" "$meta"
    return 1
  fi
  cargo metadata --format-version 1 --no-deps --locked > "$meta"
  jq -r --slurpfile meta "$meta" '
      ($meta[0].packages | map({key: .manifest_path, value: .name}) | from_entries) as $names
      | select(.reason == "compiler-artifact" and .executable != null)
      | [$names[.manifest_path], (.profile.test | tostring), (.target.kind | join(",")),
         .target.name, .executable, (.manifest_path | sub("/Cargo.toml$"; ""))]
      | @tsv' "$json" \
    | sort -t$'\t' -k1,1 -k2,2 -k3,3 -k4,4 > "$out.tmp"
  mv "$out.tmp" "$out"
  rm -f "$json" "$meta"
}

# workspace_tests PKG: the names of PKG's integration tests; workspace_tests PKG NAME: the
# executable of integration test NAME. From the last workspace_build.
workspace_tests() {
  awk -F'\t' -v p="$1" -v t="${2:-}" '$1 == p && $3 == "test" && (t == "" || $4 == t) {
    print (t == "" ? $4 : $5) }' "$(workspace_executables)"
}

# The binary BIN of package PKG from the last workspace_build.
workspace_bin() {
  local pkg=$1 bin=$2 exe
  exe="$(awk -F'\t' -v p="$pkg" -v b="$bin" '$1 == p && $2 == "false" && $4 == b { print $5 }' "$(workspace_executables)")"
  [ -n "$exe" ] && [ -x "$exe" ] || die "binary $bin of $pkg not built (workspace_build first)"
  printf '%s\n' "$exe"
}

# run_tests PKG[:TARGET]... [-- ARGS]: runs every test executable of the packages (unit tests
# of the library and binaries, each integration test; PKG:TARGET only that target), as
# `cargo test -p PKG... -- ARGS` would: from the package's directory, with Cargo's runtime
# environment. Runs them all; fails when one failed.
run_tests() {
  local pkgs=() args=()
  while [ $# -gt 0 ]; do
    if [ "$1" = -- ]; then shift; args=("$@"); break; fi
    pkgs+=("$1"); shift
  done
  local list; list="$(workspace_executables)"
  [ -f "$list" ] || die "no workspace build recorded (workspace_build first)"
  local cargo_bin; cargo_bin="$(command -v cargo)"
  local failed=() found=0 pkg is_test kind target exe dir p want
  while IFS=$'\t' read -r -u 3 pkg is_test kind target exe dir; do
    [ "$is_test" = true ] || continue
    want=0
    for p in "${pkgs[@]}"; do
      [ "$p" = "$pkg" ] || [ "$p" = "$pkg:$target" ] && want=1
    done
    [ "$want" = 1 ] || continue
    found=1
    printf '     \033[1mRunning\033[0m %s %s of %s (%s)\n' "$kind" "$target" "$pkg" "${exe#"$REPO_ROOT"/}"
    if ! (cd "$dir" && CARGO="$cargo_bin" CARGO_MANIFEST_DIR="$dir" CARGO_PKG_NAME="$pkg" \
          CARGO_PRIMARY_PACKAGE=1 "$exe" ${args[@]+"${args[@]}"}); then
      failed+=("$pkg/$target")
    fi
  done 3< "$list"
  [ "$found" = 1 ] || die "no test executables of ${pkgs[*]} in $list"
  if [ ${#failed[@]} -gt 0 ]; then
    printf '\033[31mfailed test executables: %s\033[0m\n' "${failed[*]}"
    return 1
  fi
}

# Writes the size table of artifacts/ (after scripts/build-wasm.sh) to file $1.
write_artifact_sizes() {
  local out="$1" p name size budget
  {
    echo "# Wasm artifact sizes"
    echo
    echo "Written by \`scripts/refresh-docs.sh sizes\` from \`artifacts/\` as \`scripts/build-wasm.sh\` makes"
    echo "them (release profile \`opt-level = \"z\"\`, fat LTO, one codegen unit, std rebuilt for the MVP"
    echo "CPU, panics \`immediate-abort\`, then \`wasm-opt -Os\`). wasmd refuses an upload above"
    echo "$WASM_UPLOAD_LIMIT bytes; \`scripts/build-wasm.sh\` fails when an artifact passes its budget"
    echo "(third column of \`deploy/artifacts.txt\`). Do not edit by hand."
    echo
    echo "Why these settings (measured once on \`mining_round.wasm\` with its merkle mode, other settings"
    echo "as above): \`opt-level = 3\` 763,745 B, \`\"s\"\` 672,765 B, \`\"z\"\` 627,127 B; \`\"z\"\` with the"
    echo "std panic runtime instead of \`immediate-abort\` 664,035 B. The price of \`\"z\"\` is VM gas: about"
    echo "twice that of \`opt-level = 3\` (\`vm-gas.md\`: a 500-entry \`VoteBatch\` 69k → 146k SDK-gas"
    echo "equivalent). On the chain storage and transaction bytes dominate (\`gas.md\`, same localnet,"
    echo "before → after): that \`VoteBatch\` 4,843,623 → 4,901,901 SDK gas (+1.2 %), a one-round \`Claim\`"
    echo "230,508 → 233,827 (+1.4 %), while \`StoreCode\` of mining-round fell 9,054,403 → 8,213,108."
    echo
    echo "| artifact | bytes | % of upload limit | budget | sha256 |"
    echo "|---|---:|---:|---:|---|"
    for p in $(artifact_packages); do
      name="$(artifact_name "$p")"
      [ -f "artifacts/$name.wasm" ] || die "artifacts/$name.wasm is missing"
      size="$(stat -c %s "artifacts/$name.wasm")"
      budget="$(artifact_budget "$p")"
      printf '| %s.wasm | %d | %d.%d %% | %s | `%s` |\n' "$name" "$size" \
        "$((size * 100 / WASM_UPLOAD_LIMIT))" "$((size * 1000 / WASM_UPLOAD_LIMIT % 10))" "${budget:--}" \
        "$(sha256sum "artifacts/$name.wasm" | cut -c1-16)"
    done
  } > "$out"
}
