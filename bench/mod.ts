/** `deno task bench`: runs the benchmarks and prints rates next to same-run baselines. */
import { parseArgs } from "node:util";
import { benchWritePath } from "./write_path.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    users: { type: "string", default: "1000" },
    writes: { type: "string", default: "10" },
  },
});
const users = Number(values.users);
const writes = Number(values.writes);

console.log(`write path: ${users} users × ${writes} writes each, all users at once`);
const r = await benchWritePath(users, writes);
console.log(`  raw KV, one commit per write : ${r.rawPerSec.toFixed(0)} writes/s`);
console.log(`  actors + event store         : ${r.oursPerSec.toFixed(0)} writes/s`);
console.log(`  ratio (ours / raw)           : ${r.ratio.toFixed(2)}×  (target ≥ 0.80×)`);
console.log(`  commits ${r.commits}, ${r.batchesPerCommit.toFixed(1)} decisions per commit`);
console.log(`  lost writes                  : ${r.lost}`);
if (r.lost > 0 || r.ratio < 0.8) {
  console.log("  RESULT: below target");
  Deno.exitCode = 1;
} else console.log("  RESULT: ok");
