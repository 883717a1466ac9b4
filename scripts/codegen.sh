#!/usr/bin/env bash
# Regenerates the web app's typed TypeScript clients (web/src/generated/) from the committed
# JSON schema (schema/<contract>/) with @cosmwasm/ts-codegen (pinned in web/package.json).
# With --check, generates into a temporary directory and fails when the committed clients
# differ, naming the stale files (like scripts/schema.sh --check).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT/web"

[ -d node_modules/@cosmwasm/ts-codegen ] || npm ci --no-audit --no-fund >/dev/null
out="src/generated"
if [ "${1:-}" = "--check" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  node scripts/codegen.mjs "$tmp" >/dev/null
  if ! diff -ru "$out" "$tmp" >/tmp/codegen-diff.txt 2>&1; then
    printf '\033[31mstale TypeScript clients in web/%s\033[0m (run scripts/codegen.sh and commit):\n' "$out"
    head -40 /tmp/codegen-diff.txt
    exit 1
  fi
  info "web/$out is current"
else
  rm -rf "$out"
  node scripts/codegen.mjs "$out" >/dev/null
  info "wrote web/$out/"
fi
