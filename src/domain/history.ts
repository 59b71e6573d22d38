/**
 * What "listening history" is, for erasing it (SPEC §7.3): subscriptions' comings and
 * goings, plays and positions, saves and shares — within everything, one feed, or one
 * episode. Settings (privacy, playlists) are not history. Pure.
 */
import type { EventType, PrivacyScope, StoredEvent, UserEvent } from "./events.ts";
import { isActive, isInPlaylist, ms, type PlaylistState, type UserState } from "./state.ts";

/** The event types an erasure deletes. */
export const HISTORY_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  "subscribed",
  "unsubscribed",
  "played",
  "position_updated",
  "saved",
  "unsaved",
  "shared",
]);

/** What an erasure covers. */
export interface HistoryScope {
  readonly scope: PrivacyScope;
  readonly feed?: string;
  readonly item?: string;
}

/** The scope an `events_removed` event describes. */
export function scopeOfRemoval(e: Extract<UserEvent, { type: "events_removed" }>): HistoryScope {
  return { scope: e.data.scope, feed: e.feed, item: e.item };
}

/** True when an event is history within the scope (an erasure deletes it). */
export function isHistoryIn(e: StoredEvent | UserEvent, s: HistoryScope): boolean {
  if (!HISTORY_TYPES.has(e.type)) return false;
  if (s.scope === "user") return true;
  if (s.scope === "feed") return e.feed === s.feed;
  return e.item !== undefined && e.item === s.item;
}

/** True when an episode (of a feed) is within the scope. */
export function episodeIn(s: HistoryScope, feed: string, item: string): boolean {
  return s.scope === "user" || (s.scope === "feed" ? feed === s.feed : item === s.item);
}

/** Events are kept this long; older ones live on only in the user's checkpoint (§7.2). */
export const RETENTION_MS = 45 * 86_400_000;
const DAY_MS = 86_400_000;

/** The day (since the epoch) by which events recorded at `recordedMs` are past retention. */
export function dueDayOf(recordedMs: number): number {
  return Math.floor((recordedMs + RETENTION_MS) / DAY_MS) + 1;
}

/** The day (since the epoch) of a time. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** What pruning took out of a state. */
export interface Pruned {
  readonly subscriptions: readonly string[];
  readonly playlists: readonly string[];
  readonly playlistItems: readonly (readonly [playlistId: string, item: string])[];
}

/**
 * A checkpoint's state leaves out what was unsubscribed or deleted before `cutoff` (ms):
 * unsubscribed feeds, deleted playlists and removed playlist episodes (SPEC §7.1).
 */
export function pruneTombstones(
  state: UserState,
  cutoff: number,
): { state: UserState; pruned: Pruned } {
  const subscriptions = new Map(state.subscriptions);
  const gone: string[] = [];
  for (const s of state.subscriptions.values()) {
    if (!isActive(s) && s.unsubscribed_at !== undefined && ms(s.unsubscribed_at) < cutoff) {
      subscriptions.delete(s.feed);
      gone.push(s.feed);
    }
  }
  const playlists = new Map<string, PlaylistState>();
  const deleted: string[] = [];
  const items: [string, string][] = [];
  for (const p of state.playlists.values()) {
    if (p.deleted_at !== undefined && ms(p.deleted_at) < cutoff) {
      deleted.push(p.id);
      continue;
    }
    const kept = new Map(p.items);
    for (const it of p.items.values()) {
      if (!isInPlaylist(it) && it.removed_at !== undefined && ms(it.removed_at) < cutoff) {
        kept.delete(it.item);
        items.push([p.id, it.item]);
      }
    }
    playlists.set(p.id, kept.size === p.items.size ? p : { ...p, items: kept });
  }
  return {
    state: { ...state, subscriptions, playlists },
    pruned: { subscriptions: gone, playlists: deleted, playlistItems: items },
  };
}
