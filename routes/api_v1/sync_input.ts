/** Reads a `POST /api/v1/sync` body (SPEC §4.1) into a SyncInput. Pure. */
import { feedAt, Fields, itemAt, normalizeTime } from "../input.ts";
import type {
  SyncInput,
  SyncPlaylist,
  SyncPlaylistItem,
  SyncPlayStatus,
  SyncSubscription,
} from "../../src/domain/sync.ts";
import { MAX_PLAYLIST_ITEMS } from "../../src/domain/playlists.ts";

/** Limits of one sync body (it also has to fit the 10 MiB body cap). */
export const SYNC_LIMITS = { subscriptions: 10_000, playStatuses: 50_000, playlists: 200 } as const;

const PLAYLIST_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Ids the server already holds — canonical and validated when they first came in — so a
 * client's id equal to one of them is taken as it is, without decoding it again.
 */
export interface KnownIds {
  readonly feeds: { has(id: string): boolean };
  readonly items: { has(id: string): boolean };
}

const NONE: KnownIds = { feeds: new Set(), items: new Set() };

/**
 * Recently read times and their normalised form: a device re-sends the dates the server
 * gave it, and normalising thousands of them was most of an identical re-sync's parse.
 */
const TIMES = new Map<string, { iso: string; ms: number }>();
const TIMES_MAX = 50_000;

/** `at.time(o, name)`, from the memo when the text was read before. */
function timeAt(
  at: Fields,
  o: Record<string, unknown>,
  name: string,
  notAfter: number,
  optional = false,
): string | undefined {
  const v = o[name];
  if (typeof v === "string") {
    let t = TIMES.get(v);
    if (t === undefined) {
      const iso = normalizeTime(v);
      if (iso !== null) {
        if (TIMES.size >= TIMES_MAX) TIMES.delete(TIMES.keys().next().value!);
        TIMES.set(v, t = { iso, ms: Date.parse(iso) });
      }
    }
    if (t !== undefined && t.ms <= notAfter) return t.iso;
  }
  return at.time(o, name, { optional }); // absent or refused: it says why
}

/**
 * Timestamps later than `options.notAfter` (ms) are refused: a device whose clock runs far
 * ahead would otherwise win every later change.
 * @throws {ValidationError} 422 `validation_failed` with per-field details, or 400
 * `invalid_feed_id` / `invalid_item_id` naming the field.
 */
export function parseSyncBody(
  body: Record<string, unknown>,
  options: { notAfter?: number; known?: KnownIds } = {},
): SyncInput {
  const known = options.known ?? NONE;
  const notAfter = options.notAfter ?? Infinity;
  const feedOf = (v: unknown, path: string) =>
    typeof v === "string" && known.feeds.has(v) ? v : feedAt(v, path).feed;
  const itemOf = (v: unknown, path: string) =>
    typeof v === "string" && known.items.has(v) ? v : itemAt(v, path).item;
  const f = new Fields();
  const subscriptions: SyncSubscription[] = f.objects(
    body,
    "subscriptions",
    SYNC_LIMITS.subscriptions,
  )
    .map((o, i) => {
      const at = new Fields(`subscriptions[${i}].`, options);
      const feed = feedOf(o.rss_source_feed, `subscriptions[${i}].rss_source_feed`);
      const rss_source_id = at.str(o, "rss_source_id", { optional: true, max: 256 });
      const subscribed_at = timeAt(at, o, "subscribed_at", notAfter);
      const unsubscribed_at = timeAt(at, o, "unsubscribed_at", notAfter, true);
      Object.assign(f.errors, at.errors);
      return { feed, rss_source_id, subscribed_at: subscribed_at!, unsubscribed_at };
    });
  const play_statuses: SyncPlayStatus[] = f.objects(body, "play_statuses", SYNC_LIMITS.playStatuses)
    .map((o, i) => {
      const at = new Fields(`play_statuses[${i}].`, options);
      const feed = feedOf(o.rss_source_feed, `play_statuses[${i}].rss_source_feed`);
      const item = itemOf(o.rss_source_item, `play_statuses[${i}].rss_source_item`);
      const position = at.int(o, "position");
      const played = at.bool(o, "played", { optional: true });
      const duration = at.int(o, "duration", { optional: true });
      const updated_at = timeAt(at, o, "updated_at", notAfter);
      Object.assign(f.errors, at.errors);
      return { feed, item, position: position!, played, duration, updated_at: updated_at! };
    });
  const playlists: SyncPlaylist[] = f.objects(body, "playlists", SYNC_LIMITS.playlists)
    .map((o, i) => {
      const at = new Fields(`playlists[${i}].`, options);
      const id = at.str(o, "id", { optional: true, max: 64 });
      if (id !== undefined && !PLAYLIST_ID.test(id)) at.add("id", "letters, digits, . _ - only");
      const name = at.str(o, "name", { min: 1, max: 200 });
      const description = at.str(o, "description", { optional: true, max: 4000 });
      const is_public = at.bool(o, "is_public", { optional: true });
      const updated_at = at.time(o, "updated_at");
      const deleted_at = at.time(o, "deleted_at", { optional: true });
      const items: SyncPlaylistItem[] = at.objects(o, "items", MAX_PLAYLIST_ITEMS * 2).map(
        (it, j) => {
          const p = `playlists[${i}].items[${j}]`;
          const fi = new Fields(`${p}.`, options);
          const feed = feedOf(it.rss_source_feed, `${p}.rss_source_feed`);
          const item = itemOf(it.rss_source_item, `${p}.rss_source_item`);
          const added_at = fi.time(it, "added_at");
          const removed_at = fi.time(it, "removed_at", { optional: true });
          const position = fi.int(it, "position", { optional: true, max: 1_000_000 });
          Object.assign(f.errors, fi.errors);
          return { feed, item, added_at: added_at!, removed_at, position };
        },
      );
      Object.assign(f.errors, at.errors);
      return {
        id,
        name: name!,
        description,
        is_public,
        updated_at: updated_at!,
        deleted_at,
        items,
      };
    });
  f.done();
  return { subscriptions, play_statuses, playlists };
}
