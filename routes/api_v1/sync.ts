/**
 * `POST /api/v1/sync` (SPEC §4.1): the client's state in, the server's state out — whole
 * (`"full": true`, play statuses in pages of 5,000) or, with `since`, only what changed
 * after that token. Every answer carries the `sync_token` to send as `since` next time.
 */
import { Hono } from "hono";
import { type KnownIds, parseSyncBody } from "./sync_input.ts";
import { ValidationError } from "../../src/domain/errors.ts";
import type { PlaylistState, UserState } from "../../src/domain/state.ts";
import type { AppDeps } from "../../src/services.ts";
import { describePlays, describeSubscriptions } from "../../src/store/queries.ts";
import { playlistItemOut, playlistOut } from "../../src/store/queries.ts";
import { playlistRecord, type PlayRecord } from "../../src/store/read_models.ts";
import {
  type PagePoint,
  pageToken,
  playPage,
  readChanges,
  readPageToken,
  readSyncToken,
  SYNC_PAGE_SIZE,
  type SyncPoint,
  syncToken,
} from "../../src/store/sync_changes.ts";
import { orderedItems } from "../../src/domain/playlists.ts";
import { requireScope } from "../auth_middleware.ts";
import { readJsonObject } from "../body.ts";
import type { AppEnv } from "../context.ts";

/** How far ahead of the server a client's clock may run before its times are refused. */
export const MAX_CLOCK_AHEAD_MS = 24 * 3_600_000;

function playlistAnswer(pl: PlaylistState) {
  return { ...playlistOut(playlistRecord(pl)), items: orderedItems(pl).map(playlistItemOut) };
}

function present<T>(values: Iterable<string>, map: ReadonlyMap<string, T>): T[] {
  const out: T[] = [];
  for (const v of values) {
    const x = map.get(v);
    if (x !== undefined) out.push(x);
  }
  return out;
}

/**
 * The whole state at `state.seq`: every subscription and playlist, and the play statuses
 * — all of them when they fit one page, else the first page (in the store's order) and a
 * `next_page` token for the rest.
 */
async function fullAnswer(deps: AppDeps, userId: string, state: UserState, now: number) {
  const point: SyncPoint = { seq: state.seq, at: now };
  let plays: PlayRecord[];
  let nextHash: string | null = null;
  if (state.plays.size <= SYNC_PAGE_SIZE) plays = [...state.plays.values()];
  else ({ plays, nextHash } = await playPage(deps.kv, userId, ""));
  return {
    subscriptions: await describeSubscriptions(deps.kv, [...state.subscriptions.values()]),
    play_statuses: await describePlays(deps.kv, plays),
    playlists: [...state.playlists.values()].map(playlistAnswer),
    sync_token: await syncToken(userId, point),
    full: true,
    ...(nextHash === null
      ? {}
      : { next_page: await pageToken(userId, { kind: "full", ...point, afterHash: nextHash }) }),
  };
}

/**
 * What changed after `since` up to `state.seq` (at most a page of play statuses, the rest
 * behind `next_page`), or the whole state when the token cannot be answered from.
 */
async function deltaAnswer(
  deps: AppDeps,
  userId: string,
  state: UserState,
  since: SyncPoint,
  now: number,
) {
  const changes = await readChanges(deps.kv, userId, since, { to: state.seq, now });
  if (!changes.answerable) return await fullAnswer(deps, userId, state, now);
  // Events after a partial answer may be as old as the token it started from.
  const point: SyncPoint = { seq: changes.upTo, at: changes.more ? since.at : now };
  return {
    subscriptions: await describeSubscriptions(
      deps.kv,
      present(changes.feeds, state.subscriptions),
    ),
    play_statuses: await describePlays(deps.kv, present(changes.items, state.plays)),
    playlists: present(changes.playlists, state.playlists).map(playlistAnswer),
    sync_token: await syncToken(userId, point),
    full: false,
    ...(changes.more ? { next_page: await pageToken(userId, { kind: "delta", ...point }) } : {}),
  };
}

/** The answer to `{page}`: the next play statuses of a whole state, or the rest of a delta. */
async function pageAnswer(deps: AppDeps, userId: string, page: PagePoint, now: number) {
  if (page.kind === "delta") {
    const state = await deps.registry.state(userId);
    return await deltaAnswer(deps, userId, state, page, now);
  }
  const { plays, nextHash } = await playPage(deps.kv, userId, page.afterHash);
  const point: SyncPoint = { seq: page.seq, at: page.at };
  return {
    subscriptions: [],
    play_statuses: await describePlays(deps.kv, plays),
    playlists: [],
    sync_token: await syncToken(userId, point),
    full: true,
    ...(nextHash === null
      ? {}
      : { next_page: await pageToken(userId, { kind: "full", ...point, afterHash: nextHash }) }),
  };
}

const STATE_FIELDS = ["subscriptions", "play_statuses", "playlists", "since"] as const;

/** `POST /sync`, scope `user.sync`. */
export function syncRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/sync", requireScope("user.sync", { endpoint: "sync" }), async (c) => {
    const body = await readJsonObject(c);
    const { userId, device } = c.get("auth");
    const now = deps.clock.now();
    if (body.page !== undefined && body.page !== null) {
      const extra = STATE_FIELDS.filter((k) => body[k] !== undefined && body[k] !== null);
      if (extra.length > 0) {
        throw new ValidationError(
          "validation_failed",
          "A page request carries only `page`.",
          Object.fromEntries(extra.map((k) => [k, "not allowed with page"])),
        );
      }
      const page = await readPageToken(userId, body.page, { now });
      const data = await pageAnswer(deps, userId, page, now);
      return c.json({ status: "success", data, events_appended: 0 });
    }
    // A bad token is refused before anything is written.
    const since = body.since === undefined || body.since === null
      ? undefined
      : await readSyncToken(userId, body.since, { now });
    // Ids the state already holds are taken as they are (validated when they came in).
    const held = await deps.registry.state(userId);
    const known: KnownIds = { feeds: held.subscriptions, items: held.plays };
    const input = parseSyncBody(body, { notAfter: now + MAX_CLOCK_AHEAD_MS, known });
    const result = await deps.registry.execute(
      userId,
      { type: "SyncState", data: input },
      device,
    );
    const data = since === undefined
      ? await fullAnswer(deps, userId, result.state, now)
      : await deltaAnswer(deps, userId, result.state, since, now);
    return c.json({ status: "success", data, events_appended: result.events.length });
  });
  return app;
}
