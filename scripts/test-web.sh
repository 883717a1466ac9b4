#!/usr/bin/env bash
# The web app's tests:
#   1. the generated TypeScript clients match schema/ (scripts/codegen.sh --check);
#   2. npm ci from the committed lock file, unit tests (vitest: score breakdown, amounts,
#      halving projection), the app builds (scripts/web-build.sh, cached);
#   3. browser tests (playwright-core driving Debian's chromium, installed with apt, never
#      downloaded) against a localnet of their own: `scripts/demo.sh --rounds 2` deploys both
#      contracts with `max_claim_rounds = 1` (so a holder's two rounds need two claim messages),
#      two relayers finalize rounds 0 and 1, the pool records actions, and the demo leaves one
#      holder's rewards unclaimed (DEMO_NO_CLAIM); the chain and the app's server stay up for the
#      browser suite, then everything is stopped. The suite writes no file of the repository.
#
#   scripts/test-web.sh [--unit]                 --unit: steps 1–2 only
#   scripts/test-web.sh --screenshots DIR        steps 1–2, the same localnet, then instead of
#                                                the suite the screenshot command
#                                                (tests/screenshots/): every page at 360 px,
#                                                390 px and 1280 px into DIR
#                                                (scripts/refresh-docs.sh screenshots)
# Environment: WEB_TEST_{RPC,REST,GRPC,P2P}_PORT, WEB_TEST_RELAYER_PORT, WEB_TEST_WEB_PORT,
#   WEB_TEST_CHAIN_ID, WEB_TEST_HOME (default target/web-test) to move the test's localnet.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
t0=$(date +%s)
shots=""
case "${1:-}" in
  --unit|"") ;;
  --screenshots) shots="${2:-}"; [ -n "$shots" ] || die "--screenshots needs a directory" ;;
  *) die "unknown option '$1' (--unit, --screenshots DIR)" ;;
esac

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
# The demo's parameters with one claimable round per claim message: the holder's two rounds
# need two messages, the case the app must pay in full.
mkdir -p "$base"
sed -E 's/^max_claim_rounds = .*/max_claim_rounds = 1/' tools/demo/demo.toml > "$base/demo.toml"
grep -q '^max_claim_rounds = 1$' "$base/demo.toml" || die "tools/demo/demo.toml has no max_claim_rounds line to lower"
export DEMO_PARAMS="$base/demo.toml"
scripts/demo.sh --rounds 2 > "$base/demo.log" 2>&1 || { tail -40 "$base/demo.log"; die "the demo failed (log: $base/demo.log)"; }
grep -E "web app:|rounds done|claimed" "$base/demo.log" | tail -5 | sed 's/^/    /'

cd web
export WEB_URL="http://127.0.0.1:$DEMO_WEB_PORT/"
export WEB_DEPLOYMENT="$DEMO_WORK_DIR/deployment.json"
export WEB_ACCOUNTS="$LOCALNET_HOME/accounts.json"
export WEB_HOLDER=user4
export CHROMIUM=/usr/bin/chromium
if [ -n "$shots" ]; then
  step "web: screenshots into $shots"
  mkdir -p "$shots"
  WEB_SCREENSHOTS="$(cd "$shots" && pwd)" npx vitest run --config vitest.screenshots.config.ts
else
  npx vitest run --config vitest.browser.config.ts
fi
