import { defineConfig } from "vitest/config";
// The screenshot command (not a test suite): every page of the app at 360 px, 390 px and
// 1280 px, from a real run, into WEB_SCREENSHOTS. Run by `scripts/test-web.sh --screenshots DIR`
// (scripts/refresh-docs.sh screenshots), never by the tests.
export default defineConfig({
  test: {
    include: ["tests/screenshots/**/*.shots.ts"],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
