/** A user's state, rebuilt from their events by `evolve`. Pure. */
import type { Device, DeviceType, PrivacyLevel, StoredEvent } from "./events.ts";
import { type HistoryScope, scopeOfRemoval } from "./history.ts";
import { objectRows, PersistentMap, type RowStore } from "./persistent_map.ts";
import { playRows } from "./play_rows.ts";

export interface SubscriptionState {
  readonly feed: string;
  readonly rss_source_id?: string;
  readonly subscribed_at: string;
  readonly unsubscribed_at?: string;
  readonly device?: Device;
  /** Server time (ms) of the last change: gpodder's `since` and delta reads use it. */
  readonly changed_at?: number;
}

export interface PlayState {
  readonly feed: string;
  readonly item: string;
  readonly position: number;
  readonly played: boolean;
  readonly duration?: number;
  readonly updated_at: string;
  /** Where the last listen began (from gpodder play actions). */
  readonly started?: number;
  readonly device?: Device;
}

/** The latest gpodder download / delete / "new" of an episode, by when the client says. */
export interface EpisodeMarks {
  readonly feed: string;
  readonly item: string;
  readonly download?: string;
  readonly delete?: string;
  readonly new?: string;
}

/** A gpodder device. */
export interface DeviceState {
  readonly id: string;
  readonly caption: string;
  readonly type: DeviceType;
}

export interface EpisodeMark {
  readonly feed: string;
  readonly item: string;
  readonly at: string;
}

export interface PlaylistItemState {
  readonly feed?: string;
  readonly item: string;
  readonly added_at: string;
  readonly removed_at?: string;
  readonly position?: number;
}

export interface PlaylistState {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly is_public: boolean;
  readonly created_at: string;
  readonly updated_at: string;
  readonly deleted_at?: string;
  readonly items: ReadonlyMap<string, PlaylistItemState>;
}

export interface PrivacyState {
  readonly user?: PrivacyLevel;
  readonly feeds: ReadonlyMap<string, PrivacyLevel>;
  readonly items: ReadonlyMap<string, { feed?: string; privacy: PrivacyLevel }>;
}

export interface UserState {
  /** Seq of the last event applied (0 for a new user). */
  readonly seq: number;
  readonly subscriptions: ReadonlyMap<string, SubscriptionState>;
  readonly plays: ReadonlyMap<string, PlayState>;
  readonly saved: ReadonlyMap<string, EpisodeMark>;
  readonly shared: ReadonlyMap<string, EpisodeMark>;
  readonly playlists: ReadonlyMap<string, PlaylistState>;
  readonly privacy: PrivacyState;
  /** gpodder download / delete / new marks by item. */
  readonly marks: ReadonlyMap<string, EpisodeMarks>;
  /** gpodder devices by id. */
  readonly devices: ReadonlyMap<string, DeviceState>;
}

/** The state of a user who has no events yet. */
export const EMPTY_STATE: UserState = Object.freeze({
  seq: 0,
  subscriptions: new Map(),
  plays: new Map(),
  saved: new Map(),
  shared: new Map(),
  playlists: new Map(),
  privacy: { feeds: new Map(), items: new Map() },
  marks: new Map(),
  devices: new Map(),
});

/** The server's time of an event in ms (`ts` for events stored before `recorded_at`). */
function recordedMsOf(e: StoredEvent): number {
  return Date.parse(e.recorded_at ?? e.ts);
}

/** Milliseconds of an RFC 3339 string (the domain compares times as numbers). */
export function ms(ts: string): number {
  return Date.parse(ts);
}

/**
 * The time of a change made "now" (the client gave none): `now`, or just after `prev` when
 * `prev` is not older, so that what the user just asked for wins over a date set by a client
 * whose clock runs ahead (or by another change in the same millisecond).
 */
export function notBefore(now: string, prev: string | undefined): string {
  if (prev === undefined || ms(now) > ms(prev)) return now;
  return new Date(ms(prev) + 1).toISOString();
}

/** True when the subscription's latest date is its subscription (not its unsubscription). */
export function isActive(sub: SubscriptionState | undefined): boolean {
  if (!sub) return false;
  return sub.unsubscribed_at === undefined || ms(sub.subscribed_at) > ms(sub.unsubscribed_at);
}

/** True when a playlist item's latest add is newer than its latest remove. */
export function isInPlaylist(item: PlaylistItemState): boolean {
  return item.removed_at === undefined || ms(item.added_at) > ms(item.removed_at);
}

type MapName = "subscriptions" | "playlists" | "devices";
/** Maps that grow with the listening history: versions share their storage. */
type HistoryMapName = "plays" | "saved" | "shared" | "marks";
type Draft = {
  seq: number;
  subscriptions: Map<string, SubscriptionState>;
  plays: ReadonlyMap<string, PlayState>;
  saved: ReadonlyMap<string, EpisodeMark>;
  shared: ReadonlyMap<string, EpisodeMark>;
  playlists: Map<string, PlaylistState>;
  marks: ReadonlyMap<string, EpisodeMarks>;
  devices: Map<string, DeviceState>;
  privacy: {
    user?: PrivacyLevel;
    feeds: Map<string, PrivacyLevel>;
    items: Map<string, { feed?: string; privacy: PrivacyLevel }>;
  };
  /** Maps already copied in this draft (copy on first write, so a play update stays cheap). */
  copied: Set<string>;
};

type Editable<V> = PersistentMap<string, V, unknown>;
type ValueOf<N extends HistoryMapName> = N extends "plays" ? PlayState
  : N extends "marks" ? EpisodeMarks
  : EpisodeMark;

/** How each history map keeps its rows: play statuses as columns, the others as objects. */
const ROWS: { [N in HistoryMapName]: () => RowStore<string, ValueOf<N>, unknown> } = {
  plays: playRows as () => RowStore<string, PlayState, unknown>,
  saved: objectRows,
  shared: objectRows,
  marks: objectRows,
};

/** An empty history map of the kind `name` uses (states built outside `evolve`). */
export function emptyHistoryMap<N extends HistoryMapName>(name: N): Editable<ValueOf<N>> {
  return PersistentMap.empty(ROWS[name]) as Editable<ValueOf<N>>;
}

/** `source` as a history map (as it is when it already is one). */
export function historyMap<N extends HistoryMapName>(
  name: N,
  source: ReadonlyMap<string, ValueOf<N>>,
): ReadonlyMap<string, ValueOf<N>> {
  return source instanceof PersistentMap ? source : PersistentMap.from(source, ROWS[name]);
}

function draftOf(s: UserState): Draft {
  return {
    seq: s.seq,
    subscriptions: s.subscriptions as Map<string, SubscriptionState>,
    plays: s.plays,
    saved: s.saved,
    shared: s.shared,
    playlists: s.playlists as Map<string, PlaylistState>,
    // States read from checkpoints written before these existed lack them.
    marks: s.marks ?? new Map(),
    devices: (s.devices ?? new Map()) as Map<string, DeviceState>,
    privacy: s.privacy as Draft["privacy"],
    copied: new Set(),
  };
}

function w<K extends MapName>(d: Draft, name: K): Draft[K] {
  if (!d.copied.has(name)) {
    d.copied.add(name);
    (d as Record<MapName, unknown>)[name] = new Map(d[name] as Map<string, unknown>);
  }
  return d[name];
}

/** A history map of the draft, ready to change (a new version sharing the old one's rows). */
function wh<N extends HistoryMapName>(d: Draft, name: N): Editable<ValueOf<N>> {
  if (!d.copied.has(name)) {
    d.copied.add(name);
    const m = d[name] as ReadonlyMap<string, ValueOf<N>>;
    const next = m instanceof PersistentMap
      ? (m as Editable<ValueOf<N>>).edit()
      : PersistentMap.from(m, ROWS[name]).edit();
    (d as Record<HistoryMapName, unknown>)[name] = next;
  }
  return d[name] as Editable<ValueOf<N>>;
}

function wPrivacy(d: Draft): Draft["privacy"] {
  if (!d.copied.has("privacy")) {
    d.copied.add("privacy");
    const p = d.privacy;
    d.privacy = { user: p.user, feeds: new Map(p.feeds), items: new Map(p.items) };
  }
  return d.privacy;
}

function applyPlaylist(d: Draft, e: StoredEvent): void {
  if (!("playlist_id" in e.data)) return;
  const id = e.data.playlist_id;
  const prev = d.playlists.get(id);
  switch (e.type) {
    case "playlist_created":
    case "playlist_updated":
      w(d, "playlists").set(id, {
        id,
        name: e.data.name,
        description: e.data.description,
        is_public: e.data.is_public,
        created_at: prev?.created_at ?? e.ts,
        updated_at: e.ts,
        // Re-creating a deleted playlist with a newer date brings it back.
        deleted_at: e.type === "playlist_created" ? undefined : prev?.deleted_at,
        items: prev?.items ?? new Map(),
      });
      return;
    case "playlist_deleted":
      if (prev) w(d, "playlists").set(id, { ...prev, deleted_at: e.ts, updated_at: e.ts });
      return;
    case "playlist_item_added": {
      if (!prev) return;
      const items = new Map(prev.items);
      const old = items.get(e.data.item);
      items.set(e.data.item, {
        feed: e.feed ?? old?.feed,
        item: e.data.item,
        added_at: e.ts,
        removed_at: old?.removed_at,
        position: e.data.position ?? old?.position,
      });
      w(d, "playlists").set(id, { ...prev, items });
      return;
    }
    case "playlist_item_removed": {
      const old = prev?.items.get(e.data.item);
      if (!prev || !old) return;
      const items = new Map(prev.items);
      items.set(e.data.item, { ...old, removed_at: e.ts });
      w(d, "playlists").set(id, { ...prev, items });
      return;
    }
    case "playlist_reordered": {
      if (!prev) return;
      const items = new Map(prev.items);
      const offset = e.data.offset ?? 0;
      e.data.order.forEach((item, index) => {
        const old = items.get(item);
        if (old) items.set(item, { ...old, position: offset + index });
      });
      w(d, "playlists").set(id, { ...prev, items });
      return;
    }
  }
}

/** Forgets the listening history in scope: plays, saves, shares, old subscriptions. */
function applyRemoval(d: Draft, scope: HistoryScope): void {
  for (const name of ["plays", "saved", "shared"] as const) {
    const map: ReadonlyMap<string, { feed: string }> = d[name];
    if (scope.scope === "item") {
      if (map.has(scope.item!)) wh(d, name).delete(scope.item!);
    } else if (scope.scope === "user") {
      if (map.size === 0) continue;
      d.copied.add(name);
      (d as Record<HistoryMapName, unknown>)[name] = emptyHistoryMap(name).edit();
    } else {
      const gone: string[] = [];
      for (const [item, v] of map) if (v.feed === scope.feed) gone.push(item);
      if (gone.length > 0) {
        const edited = wh(d, name);
        for (const item of gone) edited.delete(item);
      }
    }
  }
  if (scope.scope === "item") return;
  const subs = [...d.subscriptions.values()]
    .filter((s) => !isActive(s) && (scope.scope === "user" || s.feed === scope.feed));
  for (const s of subs) w(d, "subscriptions").delete(s.feed);
}

function apply(d: Draft, e: StoredEvent): void {
  d.seq = e.seq;
  switch (e.type) {
    case "subscribed": {
      const prev = d.subscriptions.get(e.feed!);
      w(d, "subscriptions").set(e.feed!, {
        feed: e.feed!,
        rss_source_id: e.data.rss_source_id ?? prev?.rss_source_id,
        subscribed_at: e.data.subscribed_at,
        unsubscribed_at: prev?.unsubscribed_at,
        device: e.device ?? prev?.device,
        changed_at: recordedMsOf(e),
      });
      return;
    }
    case "unsubscribed": {
      const prev = d.subscriptions.get(e.feed!);
      w(d, "subscriptions").set(e.feed!, {
        feed: e.feed!,
        rss_source_id: prev?.rss_source_id,
        subscribed_at: e.data.subscribed_at ?? prev?.subscribed_at ?? e.data.unsubscribed_at,
        unsubscribed_at: e.data.unsubscribed_at,
        device: e.device ?? prev?.device,
        changed_at: recordedMsOf(e),
      });
      return;
    }
    case "played": {
      const prev = d.plays.get(e.item!);
      wh(d, "plays").set(e.item!, {
        feed: e.feed!,
        item: e.item!,
        position: e.data.position,
        played: e.data.played,
        duration: e.data.duration ?? prev?.duration,
        updated_at: e.ts,
        started: e.data.started,
        device: e.device,
      });
      return;
    }
    case "position_updated": {
      const prev = d.plays.get(e.item!);
      if (prev) {
        wh(d, "plays").set(e.item!, {
          ...prev,
          position: e.data.position,
          updated_at: e.ts,
          started: undefined,
          device: e.device,
        });
      }
      return;
    }
    case "saved":
      wh(d, "saved").set(e.item!, { feed: e.feed!, item: e.item!, at: e.ts });
      return;
    case "unsaved":
      wh(d, "saved").delete(e.item!);
      return;
    case "shared":
      wh(d, "shared").set(e.item!, { feed: e.feed!, item: e.item!, at: e.ts });
      return;
    case "privacy_changed": {
      const p = e.data.privacy;
      const priv = wPrivacy(d);
      if (e.data.scope === "user") priv.user = p ?? undefined;
      else if (e.data.scope === "feed") {
        if (p) priv.feeds.set(e.feed!, p);
        else priv.feeds.delete(e.feed!);
      } else if (p) priv.items.set(e.item!, { feed: e.feed, privacy: p });
      else priv.items.delete(e.item!);
      return;
    }
    case "playlist_created":
    case "playlist_updated":
    case "playlist_deleted":
    case "playlist_item_added":
    case "playlist_item_removed":
    case "playlist_reordered":
      applyPlaylist(d, e);
      return;
    case "events_removed":
      applyRemoval(d, scopeOfRemoval(e));
      return;
    case "episode_action": {
      const prev = d.marks.get(e.item!);
      wh(d, "marks").set(e.item!, {
        ...(prev ?? { feed: e.feed!, item: e.item! }),
        [e.data.action]: e.ts,
      });
      // "New" resets the played flag of a listen older than it.
      const play = d.plays.get(e.item!);
      if (e.data.action === "new" && play && ms(e.ts) > ms(play.updated_at) && play.played) {
        wh(d, "plays").set(e.item!, { ...play, played: false, updated_at: e.ts, device: e.device });
      }
      return;
    }
    case "device_removed":
      w(d, "devices").delete(e.data.device_id);
      return;
    case "device_updated": {
      const prev = d.devices.get(e.data.device_id);
      w(d, "devices").set(e.data.device_id, {
        id: e.data.device_id,
        caption: e.data.caption ?? prev?.caption ?? e.data.device_id,
        type: e.data.type ?? prev?.type ?? "other",
      });
      return;
    }
    default: {
      const never: never = e;
      throw new Error(`unknown event ${(never as { type: string }).type}`);
    }
  }
}

/**
 * Applies events one by one without copying the whole state each time (a large sync folds
 * thousands of events). `view` is the state so far; `build()` ends the builder.
 */
export class StateBuilder {
  #draft: Draft;
  constructor(state: UserState) {
    this.#draft = draftOf(state);
  }
  /** Applies one event. */
  apply(event: StoredEvent): void {
    apply(this.#draft, event);
  }
  /** The state so far; valid until the next apply. */
  get view(): UserState {
    return this.#draft;
  }
  /** The final state. */
  build(): UserState {
    const { copied, ...next } = this.#draft;
    for (const name of copied) {
      const m = next[name as keyof typeof next];
      if (m instanceof PersistentMap) m.freeze();
    }
    return next;
  }
}

/** Applies events in order and returns the new state; the input state is not changed. */
export function evolveAll(state: UserState, events: readonly StoredEvent[]): UserState {
  if (events.length === 0) return state;
  const b = new StateBuilder(state);
  for (const e of events) b.apply(e);
  return b.build();
}

/** Applies one event (see evolveAll). */
export function evolve(state: UserState, event: StoredEvent): UserState {
  return evolveAll(state, [event]);
}

/**
 * A rough size in bytes of a state held in memory, so a process can bound the memory its
 * cached states take. Measured (`deno task bench --only big`): about 210 bytes per play
 * status, three quarters of it the item id itself; counted as 250.
 */
export function estimateStateBytes(s: UserState): number {
  let playlistItems = 0;
  for (const p of s.playlists.values()) playlistItems += p.items.size;
  return 4_096 + s.plays.size * 250 + s.subscriptions.size * 700 +
    (s.saved.size + s.shared.size + s.marks.size) * 600 + playlistItems * 500 +
    s.playlists.size * 400 + (s.privacy.feeds.size + s.privacy.items.size) * 400 +
    s.devices.size * 300;
}
