/**
 * The sync benchmark's fixtures: listeners seeded straight into a KV file, `main.ts` (of this
 * tree or of another revision) as a subprocess on that file, a client for `POST /sync`, and
 * the raw KV write the first sync is compared with.
 */
import { authorizeApp } from "../src/auth/app_tokens.ts";
import { verifyAuthorizationJwt } from "../src/auth/jwt.ts";
import { createUser } from "../src/auth/users.ts";
import { isoAt, systemClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import type { UserEvent } from "../src/domain/events.ts";
import { encodeFeedId, encodeItemId } from "../src/domain/ids.ts";
import { EMPTY_STATE, type UserState } from "../src/domain/state.ts";
import { silentLogger } from "../src/logger.ts";
import { type AppDeps, createServices } from "../src/services.ts";
import { migrateReadModels } from "../src/store/read_model_rebuild.ts";
import { authorizationJwt, generateAppKeys, requestJwt } from "../tests/_support/jwt.ts";
import { waitForHealth } from "../tests/_support/process.ts";
import { spawnMain } from "./_main_process.ts";

const FEEDS = 1_000;
/** Feed `i` of the benchmark's 1,000. */
export const feedOf = (i: number) =>
  encodeFeedId(`https://bench.example.org/feeds/${i % FEEDS}.xml`);
/** Episode `i` of a listener. */
export const itemOf = (who: string, i: number) =>
  encodeItemId(`${who}-ep-${i}`, `https://cdn.bench.example.org/${who}/${i}.mp3`);

/** A sync body of 1,000 subscriptions and 5,000 play statuses. */
export interface SyncBody {
  subscriptions: { rss_source_feed: string; subscribed_at: string }[];
  play_statuses: {
    rss_source_feed: string;
    rss_source_item: string;
    position: number;
    played: boolean;
    updated_at: string;
  }[];
}

/** The first sync of a listener `who`: 1,000 subscriptions + 5,000 play statuses. */
export function firstBody(who: string, now: string): SyncBody {
  return {
    subscriptions: Array.from({ length: FEEDS }, (_, i) => ({
      rss_source_feed: feedOf(i),
      subscribed_at: now,
    })),
    play_statuses: Array.from({ length: 5_000 }, (_, i) => ({
      rss_source_feed: feedOf(i),
      rss_source_item: itemOf(who, i),
      position: i,
      played: i % 3 === 0,
      updated_at: now,
    })),
  };
}

/** The events a first sync makes, written raw to a KV file (100 per commit, in order). */
export async function rawWrite(path: string, body: SyncBody): Promise<number> {
  const kv = await Deno.openKv(path);
  try {
    const at = new Date().toISOString();
    const events: Record<string, unknown>[] = [
      ...body.subscriptions.map((s, i) => ({
        type: "subscribed",
        id: `raw-s${i}`,
        ts: s.subscribed_at,
        feed: s.rss_source_feed,
        data: { subscribed_at: s.subscribed_at },
      })),
      ...body.play_statuses.map((p, i) => ({
        type: "played",
        id: `raw-p${i}`,
        ts: p.updated_at,
        feed: p.rss_source_feed,
        item: p.rss_source_item,
        data: { position: p.position, played: p.played },
      })),
    ];
    const t0 = performance.now();
    for (let i = 0; i < events.length; i += 100) {
      const op = kv.atomic();
      events.slice(i, i + 100).forEach((e, k) =>
        op.set(["raw", "u", i + k + 1], { ...e, seq: i + k + 1, user_id: "u", recorded_at: at })
      );
      await op.commit();
    }
    return performance.now() - t0;
  } finally {
    kv.close();
  }
}

/** Request JWTs of one listener, from a "phone" and a "tablet". */
export interface Listener {
  readonly id: string;
  readonly phone: string;
  readonly tablet: string;
}

/**
 * Creates listeners (with an approved app) in a KV file, then lets `build` append to it
 * through the event store; the projections are brought up to date before it closes, so
 * the server starts with nothing left to do.
 */
export async function seed(
  path: string,
  names: readonly string[],
  build?: (deps: AppDeps, listeners: Listener[]) => Promise<void>,
): Promise<Listener[]> {
  const kv = await Deno.openKv(path);
  const config = loadConfig({ KV_PATH: path, KV_QUEUES: "off", BASE_URL: "http://127.0.0.1" });
  const deps = createServices({
    kv,
    config,
    clock: systemClock,
    logger: silentLogger,
    autoProject: false,
    autoGateway: false,
    passwordIterations: 1_000,
  });
  try {
    // As a server does on an empty KV: otherwise it would rebuild every read model on start.
    await migrateReadModels(kv, deps.store);
    const keys = await generateAppKeys("ES256");
    const appId = "bench-sync";
    const grant = await verifyAuthorizationJwt(
      await authorizationJwt(keys, { appId, nowMs: Date.now(), scopes: ["user.sync"] }),
      { now: Date.now() },
    );
    const token = (sub: string, deviceId: string) =>
      requestJwt(keys, { appId, sub, nowMs: Date.now(), ttlS: 3_600, deviceId });
    const listeners: Listener[] = [];
    for (const name of names) {
      const user = await createUser(deps, { username: name, password: "bench password" });
      await authorizeApp(deps, user.id, grant);
      listeners.push({
        id: user.id,
        phone: await token(user.id, "phone"),
        tablet: await token(user.id, "tablet"),
      });
    }
    if (build) {
      await build(deps, listeners);
      await deps.projector.drainAll();
    }
    return listeners;
  } finally {
    await deps.registry.drain();
    await deps.projector.stop();
    kv.close();
  }
}

/**
 * Appends `plays` distinct play statuses for a listener, 5,000 events per append (the
 * listener is private, so the public projection has little to write for them).
 */
export async function appendPlays(
  deps: AppDeps,
  userId: string,
  plays: number,
  progress: (what: string) => void,
): Promise<void> {
  const start = Date.now() - 10 * 86_400_000;
  let state: UserState = (await deps.store.append(userId, EMPTY_STATE, [{
    type: "privacy_changed",
    id: "big-privacy",
    ts: isoAt(start),
    data: { scope: "user", privacy: "private" },
  }])).state;
  for (let i = 0; i < plays; i += 5_000) {
    const events: UserEvent[] = Array.from({ length: Math.min(5_000, plays - i) }, (_, k) => ({
      type: "played",
      id: `big-${i + k}`,
      ts: isoAt(start + (i + k) * 1_000),
      feed: feedOf(i + k),
      item: itemOf("big", i + k),
      data: { position: (i + k) % 3_600, played: (i + k) % 3 === 0 },
    }));
    state = (await deps.store.append(userId, state, events)).state;
    if ((i + 5_000) % 50_000 === 0) progress(`${i + 5_000} plays appended`);
  }
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** One timed `POST /sync`. */
export interface Synced {
  readonly ms: number;
  readonly json: Json;
  readonly bytes: number;
}

/** A running `main.ts` and a client for it. */
export interface Server {
  sync(token: string, payload: unknown): Promise<Synced>;
  /** Resolves once its projections have caught up with every append (or after 2 minutes). */
  settle(): Promise<void>;
  /** Kills it; resolves to the tail of what it logged. */
  stop(): Promise<string>;
}

/**
 * Starts `mainTs` on a free loopback port over `kvPath` and waits until it answers; answers
 * other than 200 go to `errors`.
 */
export async function startServer(
  mainTs: string,
  kvPath: string,
  errors: string[],
): Promise<Server> {
  const { child, base, logs } = spawnMain({
    cwd: kvPath.slice(0, kvPath.lastIndexOf("/")),
    kvPath,
    mainTs,
  });
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      child.kill("SIGKILL");
      await child.status;
    }
    return (await logs.catch(() => ["", ""])).join("").slice(-3_000);
  };
  try {
    await (await waitForHealth(`${base}/health`, 120_000)).body?.cancel();
  } catch (err) {
    console.error(`server log (tail):\n${await stop()}`);
    throw err;
  }
  const sync = async (token: string, payload: unknown): Promise<Synced> => {
    const t0 = performance.now();
    const res = await fetch(`${base}/api/v1/sync`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) errors.push(`sync: ${res.status} ${text.slice(0, 200)}`);
    return { ms, json: res.status === 200 ? JSON.parse(text) : {}, bytes: text.length };
  };
  const settle = async () => {
    const until = Date.now() + 120_000;
    while (Date.now() < until) {
      const text = await (await fetch(`${base}/metrics`)).text();
      const lags = [...text.matchAll(/^balados_projection_lag_events\{[^}]*\} (\d+)$/gm)];
      if (lags.length > 0 && lags.every((m) => m[1] === "0")) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return { sync, settle, stop };
}

/**
 * Extracts another revision of this repository (`git archive`) into `dir`; its `main.ts`,
 * or null when git or the revision is not there.
 */
export async function checkout(revision: string, dir: string): Promise<string | null> {
  const root = new URL("..", import.meta.url).pathname;
  try {
    const git = new Deno.Command("git", {
      args: ["-C", root, "archive", "--format=tar", revision],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const tar = new Deno.Command("tar", {
      args: ["-x", "-C", dir],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await git.stdout.pipeTo(tar.stdin);
    const [g, t] = await Promise.all([git.status, tar.status]);
    return g.success && t.success ? `${dir}/main.ts` : null;
  } catch {
    return null;
  }
}
