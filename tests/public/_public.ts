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
