/**
 * Helpers for the data-lifecycle tests: apps with several users on one key pair, a user's
 * read models and REST answers as plain JSON, the public answers, a whole-KV scan, and the
 * SPEC §7.1 normalisation (what a checkpoint is allowed to leave out).
 */
import v8 from "node:v8";
import vm from "node:vm";
import { buildTestApp } from "../_support/app.ts";
import { type AuthTestApp, userWithApp } from "../_support/auth_app.ts";
import { type AppKeys, generateAppKeys } from "../_support/jwt.ts";
import { ApiClient, feedId, itemId, type Json } from "../api/_api.ts";
import { pub } from "../public/_public.ts";
import type { UserState } from "../../src/domain/state.ts";
import type { RunnerOptions } from "../../src/projections/runner.ts";
import * as keys from "../../src/store/keys.ts";

export const DAY = 86_400_000;

let sharedKeys: Promise<AppKeys> | undefined;

/** One ES256 key pair for every test of a file (key generation is the slow part). */
export function testKeys(): Promise<AppKeys> {
  sharedKeys ??= generateAppKeys("ES256");
  return sharedKeys;
}

/** An app and one API client per username (same app id and key pair everywhere). */
export interface Site {
  readonly t: AuthTestApp;
  readonly users: ApiClient[];
}

/**
 * Builds an app with these users, each having approved the test app with `scopes` (default
 * `user.sync`, `user.privacy`, `user.read`).
 */
export async function buildSite(
  usernames: readonly string[],
  options: {
    scopes?: readonly string[];
    env?: Record<string, string>;
    runnerOptions?: RunnerOptions;
  } = {},
): Promise<Site> {
  const app = await buildTestApp({
    env: options.env,
    runnerOptions: options.runnerOptions,
    // No DNS: a feed fetch (personal RSS, metadata) fails at once instead of going out.
    feedOptions: { resolve: () => Promise.reject(new Error("no DNS in tests")) },
  });
  const t: AuthTestApp = { ...app, kv: app.deps.kv };
  try {
    const k = await testKeys();
    const users: ApiClient[] = [];
    for (const username of usernames) {
      const { user, appId } = await userWithApp(t, k, {
        username,
        scopes: options.scopes ?? ["user.sync", "user.privacy", "user.read"],
      });
      users.push(new ApiClient(t, { keys: k, userId: user.id, appId }));
    }
    return { t, users };
  } catch (err) {
    await t.close();
    throw err;
  }
}

/** Another app of an existing user, with other scopes. */
export async function client(
  site: Site,
  username: string,
  options: { appId: string; scopes: readonly string[] },
): Promise<ApiClient> {
  const k = await testKeys();
  const { user, appId } = await userWithApp(site.t, k, { username, ...options });
  return new ApiClient(site.t, { keys: k, userId: user.id, appId });
}

/** The per-user read-model prefixes (SPEC §7.2: a rebuild from checkpoint + events gives them). */
const READ_MODELS = ["sub", "play", "play_by_time", "saved", "pl", "pl_item", "priv"] as const;

/**
 * A user's read models as JSON, keys without the user id: `{ sub: [[key, value]…], … }`.
 * Playlist items are listed under their playlist id, so removing a playlist removes them.
 */
export async function readModels(kv: Deno.Kv, userId: string): Promise<Json> {
  const out: Record<string, [Deno.KvKey, unknown][]> = {};
  for (const name of READ_MODELS) {
    out[name] = [];
    for await (const e of kv.list({ prefix: [name, userId] })) {
      out[name].push([e.key.slice(2), e.value]);
    }
  }
  // Playlists with their items nested (so a pruned playlist takes its items with it).
  const items = out.pl_item;
  const playlists = out.pl.map(([k, v]) => ({
    ...(v as object),
    items: items.filter(([ik]) => ik[0] === k[0]).map(([ik, iv]) => ({
      key: ik,
      ...(iv as object),
    })),
  }));
  return {
    sub: out.sub.map(([k, v]) => ({ key: k, ...(v as object) })),
    play: out.play,
    play_by_time: out.play_by_time,
    saved: out.saved,
    pl: playlists,
    priv: out.priv,
  };
}

/** A state as plain JSON (maps as arrays, undefined fields dropped). */
export function stateJson(state: UserState): Json {
  return JSON.parse(JSON.stringify({
    seq: state.seq,
    subscriptions: [...state.subscriptions.values()].sort((a, b) => cmp(a.feed, b.feed)),
    plays: [...state.plays.values()].sort((a, b) => cmp(a.item, b.item)),
    saved: [...state.saved.values()].sort((a, b) => cmp(a.item, b.item)),
    shared: [...state.shared.values()].sort((a, b) => cmp(a.item, b.item)),
    playlists: [...state.playlists.values()].map((p) => ({
      ...p,
      items: [...p.items.values()].sort((a, b) => cmp(a.item, b.item)),
    })).sort((a, b) => cmp(a.id, b.id)),
    privacy: {
      user: state.privacy.user,
      feeds: [...state.privacy.feeds].sort(([a], [b]) => cmp(a, b)),
      items: [...state.privacy.items].sort(([a], [b]) => cmp(a, b)),
    },
  }));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Replaces every occurrence of the given ids (playlist ids, which differ per app) by names. */
export function renameIds(value: Json, names: ReadonlyMap<string, string>): Json {
  let text = JSON.stringify(value);
  for (const [id, name] of names) text = text.replaceAll(id, name);
  return JSON.parse(text);
}

const ms = (ts: string) => Date.parse(ts);

/**
 * SPEC §7.1 normalisation at `cutoff`: a checkpoint leaves out subscriptions unsubscribed,
 * playlists deleted and playlist episodes removed before its cutoff. So, on both sides:
 * such a subscription, playlist (with its episodes) or episode is removed; and where one
 * came back later (resubscribed, re-added), the date of the pruned unsubscription or
 * removal is dropped too — it belonged to what was pruned. Null and absent dates count the
 * same. Nothing else changes.
 */
export function normalize(value: Json, cutoff: number): Json {
  const walk = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(walk).filter((x) => x !== PRUNED);
    if (v === null || typeof v !== "object") return v;
    const o: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) {
      const w = walk(x);
      if (w !== PRUNED && w !== null && w !== undefined) o[k] = w;
      else if (w === null && !["unsubscribed_at", "removed_at", "deleted_at"].includes(k)) {
        o[k] = null;
      }
    }
    if (typeof o.subscribed_at === "string" && typeof o.unsubscribed_at === "string") {
      const active = ms(o.subscribed_at) > ms(o.unsubscribed_at);
      if (ms(o.unsubscribed_at) < cutoff) {
        if (!active) return PRUNED;
        delete o.unsubscribed_at;
      }
    }
    if (typeof o.deleted_at === "string" && ms(o.deleted_at) < cutoff) return PRUNED;
    if (typeof o.added_at === "string" && typeof o.removed_at === "string") {
      const live = ms(o.added_at) > ms(o.removed_at);
      if (ms(o.removed_at) < cutoff) {
        if (!live) return PRUNED;
        delete o.removed_at;
      }
    }
    return o;
  };
  return walk(value);
}
const PRUNED = Symbol("pruned") as unknown as Json;

/** True when a normalised value still holds a tombstone older than `cutoff` (for read models). */
export function hasOldTombstone(value: Json, cutoff: number): string | null {
  let found: string | null = null;
  const walk = (v: Json) => {
    if (found || v === null || typeof v !== "object") return;
    if (Array.isArray(v)) return v.forEach(walk);
    const old = (x: unknown) => typeof x === "string" && ms(x) < cutoff;
    const inactive = typeof v.subscribed_at === "string" && typeof v.unsubscribed_at === "string" &&
      ms(v.subscribed_at) <= ms(v.unsubscribed_at);
    const removed = typeof v.added_at === "string" && typeof v.removed_at === "string" &&
      ms(v.added_at) <= ms(v.removed_at);
    if (
      (inactive && old(v.unsubscribed_at)) || old(v.deleted_at) || (removed && old(v.removed_at))
    ) {
      found = JSON.stringify(v);
      return;
    }
    Object.values(v).forEach(walk);
  };
  walk(value);
  return found;
}

/** Follows `next_cursor` through every page of a GET. */
export async function allPages(
  get: (cursor: string | null) => Promise<{ status: number; body: Json }>,
): Promise<Json[]> {
  const pages: Json[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const r = await get(cursor);
    if (r.status !== 200) throw new Error(`page ${i}: ${r.status} ${JSON.stringify(r.body)}`);
    pages.push(r.body);
    cursor = r.body.next_cursor;
    if (!cursor) return pages;
  }
  throw new Error("too many pages");
}

/**
 * Every REST answer about the user's data: subscriptions (all), plays (in small pages),
 * saved episodes, playlists (all, and each one), privacy, and a sync with an empty body.
 */
export async function restAnswers(api: ApiClient, playlistIds: readonly string[]): Promise<Json> {
  const ok = async (path: string, method = "GET", body?: unknown) => {
    const r = await api.call(method, path, body);
    // Sync tokens are opaque and bound to their user: two users' never compare equal.
    delete r.body?.sync_token;
    delete r.body?.data?.sync_token;
    return { status: r.status, body: r.body };
  };
  const playlists: Json[] = [];
  for (const id of playlistIds) playlists.push(await ok(`/playlists/${id}`));
  return {
    subscriptions: await ok("/subscriptions?include=all"),
    active: await ok("/subscriptions"),
    plays: await allPages((c) => ok(`/play?limit=3${c ? `&cursor=${c}` : ""}`)),
    played: await allPages((c) => ok(`/play?played=true&limit=2${c ? `&cursor=${c}` : ""}`)),
    saved: await ok("/episodes/saved"),
    playlists: await ok("/playlists"),
    all_playlists: await ok("/playlists?include=all"),
    each_playlist: playlists,
    privacy: await ok("/privacy"),
    sync: sortedSync(await ok("/sync", "POST", {})),
  };
}

/**
 * A sync answer with its lists in a fixed order: they follow the state's insertion order,
 * which a checkpoint changes for a subscription it pruned and the user made again.
 */
function sortedSync(r: { status: number; body: Json }) {
  const data = r.body?.data;
  if (!data) return r;
  const by = (f: (x: Json) => string) => (a: Json, b: Json) => cmp(f(a), f(b));
  data.subscriptions.sort(by((s) => s.rss_source_feed));
  data.play_statuses.sort(by((p) => p.rss_source_item));
  data.playlists.sort(by((p) => p.id));
  return r;
}

/** The public answers: timeline (every page), trending, profiles, popularity records. */
export async function publicAnswers(
  t: AuthTestApp,
  usernames: readonly string[],
  feeds: readonly number[],
  episodes: readonly number[],
): Promise<Json> {
  const get = async (path: string) => {
    const r = await pub(t, path);
    return { status: r.status, body: r.body };
  };
  const out: Record<string, Json> = {
    timeline: await allPages((c) => get(`/timeline?limit=7${c ? `&cursor=${c}` : ""}`)),
    podcasts: await get("/trending/podcasts?limit=100"),
    episodes: await get("/trending/episodes?limit=100"),
  };
  for (const name of usernames) out[`user ${name}`] = await get(`/users/${name}`);
  for (const f of feeds) {
    out[`feed ${f}`] = await get(`/feed/${feedId(f)}/popularity`);
    for (const e of episodes) {
      out[`episode ${f}/${e}`] = await get(`/episode/${itemId(f, e)}/popularity`);
    }
  }
  return out;
}

/** Every key and value in the KV as text (Uint8Array values decoded), for leak scans. */
export async function kvText(kv: Deno.Kv): Promise<{ key: string; text: string }[]> {
  const decoder = new TextDecoder();
  const rows: { key: string; text: string }[] = [];
  for await (const e of kv.list({ prefix: [] })) {
    const keyText = JSON.stringify(
      e.key,
      (_k, v) =>
        v instanceof Uint8Array ? decoder.decode(v) : typeof v === "bigint" ? String(v) : v,
    );
    const valueText = JSON.stringify(
      e.value,
      (_k, v) =>
        typeof v === "bigint"
          ? String(v)
          : v instanceof Uint8Array
          ? decoder.decode(v)
          : v instanceof Deno.KvU64
          ? String(v.value)
          : v,
    );
    rows.push({ key: keyText, text: keyText + " " + valueText });
  }
  return rows;
}

/** Every event stored for a user, in seq order. */
export async function storedEvents(kv: Deno.Kv, userId: string) {
  const out = [];
  for await (const e of kv.list<Json>({ prefix: keys.eventPrefix(userId) })) out.push(e.value);
  return out;
}

/**
 * A KV handle that fails ("a crash") at its write number `writes` (commits, sets and
 * deletes count), so a job can be stopped at any step and run again.
 */
export function crashingKv(kv: Deno.Kv, writes: number): Deno.Kv {
  let left = writes;
  const tick = () => {
    if (left-- <= 0) throw new Error("simulated crash");
  };
  const wrapOp = (op: Deno.AtomicOperation): Deno.AtomicOperation => {
    const proxy: Deno.AtomicOperation = new Proxy(op, {
      get(target, prop) {
        if (prop === "commit") {
          return () => {
            tick();
            return target.commit();
          };
        }
        const value = Reflect.get(target, prop);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const out = value.apply(target, args);
          return out === target ? proxy : out;
        };
      },
    });
    return proxy;
  };
  return new Proxy(kv, {
    get(target, prop) {
      if (prop === "atomic") return () => wrapOp(target.atomic());
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "set" || prop === "delete") {
        return (...args: unknown[]) => {
          tick();
          return value.apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
}

/**
 * Writes a response body to `file` chunk by chunk (not into the heap), noting how far the
 * heap grew: after a full collection every `gcEvery` chunks and at the end (what is retained
 * is what matters; garbage goes at the collector's pace).
 */
export async function saveMeasuringHeap(
  body: ReadableStream<Uint8Array>,
  file: string,
  gcEvery: number,
): Promise<{ peak: number; bytes: number; chunks: number }> {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  gc();
  const base = Deno.memoryUsage().heapUsed;
  let peak = 0, bytes = 0, chunks = 0;
  const out = await Deno.open(file, { write: true });
  try {
    for await (const chunk of body) {
      bytes += chunk.byteLength;
      await out.write(chunk);
      if (++chunks % gcEvery === 0) {
        gc();
        peak = Math.max(peak, Deno.memoryUsage().heapUsed - base);
      }
    }
  } finally {
    out.close();
  }
  gc();
  peak = Math.max(peak, Deno.memoryUsage().heapUsed - base);
  return { peak, bytes, chunks };
}
