/**
 * `deno task bench [--only write|api|http|rss|gpodder|public|lifecycle|big|sync]
 * [--scale n] [--profile dir]`: runs the benchmarks and prints rates next to same-run baselines.
 */
import { parseArgs } from "node:util";
import { benchApi } from "./api.ts";
import { benchGpodder, reportGpodder } from "./gpodder.ts";
import { benchHttp, reportHttp } from "./http.ts";
import { benchPublic, reportPublic } from "./public.ts";
import { benchLifecycle, reportLifecycle } from "./lifecycle.ts";
import { benchBigListener, reportBigListener } from "./big_listener.ts";
import { benchRss, reportRss } from "./rss.ts";
import { benchSync, reportSync } from "./sync.ts";
import { benchWritePath } from "./write_path.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    users: { type: "string", default: "1000" },
    writes: { type: "string", default: "10" },
    only: { type: "string" },
    scale: { type: "string", default: "1" },
    profile: { type: "string" },
  },
});
const users = Number(values.users);
const writes = Number(values.writes);
const scale = Number(values.scale);
let belowTarget = false;

if (!values.only || values.only === "write") {
  console.log(`write path: ${users} users × ${writes} writes each, all users at once`);
  const r = await benchWritePath(users, writes);
  console.log(`  raw KV, one commit per write : ${r.rawPerSec.toFixed(0)} writes/s`);
  console.log(`  actors + event store         : ${r.oursPerSec.toFixed(0)} writes/s`);
  console.log(`  ratio (ours / raw)           : ${r.ratio.toFixed(2)}×  (target ≥ 0.80×)`);
  console.log(`  commits ${r.commits}, ${r.batchesPerCommit.toFixed(1)} decisions per commit`);
  console.log(`  lost writes                  : ${r.lost}`);
  belowTarget ||= r.lost > 0 || r.ratio < 0.8;
}

if (!values.only || values.only === "api") {
  console.log(`\nREST API over HTTP with request JWTs (${users} users)`);
  const a = await benchApi(users, 5);
  console.log(
    `  raw KV commits (64 in flight)         : ${a.rawCommitsPerSec.toFixed(0)} commits/s`,
  );
  console.log(
    `  sync 1,000 subs + 5,000 plays, first  : ${
      a.syncFirstMs.toFixed(0)
    } ms, ${a.syncFirstEvents} events` +
      ` (${(a.syncFirstEvents / (a.syncFirstMs / 1000)).toFixed(0)} events/s = ` +
      `${
        (a.syncFirstEvents / (a.syncFirstMs / 1000) / a.rawCommitsPerSec).toFixed(2)
      }× raw commits/s)`,
  );
  console.log(
    `  same body again                       : ${
      a.syncAgainMs.toFixed(0)
    } ms, ${a.syncAgainEvents} events`,
  );
  console.log(
    `  PUT position, 64 in flight            : ${a.positionReqPerSec.toFixed(0)} req/s ` +
      `(${(a.positionReqPerSec / a.rawCommitsPerSec).toFixed(2)}× raw), p50 ${
        a.positionP50Ms.toFixed(1)
      } ms, ` +
      `p99 ${a.positionP99Ms.toFixed(1)} ms, errors ${a.errors}`,
  );
  belowTarget ||= a.errors > 0 || a.syncAgainEvents !== 0;
}

if (!values.only || values.only === "http") {
  console.log(
    `\nHTTP write path: main.ts as a subprocess, out-of-process client, ${users} users, 64 connections`,
  );
  belowTarget ||= reportHttp(await benchHttp({ users, profileDir: values.profile }));
}

if (!values.only || values.only === "rss") {
  console.log("\nRSS proxy and personal feeds (loopback)");
  belowTarget ||= reportRss(await benchRss());
}

if (!values.only || values.only === "gpodder") {
  console.log("\ngpodder API, main.ts as a subprocess, client in this process (loopback)");
  console.log("  200 users × 500 episode actions, batches of 30, 32 users syncing at once");
  belowTarget ||= reportGpodder(await benchGpodder());
}

if (!values.only || values.only === "public") {
  console.log(
    `\npublic activity: roll cost vs old history (A: ${Math.round(100 * scale)} users, B: 10×), ` +
      "reads, projection",
  );
  belowTarget ||= reportPublic(await benchPublic({ scale }));
}

if (!values.only || values.only === "lifecycle") {
  console.log("\nData lifecycle: 45-day jobs, actor wake-up, export");
  belowTarget ||= reportLifecycle(await benchLifecycle());
}

if (!values.only || values.only === "big") {
  console.log("\nA big listener (200,000 play statuses) next to small ones, through the actors");
  belowTarget ||= reportBigListener(await benchBigListener());
}

if (!values.only || values.only === "sync") {
  console.log(
    "\nsync (SPEC §4.1), main.ts as a subprocess, client in this process (loopback); " +
      "≈ 30 min on a busy 2-core machine, most of it building the 200,000-play listener",
  );
  belowTarget ||= reportSync(await benchSync());
}

console.log(belowTarget ? "\nRESULT: below target" : "\nRESULT: ok");
if (belowTarget) Deno.exitCode = 1;
