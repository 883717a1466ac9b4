#!/usr/bin/env bash
# Builds the web app (web/dist) when its inputs changed; otherwise says it is cached.
# Inputs: web/package-lock.json, index.html, vite/ts configs, src/ (generated clients included).
# Installs the npm dependencies from the committed lock file (npm ci) when they are missing or
# older than the lock file.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT/web"

command -v node >/dev/null || die "node (>= 20) is required for the web app"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  info "npm ci (web/package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi
stamp="$(find src index.html package-lock.json vite.config.ts tsconfig.json -type f -print0 | sort -z \
  | xargs -0 sha256sum | sha256sum | cut -c1-16)"
if [ -f dist/index.html ] && [ "$(cat dist/.build-stamp 2>/dev/null)" = "$stamp" ]; then
  info "web/dist is current (inputs unchanged), not rebuilding"
  exit 0
fi
info "building web/dist (tsc + vite)"
npx tsc --noEmit
npx vite build --logLevel warn
echo "$stamp" > dist/.build-stamp
