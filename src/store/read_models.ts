/**
 * Per-user read models, written in the same commit as the events that change them, so a
 * client always reads its own writes. This file turns (state before, state after, events)
 * into KV mutations, and defines the stored shapes.
 */
import { decodeFeedId } from "../domain/ids.ts";
import type { PrivacyLevel, StoredEvent } from "../domain/events.ts";
import type {
  PlaylistItemState,
  PlaylistState,
  PlayState,
  SubscriptionState,
  UserState,
} from "../domain/state.ts";
import { feedHash, itemHash } from "./hash.ts";
import * as keys from "./keys.ts";
import { activityMutations } from "./activity_models.ts";

export interface SubscriptionView {
  rss_source_feed: string;
  feed_url: string;
  rss_source_id?: string;
  subscribed_at: string;
  unsubscribed_at?: string;
  device_id?: string;
}

export interface PlayView {
  rss_source_feed: string;
  rss_source_item: string;
  position: number;
  played: boolean;
  duration?: number;
  updated_at: string;
}

export interface SavedView {
  rss_source_feed: string;
  rss_source_item: string;
  saved_at: string;
}

export interface PrivacyView {
  scope: "user" | "feed" | "item";
  rss_source_feed?: string;
  rss_source_item?: string;
  privacy: PrivacyLevel;
}

export interface PlaylistView {
  id: string;
  name: string;
  description: string;
  is_public: boolean;
  created_at: string;
  updated_at: string;
  deleted_at?: string;
}

export interface PlaylistItemView {
  rss_source_feed?: string;
  rss_source_item: string;
  added_at: string;
  removed_at?: string;
  position?: number;
}

function feedUrlOf(feed: string): string {
  return decodeFeedId(feed).feedUrl;
}

/** The stored/API shape of a play status. */
export function playView(p: PlayState): PlayView {
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

/** The stored/API shape of a subscription. */
export function subscriptionView(s: SubscriptionState): SubscriptionView {
  return compact<SubscriptionView>({
    rss_source_feed: s.feed,
    feed_url: feedUrlOf(s.feed),
    rss_source_id: s.rss_source_id,
    subscribed_at: s.subscribed_at,
    unsubscribed_at: s.unsubscribed_at,
    device_id: s.device?.id,
  });
}

/** The stored/API shape of a playlist's metadata. */
export function playlistView(pl: PlaylistState): PlaylistView {
  return compact<PlaylistView>({
    id: pl.id,
    name: pl.name,
    description: pl.description,
    is_public: pl.is_public,
    created_at: pl.created_at,
    updated_at: pl.updated_at,
    deleted_at: pl.deleted_at,
  });
}

/** The stored/API shape of a playlist item. */
export function playlistItemView(it: PlaylistItemState): PlaylistItemView {
  return compact<PlaylistItemView>({
    rss_source_feed: it.feed,
    rss_source_item: it.item,
    added_at: it.added_at,
    removed_at: it.removed_at,
    position: it.position,
  });
}

/** Drops undefined fields so stored values stay compact. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

type Touched = { subs: Set<string>; plays: Set<string>; saved: Set<string>; priv: Set<string> };

function touchedBy(
  events: readonly StoredEvent[],
): Touched & { playlists: Map<string, Set<string>> } {
  const t = {
    subs: new Set<string>(),
    plays: new Set<string>(),
    saved: new Set<string>(),
    priv: new Set<string>(),
    playlists: new Map<string, Set<string>>(),
  };
  for (const e of events) {
    switch (e.type) {
      case "subscribed":
      case "unsubscribed":
        t.subs.add(e.feed!);
        break;
      case "played":
      case "position_updated":
        t.plays.add(e.item!);
        break;
      case "saved":
      case "unsaved":
        t.saved.add(e.item!);
        break;
      case "privacy_changed":
        t.priv.add(
          e.data.scope === "user"
            ? "user:"
            : e.data.scope === "feed"
            ? `feed:${e.feed}`
            : `item:${e.item}`,
        );
        break;
      case "shared":
      case "events_removed": // its read models are cleared by the erasure (src/lifecycle)
      case "device_updated": // activity_models.ts
      case "device_removed":
        break;
      case "episode_action":
        if (e.data.action === "new") t.plays.add(e.item!); // may reset the played flag
        break;
      default: {
        const id = e.data.playlist_id;
        const items = t.playlists.get(id) ?? new Set<string>();
        if (e.type === "playlist_item_added" || e.type === "playlist_item_removed") {
          items.add(e.data.item);
        }
        if (e.type === "playlist_reordered") e.data.order.forEach((i) => items.add(i));
        t.playlists.set(id, items);
      }
    }
  }
  return t;
}

/**
 * The KV mutations that bring a user's read models from `before` to `after`.
 * Only entities the events touched are written.
 */
export async function readModelMutations(
  userId: string,
  before: UserState,
  after: UserState,
  events: readonly StoredEvent[],
): Promise<Deno.KvMutation[]> {
  const out: Deno.KvMutation[] = [];
  const set = (key: Deno.KvKey, value: unknown) => out.push({ type: "set", key, value });
  const del = (key: Deno.KvKey) => out.push({ type: "delete", key });
  const t = touchedBy(events);
  out.push(...await activityMutations(userId, before, after, events));
  // An erasure later in the same batch may have removed what an earlier event touched.
  for (const feed of t.subs) {
    const key = keys.subKey(userId, await feedHash(feed));
    const sub = after.subscriptions.get(feed);
    sub ? set(key, subscriptionView(sub)) : del(key);
  }
  for (const item of t.plays) {
    const h = await itemHash(item);
    const now = after.plays.get(item);
    const old = before.plays.get(item);
    if (old && old.updated_at !== now?.updated_at) {
      del(keys.playByTimeKey(userId, Date.parse(old.updated_at), h));
    }
    if (!now) {
      del(keys.playKey(userId, h));
      continue;
    }
    const view = playView(now);
    set(keys.playKey(userId, h), view);
    set(keys.playByTimeKey(userId, Date.parse(now.updated_at), h), view);
  }
  for (const item of t.saved) {
    const key = keys.savedKey(userId, await itemHash(item));
    const mark = after.saved.get(item);
    if (mark) {
      set(
        key,
        {
          rss_source_feed: mark.feed,
          rss_source_item: item,
          saved_at: mark.at,
        } satisfies SavedView,
      );
    } else del(key);
  }
  for (const p of t.priv) {
    const [scope, id] = [p.slice(0, p.indexOf(":")), p.slice(p.indexOf(":") + 1)] as [
      PrivacyView["scope"],
      string,
    ];
    if (scope === "user") {
      const key = keys.privacyKey(userId, "user", "");
      const level = after.privacy.user;
      level ? set(key, { scope, privacy: level } satisfies PrivacyView) : del(key);
    } else if (scope === "feed") {
      const key = keys.privacyKey(userId, "feed", await feedHash(id));
      const level = after.privacy.feeds.get(id);
      level
        ? set(key, { scope, rss_source_feed: id, privacy: level } satisfies PrivacyView)
        : del(key);
    } else {
      const key = keys.privacyKey(userId, "item", await itemHash(id));
      const o = after.privacy.items.get(id);
      o
        ? set(
          key,
          compact<PrivacyView>({
            scope,
            rss_source_feed: o.feed,
            rss_source_item: id,
            privacy: o.privacy,
          }),
        )
        : del(key);
    }
  }
  for (const [id, items] of t.playlists) {
    const pl = after.playlists.get(id);
    if (!pl) continue;
    set(keys.playlistKey(userId, id), playlistView(pl));
    for (const item of items) {
      const it = pl.items.get(item);
      if (it) set(keys.playlistItemKey(userId, id, await itemHash(item)), playlistItemView(it));
    }
  }
  return out;
}
