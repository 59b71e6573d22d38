/** Helpers for public-API tests: anonymous GETs and "project, then roll". */
import { runPopularityRoll } from "../../jobs/mod.ts";
import type { AuthTestApp } from "../_support/auth_app.ts";
import type { Json } from "../api/_api.ts";

/** An anonymous GET of `/api/v1/public…`. */
export async function pub(
  t: AuthTestApp,
  path: string,
): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await t.app.request(`/api/v1/public${path}`);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Projects everything pending, then rolls popularity (what the crons do). */
export async function settle(t: AuthTestApp, now?: number): Promise<void> {
  await t.deps.projector.drainAll();
  await runPopularityRoll(t.deps, now);
}

/** What a snapshot reads: these feeds, episodes and usernames besides the lists. */
export interface SnapshotScope {
  readonly feeds: readonly string[];
  readonly items: readonly string[];
  readonly users: readonly string[];
}

/** Every public answer about `scope`: the lists, each record and each profile. */
export async function publicSnapshot(t: AuthTestApp, scope: SnapshotScope): Promise<Json> {
  const body = async (path: string) => {
    const r = await pub(t, path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status}`);
    return r.body;
  };
  const profiles: Record<string, Json> = {};
  for (const u of scope.users) {
    const r = await pub(t, `/users/${u}`);
    profiles[u] = r.status === 200 ? r.body : r.status;
  }
  return {
    timeline: (await body("/timeline?limit=200")).events,
    podcasts: (await body("/trending/podcasts?limit=100")).podcasts,
    episodes: (await body("/trending/episodes?limit=100")).episodes,
    feeds: await Promise.all(scope.feeds.map((f) => body(`/feed/${f}/popularity`))),
    items: await Promise.all(scope.items.map((i) => body(`/episode/${i}/popularity`))),
    profiles,
  };
}

/** A snapshot without timeline entry ids (hashes of event ids, which differ between apps). */
export function withoutIds(snapshot: Json): Json {
  return JSON.parse(JSON.stringify(snapshot, (k, v) => k === "id" ? undefined : v));
}
