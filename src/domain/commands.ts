/** Commands a user's actor decides on. Ids are canonical; times are RFC 3339 UTC. */
import type {
  Device,
  DeviceType,
  EpisodeActionKind,
  PrivacyLevel,
  PrivacyScope,
} from "./events.ts";
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
  /** Where the listen began (gpodder play actions). */
  started?: number;
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

/** Subscribes and unsubscribes in one go (a gpodder upload); unknown removals are ignored. */
export type ChangeSubscriptions = CommandOf<
  "ChangeSubscriptions",
  { add: readonly string[]; remove: readonly string[] }
>;
/** Makes the active subscriptions exactly these feeds (gpodder's simple API PUT). */
export type ReplaceSubscriptions = CommandOf<"ReplaceSubscriptions", { feeds: readonly string[] }>;

/** One gpodder episode action, in domain terms (the episode not yet resolved to an item). */
export interface EpisodeActionInput {
  readonly feed: string;
  readonly enclosureUrl: string;
  /** The client's guid, when it sent one. */
  readonly guid?: string;
  readonly action: "play" | EpisodeActionKind;
  /** When it happened, as the client says (RFC 3339 UTC); absent: now. */
  readonly at?: string;
  readonly started?: number;
  readonly position?: number;
  readonly total?: number;
  readonly device?: Device;
}
/** Records a gpodder download, deletion or "mark as new" of an episode, unless an equal or
 * newer one of the same kind is recorded. */
export type MarkEpisode = CommandOf<
  "MarkEpisode",
  { feed: string; item: string; action: EpisodeActionKind; at: string }
>;
/** A batch of gpodder episode actions (SPEC §9), in order. */
export type RecordEpisodeActions = CommandOf<
  "RecordEpisodeActions",
  { actions: readonly EpisodeActionInput[] }
>;
/** Creates or changes a gpodder device; absent fields stay as they are. */
export type UpdateDevice = CommandOf<
  "UpdateDevice",
  { id: string; caption?: string; type?: DeviceType }
>;

/** Forgets a gpodder device. */
export type RemoveDevice = CommandOf<"RemoveDevice", { id: string }>;

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
  | ChangeSubscriptions
  | ReplaceSubscriptions
  | RecordEpisodeActions
  | MarkEpisode
  | UpdateDevice
  | RemoveDevice
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
