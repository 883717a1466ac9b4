import { defineConfig } from "vitest/config";
// Browser tests (playwright-core + Debian's chromium) against a running localnet with the
// demo's deployment; run by scripts/test-web.sh, which provides the environment.
export default defineConfig({
  test: {
    include: ["tests/browser/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
