/** Reads of the per-user read models for the REST API (read-your-writes: same commit). */
import { ValidationError } from "../domain/errors.ts";
import { decodeFeedId, decodeItemId } from "../domain/ids.ts";
import { base64url } from "./hash.ts";
import { episodeTitle, feedMetas } from "./feed_meta.ts";
import * as keys from "./keys.ts";
import type {
  PlaylistItemView,
  PlaylistView,
  PlayView,
  PrivacyView,
  SavedView,
  SubscriptionView,
} from "./read_models.ts";

/** A subscription as the API shows it: `rss_source_id` and `unsubscribed_at` null when unset. */
export type SubscriptionOut = Omit<SubscriptionView, "rss_source_id" | "unsubscribed_at"> & {
  rss_source_id: string | null;
  unsubscribed_at: string | null;
  feed_title?: string;
  feed_author?: string;
  feed_cover?: string;
};

/** Adds the cached feed titles to subscription views and gives them the API shape. */
export async function describeSubscriptions(
  kv: Deno.Kv,
  subs: readonly SubscriptionView[],
): Promise<SubscriptionOut[]> {
  const metas = await feedMetas(kv, subs.map((s) => s.rss_source_feed));
  return subs.map((s) => {
    const m = metas.get(s.rss_source_feed);
    const out: SubscriptionOut = {
      ...s,
      rss_source_id: s.rss_source_id ?? null,
      unsubscribed_at: s.unsubscribed_at ?? null,
    };
    if (m?.title) out.feed_title = m.title;
    if (m?.author) out.feed_author = m.author;
    if (m?.cover) out.feed_cover = m.cover;
    return out;
  });
}

/** True when the subscription's latest date is its subscription. */
export function isActiveView(
  s: Pick<SubscriptionView, "subscribed_at"> & { unsubscribed_at?: string | null },
): boolean {
  return !s.unsubscribed_at || Date.parse(s.subscribed_at) > Date.parse(s.unsubscribed_at);
}

/** All subscriptions of a user (active ones unless `includeAll`), with cached titles. */
export async function listSubscriptions(
  kv: Deno.Kv,
  userId: string,
  options: { includeAll?: boolean } = {},
): Promise<SubscriptionOut[]> {
  const subs: SubscriptionView[] = [];
  for await (const e of kv.list<SubscriptionView>({ prefix: keys.subPrefix(userId) })) {
    if (options.includeAll || isActiveView(e.value)) subs.push(e.value);
  }
  return (await describeSubscriptions(kv, subs))
    .sort((a, b) => Date.parse(b.subscribed_at) - Date.parse(a.subscribed_at));
}

/** A play status as the API shows it. */
export type PlayOut = PlayView & {
  feed_url: string;
  guid: string;
  enclosure_url: string;
  feed_title?: string;
  item_title?: string;
};

/** Adds the decoded values and cached titles to play views. */
export async function describePlays(kv: Deno.Kv, plays: PlayView[]): Promise<PlayOut[]> {
  const metas = await feedMetas(kv, plays.map((p) => p.rss_source_feed));
  return await Promise.all(plays.map(async (p) => {
    const { guid, enclosureUrl } = decodeItemId(p.rss_source_item);
    const m = metas.get(p.rss_source_feed);
    const out: PlayOut = {
      ...p,
      feed_url: decodeFeedId(p.rss_source_feed).feedUrl,
      guid,
      enclosure_url: enclosureUrl,
    };
    if (m?.title) out.feed_title = m.title;
    const title = await episodeTitle(m, p.rss_source_item);
    if (title) out.item_title = title;
    return out;
  }));
}

export interface PlayQuery {
  played?: boolean;
  feed?: string;
  limit: number;
  cursor?: string;
}

function filterTag(q: PlayQuery): string {
  return `${q.played ?? "any"}|${q.feed ?? "*"}`;
}

function encodeCursor(key: Deno.KvKey, q: PlayQuery): string {
  const json = JSON.stringify({ k: key.slice(2), f: filterTag(q) });
  return base64url(new TextEncoder().encode(json));
}

function decodeCursor(cursor: string, q: PlayQuery): [number, string] {
  const bad = () => new ValidationError("invalid_cursor", "This cursor is invalid for this query.");
  if (cursor.length > 512) throw bad();
  try {
    const json = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
    const k = json?.k;
    if (json?.f !== filterTag(q)) throw bad();
    // A cursor goes into a KV key: only the shapes this module makes (an inverted time and
    // a 22-character item hash) are accepted.
    if (
      !Array.isArray(k) || !Number.isSafeInteger(k[0]) || k[0] < 0 ||
      typeof k[1] !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(k[1])
    ) throw bad();
    return [k[0], k[1]];
  } catch {
    throw bad();
  }
}

/**
 * Play statuses newest `updated_at` first, filtered, with cursor pagination.
 * @throws {ValidationError} `invalid_cursor` for a cursor of another query.
 */
export async function listPlays(kv: Deno.Kv, userId: string, q: PlayQuery) {
  const prefix = keys.playByTimePrefix(userId);
  const selector: Deno.KvListSelector = q.cursor
    ? keys.playByTimeAfter(userId, ...decodeCursor(q.cursor, q))
    : { prefix };
  const page: { key: Deno.KvKey; value: PlayView }[] = [];
  // A filter skips entries: read in big batches rather than one page's worth at a time.
  const filtered = q.played !== undefined || q.feed !== undefined;
  let more = false;
  for await (
    const e of kv.list<PlayView>(selector, {
      batchSize: filtered ? 500 : Math.min(500, q.limit + 1),
    })
  ) {
    if (q.played !== undefined && e.value.played !== q.played) continue;
    if (q.feed !== undefined && e.value.rss_source_feed !== q.feed) continue;
    if (page.length === q.limit) {
      more = true;
      break;
    }
    page.push(e);
  }
  const next_cursor = more ? encodeCursor(page[page.length - 1].key, q) : null;
  return { play_statuses: await describePlays(kv, page.map((e) => e.value)), next_cursor };
}

/** Saved (liked) episodes, newest first. */
export async function listSaved(kv: Deno.Kv, userId: string) {
  const out: SavedView[] = [];
  for await (const e of kv.list<SavedView>({ prefix: keys.savedPrefix(userId) })) out.push(e.value);
  out.sort((a, b) => Date.parse(b.saved_at) - Date.parse(a.saved_at));
  return out.map((s) => {
    const { guid, enclosureUrl } = decodeItemId(s.rss_source_item);
    return {
      ...s,
      feed_url: decodeFeedId(s.rss_source_feed).feedUrl,
      guid,
      enclosure_url: enclosureUrl,
    };
  });
}

/** The user's privacy settings: own level and overrides. */
export async function listPrivacy(kv: Deno.Kv, userId: string) {
  const all: PrivacyView[] = [];
  for await (const e of kv.list<PrivacyView>({ prefix: keys.privacyPrefix(userId) })) {
    all.push(e.value);
  }
  return {
    user: all.find((p) => p.scope === "user")?.privacy,
    feeds: all.filter((p) => p.scope === "feed"),
    items: all.filter((p) => p.scope === "item"),
  };
}

/** A playlist with its live items in order. */
export type PlaylistOut = PlaylistView & { items: (PlaylistItemView & { feed_url?: string })[] };

/** Reads one playlist (deleted ones too), or null. */
export async function getPlaylist(
  kv: Deno.Kv,
  userId: string,
  id: string,
): Promise<PlaylistOut | null> {
  const pl = await kv.get<PlaylistView>(keys.playlistKey(userId, id));
  if (!pl.value) return null;
  const items: PlaylistItemView[] = [];
  for await (
    const e of kv.list<PlaylistItemView>({ prefix: keys.playlistItemPrefix(userId, id) })
  ) {
    const it = e.value;
    if (!it.removed_at || Date.parse(it.added_at) > Date.parse(it.removed_at)) items.push(it);
  }
  items.sort((a, b) =>
    (a.position ?? Number.MAX_SAFE_INTEGER) - (b.position ?? Number.MAX_SAFE_INTEGER) ||
    Date.parse(a.added_at) - Date.parse(b.added_at)
  );
  return {
    ...pl.value,
    items: items.map((it) => ({
      ...it,
      ...(it.rss_source_feed ? { feed_url: decodeFeedId(it.rss_source_feed).feedUrl } : {}),
    })),
  };
}

/** Every playlist of the user (deleted ones only with `includeDeleted`). */
export async function listPlaylists(
  kv: Deno.Kv,
  userId: string,
  options: { includeDeleted?: boolean } = {},
) {
  const out: PlaylistView[] = [];
  for await (const e of kv.list<PlaylistView>({ prefix: keys.playlistPrefix(userId) })) {
    if (options.includeDeleted || !e.value.deleted_at) out.push(e.value);
  }
  return out.sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at));
}
