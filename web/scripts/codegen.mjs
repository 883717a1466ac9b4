// Generates the typed TypeScript clients of both contracts from the committed JSON schema
// (schema/<contract>/<contract>.json, written by scripts/schema.sh) with @cosmwasm/ts-codegen.
//   node scripts/codegen.mjs [outDir]   (default src/generated)
import codegen from "@cosmwasm/ts-codegen";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const outPath = path.resolve(process.argv[2] ?? path.join(here, "../src/generated"));

await codegen.default({
  contracts: [
    { name: "RewardPool", dir: path.join(root, "schema/reward-pool") },
    { name: "MiningRound", dir: path.join(root, "schema/mining-round") },
  ],
  outPath,
  options: {
    bundle: { enabled: false },
    types: { enabled: true },
    client: { enabled: true, execExtensions: [] },
    reactQuery: { enabled: false },
    recoil: { enabled: false },
    messageComposer: { enabled: true },
    messageBuilder: { enabled: false },
    useContractsHook: { enabled: false },
  },
});
