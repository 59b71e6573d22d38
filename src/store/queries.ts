/**
 * Reads of the per-user read models in the REST API's shapes (read-your-writes: same
 * commit). The stored records are the domain's; the `*Out` shapes are the API's (SPEC §4).
 */
import { ValidationError } from "../domain/errors.ts";
import { knownFeed, knownItem } from "../domain/ids.ts";
import type { PrivacyLevel, PrivacyScope } from "../domain/events.ts";
import { effectivePrivacy } from "../domain/privacy.ts";
import { base64url, feedHash, itemHash } from "./hash.ts";
import { episodeTitle, feedMetas } from "./feed_meta.ts";
import * as keys from "./keys.ts";
import type {
  PlaylistItemRecord,
  PlaylistRecord,
  PlayRecord,
  PrivacyRecord,
  SavedRecord,
  SubscriptionRecord,
} from "./read_models.ts";

/** A subscription as the API shows it: `rss_source_id` and `unsubscribed_at` null when unset. */
export interface SubscriptionOut {
  rss_source_feed: string;
  feed_url: string;
  rss_source_id: string | null;
  subscribed_at: string;
  unsubscribed_at: string | null;
  device_id?: string;
  feed_title?: string;
  feed_author?: string;
  feed_cover?: string;
  /** Date of the podcast's newest episode, from the metadata cache. */
  latest_episode_at?: string;
}

/** A play status in the API's shape (before titles and decoded values are added). */
export interface PlayView {
  rss_source_feed: string;
  rss_source_item: string;
  position: number;
  played: boolean;
  duration?: number;
  updated_at: string;
}

/** The API shape of a stored play status. */
export function playView(p: PlayRecord): PlayView {
  const v: PlayView = {
    rss_source_feed: p.feed,
    rss_source_item: p.item,
    position: p.position,
    played: p.played,
    updated_at: p.updated_at,
  };
  if (p.duration !== undefined) v.duration = p.duration;
  return v;
}

/** The API shape of a privacy override. */
export function privacyOut(p: PrivacyRecord) {
  return {
    scope: p.scope,
    ...(p.feed === undefined ? {} : { rss_source_feed: p.feed }),
    ...(p.item === undefined ? {} : { rss_source_item: p.item }),
    privacy: p.privacy,
  };
}

/** The API shape of a playlist's metadata. */
export function playlistOut(pl: PlaylistRecord) {
  return {
    id: pl.id,
    name: pl.name,
    description: pl.description,
    is_public: pl.is_public,
    created_at: pl.created_at,
    updated_at: pl.updated_at,
    ...(pl.deleted_at === undefined ? {} : { deleted_at: pl.deleted_at }),
  };
}

/** The API shape of a playlist item. */
export function playlistItemOut(it: PlaylistItemRecord) {
  return {
    ...(it.feed === undefined ? {} : { rss_source_feed: it.feed }),
    rss_source_item: it.item,
    added_at: it.added_at,
    ...(it.removed_at === undefined ? {} : { removed_at: it.removed_at }),
    ...(it.position === undefined ? {} : { position: it.position }),
  };
}

/** Adds the cached feed titles to subscriptions and gives them the API shape. */
export async function describeSubscriptions(
  kv: Deno.Kv,
  subs: readonly SubscriptionRecord[],
): Promise<SubscriptionOut[]> {
  const metas = await feedMetas(kv, subs.map((s) => s.feed));
  return subs.map((s) => {
    const m = metas.get(s.feed);
    const out: SubscriptionOut = {
      rss_source_feed: s.feed,
      feed_url: knownFeed(s.feed).feedUrl,
      rss_source_id: s.rss_source_id ?? null,
      subscribed_at: s.subscribed_at,
      unsubscribed_at: s.unsubscribed_at ?? null,
    };
    if (s.device?.id) out.device_id = s.device.id;
    if (m?.title) out.feed_title = m.title;
    if (m?.author) out.feed_author = m.author;
    if (m?.cover) out.feed_cover = m.cover;
    if (m?.latest_at) out.latest_episode_at = m.latest_at;
    return out;
  });
}

/** True when the subscription's latest date is its subscription. */
export function isActiveView(
  s: { subscribed_at: string; unsubscribed_at?: string | null },
): boolean {
  return !s.unsubscribed_at || Date.parse(s.subscribed_at) > Date.parse(s.unsubscribed_at);
}

/** All subscriptions of a user (active ones unless `includeAll`), with cached titles. */
export async function listSubscriptions(
  kv: Deno.Kv,
  userId: string,
  options: { includeAll?: boolean } = {},
): Promise<SubscriptionOut[]> {
  const subs: SubscriptionRecord[] = [];
  for await (const e of kv.list<SubscriptionRecord>({ prefix: keys.subPrefix(userId) })) {
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

/**
 * Adds the decoded values and cached titles to play statuses, in the API's shape. The ids
 * are the server's own (validated when they came in): nothing is validated again.
 */
export async function describePlays(
  kv: Deno.Kv,
  records: readonly PlayRecord[],
): Promise<PlayOut[]> {
  const metas = await feedMetas(kv, records.map((p) => p.feed));
  const out: PlayOut[] = [];
  for (const p of records) {
    const { guid, enclosureUrl } = knownItem(p.item);
    const m = metas.get(p.feed);
    const o: PlayOut = {
      ...playView(p),
      feed_url: knownFeed(p.feed).feedUrl,
      guid,
      enclosure_url: enclosureUrl,
    };
    if (m?.title) o.feed_title = m.title;
    if (m?.episodes) {
      const title = await episodeTitle(m, p.item);
      if (title) o.item_title = title;
    }
    out.push(o);
  }
  return out;
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
  const page: { key: Deno.KvKey; value: PlayRecord }[] = [];
  // A filter skips entries: read in big batches rather than one page's worth at a time.
  const filtered = q.played !== undefined || q.feed !== undefined;
  let more = false;
  for await (
    const e of kv.list<PlayRecord>(selector, {
      batchSize: filtered ? 500 : Math.min(500, q.limit + 1),
    })
  ) {
    if (q.played !== undefined && e.value.played !== q.played) continue;
    if (q.feed !== undefined && e.value.feed !== q.feed) continue;
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
  const out: SavedRecord[] = [];
  for await (const e of kv.list<SavedRecord>({ prefix: keys.savedPrefix(userId) })) {
    out.push(e.value);
  }
  out.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  return out.map((s) => {
    const { guid, enclosureUrl } = knownItem(s.item);
    return {
      rss_source_feed: s.feed,
      rss_source_item: s.item,
      saved_at: s.at,
      feed_url: knownFeed(s.feed).feedUrl,
      guid,
      enclosure_url: enclosureUrl,
    };
  });
}

/** The user's privacy settings: own level and overrides. */
export async function listPrivacy(kv: Deno.Kv, userId: string) {
  const all: PrivacyRecord[] = [];
  for await (const e of kv.list<PrivacyRecord>({ prefix: keys.privacyPrefix(userId) })) {
    all.push(e.value);
  }
  return {
    user: all.find((p) => p.scope === "user")?.privacy,
    feeds: all.filter((p) => p.scope === "feed").map(privacyOut),
    items: all.filter((p) => p.scope === "item").map(privacyOut),
  };
}

/** Where a privacy setting applies: the user, one feed, or one episode of a feed. */
export interface PrivacyTarget {
  readonly scope: PrivacyScope;
  readonly feed?: string;
  readonly item?: string;
}

/** The level in force at `t` (SPEC §4.5: item, then feed, then user, then the default). */
export async function effectivePrivacyAt(
  kv: Deno.Kv,
  userId: string,
  t: PrivacyTarget,
  instanceDefault: PrivacyLevel,
) {
  const ks: Deno.KvKey[] = [keys.privacyKey(userId, "user", "")];
  if (t.feed) ks.push(keys.privacyKey(userId, "feed", await feedHash(t.feed)));
  if (t.item) ks.push(keys.privacyKey(userId, "item", await itemHash(t.item)));
  const [user, feed, item] = (await kv.getMany<PrivacyRecord[]>(ks)).map((e) => e.value?.privacy);
  return effectivePrivacy({ user, feed, item }, instanceDefault);
}

/** A playlist item as the API shows it. */
export type PlaylistItemOut = ReturnType<typeof playlistItemOut> & { feed_url?: string };
/** A playlist with its live items in order. */
export type PlaylistOut = ReturnType<typeof playlistOut> & { items: PlaylistItemOut[] };

/** Reads one playlist (deleted ones too), or null. */
export async function getPlaylist(
  kv: Deno.Kv,
  userId: string,
  id: string,
): Promise<PlaylistOut | null> {
  const pl = await kv.get<PlaylistRecord>(keys.playlistKey(userId, id));
  if (!pl.value) return null;
  const items: PlaylistItemRecord[] = [];
  for await (
    const e of kv.list<PlaylistItemRecord>({ prefix: keys.playlistItemPrefix(userId, id) })
  ) {
    const it = e.value;
    if (!it.removed_at || Date.parse(it.added_at) > Date.parse(it.removed_at)) items.push(it);
  }
  items.sort((a, b) =>
    (a.position ?? Number.MAX_SAFE_INTEGER) - (b.position ?? Number.MAX_SAFE_INTEGER) ||
    Date.parse(a.added_at) - Date.parse(b.added_at)
  );
  return {
    ...playlistOut(pl.value),
    items: items.map((it) => ({
      ...playlistItemOut(it),
      ...(it.feed ? { feed_url: knownFeed(it.feed).feedUrl } : {}),
    })),
  };
}

/** Every playlist of the user (deleted ones only with `includeDeleted`), API shape. */
export async function listPlaylists(
  kv: Deno.Kv,
  userId: string,
  options: { includeDeleted?: boolean } = {},
) {
  const out: PlaylistRecord[] = [];
  for await (const e of kv.list<PlaylistRecord>({ prefix: keys.playlistPrefix(userId) })) {
    if (options.includeDeleted || !e.value.deleted_at) out.push(e.value);
  }
  return out.sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at)).map(playlistOut);
}
