#!/usr/bin/env bash
# The web app's tests:
#   1. the generated TypeScript clients match schema/ (scripts/codegen.sh --check);
#   2. npm ci from the committed lock file, unit tests (vitest: score breakdown, amounts,
#      halving projection), the app builds (scripts/web-build.sh, cached);
#   3. browser tests (playwright-core driving Debian's chromium, installed with apt, never
#      downloaded) against a localnet of their own: `scripts/demo.sh --rounds 1` deploys both
#      contracts, two relayers finalize round 0, the pool records actions, and the demo leaves
#      one holder's rewards unclaimed (DEMO_NO_CLAIM); the chain and the app's server stay up for
#      the browser suite, then everything is stopped. Screenshots go to
#      $WEB_TEST_HOME/screenshots (WEB_SCREENSHOTS overrides it; scripts/refresh-docs.sh points
#      it at the committed docs/screenshots/).
#
#   scripts/test-web.sh [--unit]     --unit: steps 1–2 only
# Environment: WEB_TEST_{RPC,REST,GRPC,P2P}_PORT, WEB_TEST_RELAYER_PORT, WEB_TEST_WEB_PORT,
#   WEB_TEST_CHAIN_ID, WEB_TEST_HOME (default target/web-test) to move the test's localnet.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
t0=$(date +%s)

step "web: generated clients are current"
scripts/codegen.sh --check

step "web: npm ci, unit tests, build"
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd web && npx vitest run)
scripts/web-build.sh
[ "${1:-}" = "--unit" ] && exit 0

step "web: browser tests (chromium from Debian)"
ensure_apt chromium jq curl
base="${WEB_TEST_HOME:-$REPO_ROOT/target/web-test}"
export LOCALNET_HOME="$base/localnet"
export LOCALNET_RPC_PORT="${WEB_TEST_RPC_PORT:-36857}"
export LOCALNET_REST_PORT="${WEB_TEST_REST_PORT:-11517}"
export LOCALNET_GRPC_PORT="${WEB_TEST_GRPC_PORT:-19290}"
export LOCALNET_P2P_PORT="${WEB_TEST_P2P_PORT:-36856}"
export LOCALNET_CHAIN_ID="${WEB_TEST_CHAIN_ID:-rewards-web-test-1}"
export DEMO_WORK_DIR="$base/work"
export DEMO_RELAYER_PORT="${WEB_TEST_RELAYER_PORT:-18381}"
export DEMO_WEB_PORT="${WEB_TEST_WEB_PORT:-18488}"
export DEMO_NO_CLAIM=user4
export DEMO_KEEP_WEB=1

cleanup() {
  local rc=$?
  [ -f "$DEMO_WORK_DIR/web.pid" ] && kill "$(cat "$DEMO_WORK_DIR/web.pid")" 2>/dev/null || true
  rm -f "$DEMO_WORK_DIR/web.pid"
  "$REPO_ROOT/scripts/localnet.sh" stop >/dev/null 2>&1 || true
  info "web tests: $(( $(date +%s) - t0 )) s"
  exit "$rc"
}
trap cleanup EXIT

scripts/localnet.sh reset >/dev/null 2>&1 || true
rm -rf "$DEMO_WORK_DIR"
scripts/build-wasmd.sh
setsid -w scripts/localnet.sh start
# The demo reuses the running localnet (and leaves it up); its web server stays up (DEMO_KEEP_WEB).
scripts/demo.sh --rounds 1 > "$base/demo.log" 2>&1 || { tail -40 "$base/demo.log"; die "the demo failed (log: $base/demo.log)"; }
grep -E "web app:|rounds done|claimed" "$base/demo.log" | tail -5 | sed 's/^/    /'

cd web
WEB_URL="http://127.0.0.1:$DEMO_WEB_PORT/" \
WEB_DEPLOYMENT="$DEMO_WORK_DIR/deployment.json" \
WEB_ACCOUNTS="$LOCALNET_HOME/accounts.json" \
WEB_HOLDER=user4 \
WEB_SCREENSHOTS="${WEB_SCREENSHOTS:-$base/screenshots}" \
CHROMIUM=/usr/bin/chromium \
  npx vitest run --config vitest.browser.config.ts
