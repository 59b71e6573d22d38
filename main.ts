/**
 * The composition root: reads the environment, opens KV, registers crons and the queue
 * listener, and serves HTTP. Also runs one-off operator commands:
 *   deno task job <project|gateway|feedmeta|popularity|checkpoint|cleanup|erase> [--now …]
 *   deno task projections:rebuild
 */
import { parseArgs } from "node:util";
import { createApp } from "./routes/app.ts";
import { handleQueueMessage, oneOffJobs, registerJobs } from "./jobs/mod.ts";
import { type Clock, systemClock } from "./src/clock.ts";
import { type Config, ConfigError, loadConfig } from "./src/config.ts";
import { createLogger } from "./src/logger.ts";
import { migrateReadModels, rebuildAllReadModels } from "./src/store/read_model_rebuild.ts";
import { resilientKv } from "./src/store/resilient_kv.ts";
import { GuardThread } from "./src/net/guard_thread.ts";
import { type AppDeps, createServices } from "./src/services.ts";

function fail(message: string, code = 1): never {
  console.error(message);
  Deno.exit(code);
}

async function openKv(config: Config): Promise<Deno.Kv> {
  const path = config.kvPath;
  const local = path !== "" && path !== ":memory:" && !/^https?:\/\//.test(path);
  if (local) {
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
    if (dir) await Deno.mkdir(dir, { recursive: true });
  }
  return path === "" ? await Deno.openKv() : await Deno.openKv(path);
}

async function runCommand(deps: AppDeps, command: string, args: string[]): Promise<number> {
  if (command === "rebuild") {
    const readModels = await rebuildAllReadModels(deps.kv, deps.store);
    const r = await deps.projector.rebuild();
    console.log(JSON.stringify({ rebuilt: true, read_model_users: readModels, ...r }));
    return 0;
  }
  const jobs = oneOffJobs(deps);
  const job = args[0];
  if (!job || !(job in jobs)) {
    console.error(`usage: deno task job <${Object.keys(jobs).join("|")}> [--now <RFC 3339>]`);
    return 2;
  }
  const r = await jobs[job]();
  console.log(JSON.stringify({ job, result: r }));
  return 0;
}

const { positionals, values } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { now: { type: "string" } },
});

let config: Config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (err) {
  if (err instanceof ConfigError) fail(`configuration error: ${err.message}`);
  throw err;
}

let clock: Clock = systemClock;
if (values.now !== undefined) {
  const at = Date.parse(values.now);
  if (Number.isNaN(at)) fail(`--now: expected an RFC 3339 time, got "${values.now}"`, 2);
  clock = { now: () => at };
}

const logger = createLogger(config.logLevel);
// Lock contention (several processes on one file) and transport errors are retried.
const kv = resilientKv(
  await openKv(config).catch((err) => fail(`cannot open KV at "${config.kvPath}": ${err.message}`)),
);
const command = positionals[0];

if (command === "job" || command === "rebuild") {
  const deps = createServices({ kv, config, clock, logger, autoProject: false });
  const code = await runCommand(deps, command, positionals.slice(1)).catch((err) => {
    console.error(`${command} failed: ${err instanceof Error ? err.message : err}`);
    return 1;
  });
  await deps.registry.drain();
  await deps.projector.stop();
  await deps.eraser.stop();
  kv.close();
  Deno.exit(code);
} else if (command !== undefined) {
  fail(`unknown command "${command}" (expected job or rebuild)`, 2);
}

const deps = createServices({ kv, config, clock, logger, feedOptions: { backfill: true } });
// Stored records of an older shape are rewritten once, before anything reads them.
const migrated = await migrateReadModels(kv, deps.store);
if (migrated > 0) logger.info("read models rebuilt", { users: migrated });
const crons = new AbortController();
registerJobs(deps, crons.signal);
if (config.kvQueues) kv.listenQueue((msg) => handleQueueMessage(deps, msg));
const sweeper = setInterval(() => deps.registry.sweep(), 30_000);
// Catch up with what a previous process left: outbox markers and gateway plays.
deps.projector.kick();
deps.gateway.kick();
deps.eraser.kick();

const app = createApp(deps);
const listening = ({ hostname, port }: Deno.NetAddr) =>
  logger.info("listening", { url: `http://${hostname}:${port}`, kv: config.kvPath || "deploy" });
let guard: GuardThread | undefined;
let server: Deno.HttpServer<Deno.NetAddr>;
if (config.connGuard) {
  // Deno.serve has no header or idle timeouts: the guard faces the network, the server
  // listens on loopback behind it and learns each client's address from it. The guard
  // runs on a thread of its own, so relaying bytes costs this thread nothing.
  server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req, info) => {
      // The guard records the address before it forwards a connection's first byte.
      const peer = guard?.peerOf(info.remoteAddr.port);
      return app.fetch(req, {
        remoteAddr: peer ? { ...info.remoteAddr, hostname: peer } : info.remoteAddr,
      });
    },
  );
  const started = await GuardThread.start({
    port: config.port,
    backendPort: server.addr.port,
    headerTimeoutMs: config.connHeaderTimeoutMs,
    idleTimeoutMs: config.connIdleTimeoutMs,
    maxPerAddress: config.connMaxPerAddress,
    uncapped: config.trustedProxies,
    maxConnections: config.connMax,
  }).catch((err) => fail(`cannot listen on port ${config.port}: ${err.message}`));
  guard = started.guard;
  listening(started.addr);
  deps.metrics.attachGuard(guard.stats);
} else {
  server = Deno.serve({ port: config.port, onListen: listening }, app.fetch);
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info("shutting down", { signal });
  clearInterval(sweeper);
  crons.abort();
  guard?.stopAccepting(); // requests already in go on to their answers
  await guard?.settle(2_000);
  await server.shutdown();
  guard?.close();
  await deps.gateway.stop(); // before the actors: it records plays through them
  await deps.registry.drain();
  await deps.projector.stop();
  await deps.eraser.stop();
  await deps.feeds.settled(); // background metadata writes (bounded by the fetch timeout)
  kv.close();
  logger.info("stopped", {});
  Deno.exit(0);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  try {
    Deno.addSignalListener(sig, () => void shutdown(sig));
  } catch {
    // No signals on this platform (hosted isolates): the platform stops the process itself.
  }
}
