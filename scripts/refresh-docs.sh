#!/usr/bin/env bash
# Regenerates the committed figures and screenshots; the tests never write them.
#
#   scripts/refresh-docs.sh [gas] [vm-gas] [screenshots] [sizes] [pool-sim]  (no argument: all)
#
#   gas          docs/gas.md: SDK gas on the wasmd localnet, from the end-to-end suite
#                (cargo test -p e2e, which starts the localnet when it is not running)
#   vm-gas       docs/vm-gas.md: VM gas in cosmwasm-vm (scripts/bench-gas.sh)
#   screenshots  docs/screenshots/*.png: every page of the web app at 360 px, 390 px and
#                1280 px, from a real run on a demo localnet of its own
#                (scripts/test-web.sh --screenshots; the tests never take them)
#   sizes        docs/artifacts.md: every wasm artifact's size against its budget and wasmd's
#                upload limit (scripts/build-wasm.sh)
#   pool-sim     docs/pool-sim/: the simulator's charts and tables for the shipped scenarios
#                (tools/pool-sim/scenarios/*.json, 1,000 runs each) and the margin table
#
# Review the diff (git diff --stat docs/) and commit it with the change that moved the figures.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

what=("$@")
[ ${#what[@]} -gt 0 ] || what=(gas vm-gas screenshots sizes pool-sim)
for w in "${what[@]}"; do
  case "$w" in gas|vm-gas|screenshots|sizes|pool-sim) ;; *) die "unknown part '$w' (gas, vm-gas, screenshots, sizes, pool-sim)" ;; esac
done

for w in "${what[@]}"; do
  case "$w" in
    gas)
      step "docs/gas.md (end-to-end suite on the localnet)"
      ensure_apt jq curl
      scripts/build-wasmd.sh
      scripts/build-wasm.sh --if-changed
      was_running=0
      scripts/localnet.sh status >/dev/null 2>&1 && was_running=1
      # Only this run's sections: stale ones from older runs must not reach the table.
      rm -rf "$(cargo_target_dir)/e2e-gas"
      rc=0
      E2E_GAS_DOC="$REPO_ROOT/docs/gas.md" cargo test --locked -p e2e || rc=$?
      [ "$was_running" = 1 ] || scripts/localnet.sh stop >/dev/null 2>&1 || true
      [ "$rc" = 0 ] || die "the end-to-end suite failed; docs/gas.md may be partial (git checkout docs/gas.md)"
      ;;
    vm-gas)
      step "docs/vm-gas.md (VM gas benchmark)"
      VM_GAS_DOC="$REPO_ROOT/docs/vm-gas.md" scripts/bench-gas.sh
      ;;
    screenshots)
      step "docs/screenshots (the screenshot command on a demo localnet of its own)"
      rm -f docs/screenshots/*.png
      scripts/test-web.sh --screenshots "$REPO_ROOT/docs/screenshots"
      ;;
    sizes)
      step "docs/artifacts.md (wasm artifact sizes)"
      scripts/build-wasm.sh --if-changed
      write_artifact_sizes docs/artifacts.md
      ;;
    pool-sim)
      step "docs/pool-sim (pool simulator, shipped scenarios)"
      cargo build --locked --profile native -p pool-sim
      sim="$(cargo_target_dir)/native/pool-sim"
      for scenario in tools/pool-sim/scenarios/*.json; do
        name="$(basename "$scenario" .json)"
        out="$(cargo_target_dir)/pool-sim/$name"
        rm -rf "$out"
        # The warnings go to stderr, before the runs; the progress lines (" runs") are left out.
        "$sim" run "$scenario" --out "$out" 2>&1 | grep -v ' runs$' | tee "$out.txt"
        rm -rf "docs/pool-sim/$name"
        mkdir -p "docs/pool-sim/$name"
        cp "$out"/*.svg "$out"/halvings.csv "$out"/tornado.csv "docs/pool-sim/$name/"
        cp "$out.txt" "docs/pool-sim/$name/output.txt"
      done
      "$sim" margin --demand 100000 500000 1000000 2000000 5000000 10000000 20000000 30000000 35000000 \
        > docs/pool-sim/margins.txt
      cat docs/pool-sim/margins.txt
      ;;
  esac
done
step "refreshed: ${what[*]}"
git status --short -- docs/ | sed 's/^/    /'
