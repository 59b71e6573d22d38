/**
 * The sync rules of SPEC §4.1: a client's whole state in, the events that bring the server
 * up to date out. Re-sending the same body gives no event. Pure.
 */
import type { CommandMeta } from "./commands.ts";
import { eventId } from "./decide.ts";
import type { StoredEvent, UserEvent } from "./events.ts";
import { RuleViolation } from "./errors.ts";
import { MAX_PLAYLIST_ITEMS, reorderData } from "./playlists.ts";
import {
  isActive,
  isInPlaylist,
  ms,
  type PlayState,
  StateBuilder,
  type SubscriptionState,
  type UserState,
} from "./state.ts";

export interface SyncSubscription {
  readonly feed: string;
  readonly rss_source_id?: string;
  readonly subscribed_at: string;
  readonly unsubscribed_at?: string;
}

export interface SyncPlayStatus {
  readonly feed: string;
  readonly item: string;
  readonly position: number;
  /** Absent: the server keeps the played flag it has (false for a new episode). */
  readonly played?: boolean;
  readonly duration?: number;
  readonly updated_at: string;
}

export interface SyncPlaylistItem {
  readonly feed: string;
  readonly item: string;
  readonly added_at: string;
  readonly removed_at?: string;
  readonly position?: number;
}

export interface SyncPlaylist {
  /** Absent for a playlist the client created and never synced. */
  readonly id?: string;
  readonly name: string;
  readonly description?: string;
  readonly is_public?: boolean;
  readonly updated_at: string;
  readonly deleted_at?: string;
  readonly items: readonly SyncPlaylistItem[];
}

export interface SyncInput {
  readonly subscriptions: readonly SyncSubscription[];
  readonly play_statuses: readonly SyncPlayStatus[];
  readonly playlists: readonly SyncPlaylist[];
}

/** Collects events while folding them into a working state, so duplicates see each other. */
class Emitter {
  readonly events: UserEvent[] = [];
  #builder: StateBuilder;
  #seq: number;
  #meta: CommandMeta;
  constructor(state: UserState, meta: CommandMeta) {
    this.#builder = new StateBuilder(state);
    this.#seq = state.seq;
    this.#meta = meta;
  }
  get state(): UserState {
    return this.#builder.view;
  }
  get meta(): CommandMeta {
    return this.#meta;
  }
  emit(event: Omit<UserEvent, "id" | "device">): void {
    const base = { id: eventId(this.#meta, this.events.length) };
    const e = this.#meta.device ? { ...base, device: this.#meta.device } : base;
    const full = { ...e, ...event } as UserEvent;
    this.events.push(full);
    this.#builder.apply({ ...full, seq: ++this.#seq, user_id: "" } as StoredEvent);
  }
}

function clientSubscribed(s: SyncSubscription): boolean {
  return s.unsubscribed_at === undefined || ms(s.subscribed_at) > ms(s.unsubscribed_at);
}

function syncSubscription(out: Emitter, c: SyncSubscription): void {
  const server = out.state.subscriptions.get(c.feed);
  const subscribe = () =>
    out.emit({
      type: "subscribed",
      ts: c.subscribed_at,
      feed: c.feed,
      data: c.rss_source_id === undefined
        ? { subscribed_at: c.subscribed_at }
        : { rss_source_id: c.rss_source_id, subscribed_at: c.subscribed_at },
    });
  // The client's subscription date travels along when it is newer than the server's, so
  // both dates end up as the client last saw them.
  const unsubscribe = () => {
    const known = out.state.subscriptions.get(c.feed)?.subscribed_at;
    const newerSub = known !== undefined && ms(c.subscribed_at) > ms(known);
    out.emit({
      type: "unsubscribed",
      ts: c.unsubscribed_at!,
      feed: c.feed,
      data: newerSub
        ? { unsubscribed_at: c.unsubscribed_at!, subscribed_at: c.subscribed_at }
        : { unsubscribed_at: c.unsubscribed_at! },
    });
  };
  if (!server) {
    subscribe();
    if (!clientSubscribed(c)) unsubscribe();
    return;
  }
  const serverActive = isActive(server);
  if (clientSubscribed(c)) {
    const after = serverActive ? server.subscribed_at : server.unsubscribed_at!;
    if (ms(c.subscribed_at) > ms(after)) subscribe();
  } else {
    const after = serverActive ? server.subscribed_at : server.unsubscribed_at!;
    if (ms(c.unsubscribed_at!) > ms(after)) unsubscribe();
  }
}

function syncPlay(out: Emitter, c: SyncPlayStatus): void {
  const server = out.state.plays.get(c.item);
  if (server && ms(c.updated_at) <= ms(server.updated_at)) return; // equal: the server keeps its own
  const played = c.played ?? server?.played ?? false;
  const data = c.duration === undefined
    ? { position: c.position, played }
    : { position: c.position, played, duration: c.duration };
  out.emit({ type: "played", ts: c.updated_at, feed: c.feed, item: c.item, data });
}

/** Finds the server playlist a client playlist stands for (by id, else a live one by name). */
function resolvePlaylistId(out: Emitter, c: SyncPlaylist, index: number): string {
  if (c.id !== undefined) return c.id;
  for (const p of out.state.playlists.values()) {
    if (p.deleted_at === undefined && p.name === c.name) return p.id;
  }
  return `pl-${out.meta.idPrefix}-${index}`;
}

function syncPlaylist(out: Emitter, c: SyncPlaylist, index: number): void {
  const id = resolvePlaylistId(out, c, index);
  const server = out.state.playlists.get(id);
  const data = {
    playlist_id: id,
    name: c.name,
    description: c.description ?? server?.description ?? "",
    is_public: c.is_public ?? server?.is_public ?? false,
  };
  const clientNewer = !server || ms(c.updated_at) > ms(server.updated_at);
  if (!server) {
    if (c.deleted_at !== undefined && ms(c.deleted_at) >= ms(c.updated_at)) return; // born dead
    out.emit({ type: "playlist_created", ts: c.updated_at, data });
  } else if (clientNewer) {
    const revived = server.deleted_at !== undefined && c.deleted_at === undefined;
    const changed = revived || server.name !== data.name ||
      server.description !== data.description || server.is_public !== data.is_public;
    if (changed) {
      out.emit({ type: revived ? "playlist_created" : "playlist_updated", ts: c.updated_at, data });
    }
  }
  if (!out.state.playlists.has(id)) return;
  for (const item of c.items) syncPlaylistItem(out, id, item);
  const live = [...out.state.playlists.get(id)!.items.values()].filter(isInPlaylist).length;
  if (live > MAX_PLAYLIST_ITEMS) {
    throw new RuleViolation(
      "conflict",
      `A playlist holds at most ${MAX_PLAYLIST_ITEMS} episodes; "${c.name}" would hold ${live}.`,
      { playlist_id: id, items: live },
    );
  }
  const now = out.state.playlists.get(id);
  if (now && clientNewer) syncOrder(out, id, c);
  // Compare with the server's date before this sync: the client's own rename above must not
  // hide a deletion made at the same time.
  const serverUpdatedAt = server?.updated_at ?? c.updated_at;
  if (
    now && c.deleted_at !== undefined && now.deleted_at === undefined &&
    ms(c.deleted_at) > ms(serverUpdatedAt)
  ) {
    out.emit({ type: "playlist_deleted", ts: c.deleted_at, data: { playlist_id: id } });
  }
}

function syncPlaylistItem(out: Emitter, id: string, c: SyncPlaylistItem): void {
  const server = out.state.playlists.get(id)?.items.get(c.item);
  if (!server || ms(c.added_at) > ms(server.added_at)) {
    const data = c.position === undefined
      ? { playlist_id: id, item: c.item }
      : { playlist_id: id, item: c.item, position: c.position };
    out.emit({ type: "playlist_item_added", ts: c.added_at, feed: c.feed, data });
  }
  const removedAt = out.state.playlists.get(id)?.items.get(c.item)?.removed_at;
  if (c.removed_at !== undefined && (removedAt === undefined || ms(c.removed_at) > ms(removedAt))) {
    out.emit({
      type: "playlist_item_removed",
      ts: c.removed_at,
      feed: c.feed,
      data: { playlist_id: id, item: c.item },
    });
  }
}

/** Adopts the client's order when it is newer and differs from the server's. */
function syncOrder(out: Emitter, id: string, c: SyncPlaylist): void {
  const withPos = c.items.filter((i) => i.position !== undefined);
  if (withPos.length === 0) return;
  const pl = out.state.playlists.get(id)!;
  const wanted = [...withPos].sort((a, b) =>
    a.position! - b.position! || ms(a.added_at) - ms(b.added_at)
  ).map((i) => i.item).filter((item) => {
    const it = pl.items.get(item);
    return it !== undefined && isInPlaylist(it);
  });
  const same = wanted.every((item, position) => pl.items.get(item)!.position === position);
  if (same) return;
  for (const data of reorderData(id, wanted)) {
    out.emit({ type: "playlist_reordered", ts: c.updated_at, data });
  }
}

/**
 * The part of a state a sync body reads and changes: the subscriptions and play statuses
 * it names, and every playlist (a client's playlist may be found by name). Deciding on it
 * keeps a sync's work linear in its body: ten play statuses on a listener with 200,000 never
 * copy the 200,000 (the working state copies a map on its first change).
 */
function scopeOf(state: UserState, input: SyncInput): UserState {
  const subscriptions = new Map<string, SubscriptionState>();
  for (const { feed } of input.subscriptions) {
    const s = state.subscriptions.get(feed);
    if (s !== undefined) subscriptions.set(feed, s);
  }
  const plays = new Map<string, PlayState>();
  for (const { item } of input.play_statuses) {
    const p = state.plays.get(item);
    if (p !== undefined) plays.set(item, p);
  }
  return { ...state, subscriptions, plays };
}

/**
 * The events a sync body produces, in order: subscriptions, play statuses, playlists.
 * `[]` when the server already knows everything the client says.
 */
export function decideSync(state: UserState, input: SyncInput, meta: CommandMeta): UserEvent[] {
  const out = new Emitter(scopeOf(state, input), meta);
  for (const s of input.subscriptions) syncSubscription(out, s);
  for (const p of input.play_statuses) syncPlay(out, p);
  input.playlists.forEach((p, i) => syncPlaylist(out, p, i));
  return out.events;
}

/**
 * What a run of stored events changed, for a delta answer (SPEC §4.1, "delta sync"): the
 * subscriptions, play statuses and playlists they touched. Events go in in seq order from
 * the seq after a client's token; a gap (events deleted by the 45-day cleanup or by an
 * erasure) or an `events_removed` makes the run unanswerable: the client needs the whole
 * state again.
 */
export class ChangeCollector {
  readonly feeds = new Set<string>();
  readonly items = new Set<string>();
  readonly playlists = new Set<string>();
  #next: number;
  #answerable = true;

  /** `afterSeq`: the seq the client's token stands at. */
  constructor(afterSeq: number) {
    this.#next = afterSeq + 1;
  }

  /** False once the events cannot say everything that changed. */
  get answerable(): boolean {
    return this.#answerable;
  }

  /** The seq of the last event taken (the token's own when none was). */
  get upTo(): number {
    return this.#next - 1;
  }

  /** Takes the next event; false when the run is unanswerable (stop reading). */
  add(e: StoredEvent): boolean {
    if (!this.#answerable) return false;
    if (e.seq !== this.#next || e.type === "events_removed") {
      this.#answerable = false;
      return false;
    }
    this.#next = e.seq + 1;
    switch (e.type) {
      case "subscribed":
      case "unsubscribed":
        this.feeds.add(e.feed!);
        break;
      case "played":
      case "position_updated":
        this.items.add(e.item!);
        break;
      case "episode_action": // "new" may reset the played flag
        if (e.data.action === "new") this.items.add(e.item!);
        break;
      case "playlist_created":
      case "playlist_updated":
      case "playlist_deleted":
      case "playlist_item_added":
      case "playlist_item_removed":
      case "playlist_reordered":
        this.playlists.add(e.data.playlist_id);
        break;
      case "saved":
      case "unsaved":
      case "shared":
      case "privacy_changed":
      case "device_updated":
      case "device_removed":
        break; // not part of a sync answer
      default: {
        const never: never = e;
        throw new Error(`unknown event ${(never as { type: string }).type}`);
      }
    }
    return true;
  }
}
