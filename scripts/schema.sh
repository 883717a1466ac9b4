#!/usr/bin/env bash
# Regenerates schema/<contract>/*.json from each contract's `<contract>-schema` binary (cosmwasm-schema).
# With --check, regenerates into a temporary directory and fails when the committed schema
# differs, naming the stale files.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

check=0
[ "${1:-}" = "--check" ] && check=1

stale=0
for manifest in contracts/*/Cargo.toml; do
  dir="$(dirname "$manifest")"
  pkg="$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$manifest" | head -1)"
  # Each contract's schema binary is named after it (one name per workspace: the test command
  # builds every binary of the workspace into one directory).
  [ -f "$dir/src/bin/$pkg-schema.rs" ] || die "$pkg has no src/bin/$pkg-schema.rs"
  out="schema/$pkg"
  if [ $check -eq 1 ]; then
    tmp="$(mktemp -d)"
    cargo run --quiet --locked -p "$pkg" --bin "$pkg-schema" -- "$tmp/$pkg" >/dev/null
    if ! diff -ru "$out" "$tmp/$pkg" >/tmp/schema-diff.txt 2>&1; then
      printf '\033[31mstale schema for %s\033[0m (run scripts/schema.sh and commit):\n' "$pkg"
      head -40 /tmp/schema-diff.txt
      stale=1
    else
      info "schema/$pkg is current"
    fi
    rm -rf "$tmp"
  else
    rm -rf "$out"
    cargo run --quiet --locked -p "$pkg" --bin "$pkg-schema" -- "$out" >/dev/null
    info "wrote $out/"
  fi
done
exit $stale
