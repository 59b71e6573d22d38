/**
 * Per-user read models, written in the same commit as the events that change them, so a
 * client always reads its own writes. This file turns (state before, state after, events)
 * into KV mutations. The stored records are the domain's own (`SubscriptionState`,
 * `PlayState`, …): each API surface gives them its own shape when it answers.
 */
import type { PrivacyLevel, PrivacyScope, StoredEvent } from "../domain/events.ts";
import type {
  EpisodeMark,
  PlaylistItemState,
  PlaylistState,
  PlayState,
  SubscriptionState,
  UserState,
} from "../domain/state.ts";
import { feedHash, itemHash } from "./hash.ts";
import * as keys from "./keys.ts";
import { activityMutations } from "./activity_models.ts";

/** `["sub", user, feedHash]`. */
export type SubscriptionRecord = SubscriptionState;
/** `["play", user, itemHash]` and `["play_by_time", …]`. */
export type PlayRecord = PlayState;
/** `["saved", user, itemHash]`: when it was saved is `at`. */
export type SavedRecord = EpisodeMark;
/** `["priv", user, scope, hash]`. */
export interface PrivacyRecord {
  readonly scope: PrivacyScope;
  readonly feed?: string;
  readonly item?: string;
  readonly privacy: PrivacyLevel;
}
/** `["pl", user, id]`: a playlist without its items. */
export type PlaylistRecord = Omit<PlaylistState, "items">;
/** `["pl_item", user, id, itemHash]`. */
export type PlaylistItemRecord = PlaylistItemState;

/** Drops undefined fields so stored values stay compact. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A playlist's stored record (its items are stored one by one). */
export function playlistRecord(pl: PlaylistState): PlaylistRecord {
  const { items: _items, ...rest } = pl;
  return compact(rest);
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
    sub ? set(key, compact(sub)) : del(key);
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
    const record = compact(now);
    set(keys.playKey(userId, h), record);
    set(keys.playByTimeKey(userId, Date.parse(now.updated_at), h), record);
  }
  for (const item of t.saved) {
    const key = keys.savedKey(userId, await itemHash(item));
    const mark = after.saved.get(item);
    mark ? set(key, mark satisfies SavedRecord) : del(key);
  }
  for (const p of t.priv) {
    const [scope, id] = [p.slice(0, p.indexOf(":")), p.slice(p.indexOf(":") + 1)] as [
      PrivacyScope,
      string,
    ];
    if (scope === "user") {
      const key = keys.privacyKey(userId, "user", "");
      const level = after.privacy.user;
      level ? set(key, { scope, privacy: level } satisfies PrivacyRecord) : del(key);
    } else if (scope === "feed") {
      const key = keys.privacyKey(userId, "feed", await feedHash(id));
      const level = after.privacy.feeds.get(id);
      level ? set(key, { scope, feed: id, privacy: level } satisfies PrivacyRecord) : del(key);
    } else {
      const key = keys.privacyKey(userId, "item", await itemHash(id));
      const o = after.privacy.items.get(id);
      o
        ? set(key, compact<PrivacyRecord>({ scope, feed: o.feed, item: id, privacy: o.privacy }))
        : del(key);
    }
  }
  for (const [id, items] of t.playlists) {
    const pl = after.playlists.get(id);
    if (!pl) continue;
    set(keys.playlistKey(userId, id), playlistRecord(pl));
    for (const item of items) {
      const it = pl.items.get(item);
      if (it) set(keys.playlistItemKey(userId, id, await itemHash(item)), compact(it));
    }
  }
  return out;
}
