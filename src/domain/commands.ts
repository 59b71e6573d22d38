/** Commands a user's actor decides on. Ids are canonical; times are RFC 3339 UTC. */
import type { Device, PrivacyLevel, PrivacyScope } from "./events.ts";
import type { SyncInput } from "./sync.ts";

/** What the caller supplies besides the command itself: time, ids and the device. */
export type CommandMeta = Readonly<{
  /** The server time of the decision (RFC 3339 UTC). */
  now: string;
  /** A unique prefix; event ids are this prefix plus an index. */
  idPrefix: string;
  device?: Device;
}>;

type CommandOf<T extends string, D> = Readonly<{ type: T; data: Readonly<D>; meta: CommandMeta }>;

export type Subscribe = CommandOf<
  "Subscribe",
  { feed: string; rss_source_id?: string; subscribed_at?: string }
>;
export type Unsubscribe = CommandOf<"Unsubscribe", { feed: string; unsubscribed_at?: string }>;
export type RecordPlay = CommandOf<"RecordPlay", {
  feed: string;
  item: string;
  position: number;
  played?: boolean;
  duration?: number;
  /** When the client made the change; a change older than the stored one is ignored. */
  updated_at?: string;
}>;
/**
 * A listen started elsewhere (the play gateway): always a `played` event, keeping the
 * known position and played flag, unless a change at `at` or later is already recorded
 * (so handling the same listen twice records it once).
 */
export type RecordListen = CommandOf<"RecordListen", { feed: string; item: string; at: string }>;
export type UpdatePosition = CommandOf<
  "UpdatePosition",
  { item: string; position: number; updated_at?: string }
>;
export type SaveEpisode = CommandOf<"SaveEpisode", { feed: string; item: string }>;
export type UnsaveEpisode = CommandOf<"UnsaveEpisode", { feed: string; item: string }>;
export type ShareEpisode = CommandOf<"ShareEpisode", { feed: string; item: string }>;
export type ChangePrivacy = CommandOf<"ChangePrivacy", {
  scope: PrivacyScope;
  /** null removes the override at that scope. */
  privacy: PrivacyLevel | null;
  feed?: string;
  item?: string;
}>;

/** A client's whole state, merged by the sync rules (SPEC §4.1). */
export type SyncState = CommandOf<"SyncState", SyncInput>;
/** Subscribes to several feeds at once (OPML import, gpodder uploads); known ones are skipped. */
export type SubscribeMany = CommandOf<"SubscribeMany", { feeds: readonly string[] }>;

/** Erases the listening history of everything, a feed, or an episode (SPEC §7.3). */
export type RemoveHistory = CommandOf<"RemoveHistory", { feed?: string; item?: string }>;

export type Command =
  | Subscribe
  | Unsubscribe
  | RecordPlay
  | RecordListen
  | UpdatePosition
  | SaveEpisode
  | UnsaveEpisode
  | ShareEpisode
  | ChangePrivacy
  | RemoveHistory
  | SyncState
  | SubscribeMany
  | PlaylistCommand;

export type CreatePlaylist = CommandOf<
  "CreatePlaylist",
  { id: string; name: string; description?: string; is_public?: boolean }
>;
export type UpdatePlaylist = CommandOf<
  "UpdatePlaylist",
  { id: string; name?: string; description?: string; is_public?: boolean }
>;
export type DeletePlaylist = CommandOf<"DeletePlaylist", { id: string }>;
export type AddPlaylistItem = CommandOf<
  "AddPlaylistItem",
  { id: string; feed: string; item: string; position?: number }
>;
export type RemovePlaylistItem = CommandOf<"RemovePlaylistItem", { id: string; item: string }>;
export type ReorderPlaylist = CommandOf<
  "ReorderPlaylist",
  { id: string; order: readonly string[] }
>;

export type PlaylistCommand =
  | CreatePlaylist
  | UpdatePlaylist
  | DeletePlaylist
  | AddPlaylistItem
  | RemovePlaylistItem
  | ReorderPlaylist;
