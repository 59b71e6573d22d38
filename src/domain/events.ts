/** The user event types of SPEC §3, as a discriminated union. */

export type PrivacyLevel = "public" | "anonymous" | "private";
export type PrivacyScope = "user" | "feed" | "item";

/** The device a change came from. */
export type Device = Readonly<{ id: string; name?: string }>;

type EventOf<T extends string, D> = Readonly<{
  type: T;
  /** Globally unique event id. */
  id: string;
  /** When the change happened (RFC 3339 UTC). */
  ts: string;
  device?: Device;
  /** Canonical feed id. */
  feed?: string;
  /** Canonical item id. */
  item?: string;
  data: Readonly<D>;
}>;

export type Subscribed = EventOf<"subscribed", { rss_source_id?: string; subscribed_at: string }>;
/** `subscribed_at` is carried when a sync also brings a newer subscription date. */
export type Unsubscribed = EventOf<
  "unsubscribed",
  { unsubscribed_at: string; subscribed_at?: string }
>;
/** `started`: where the listen began (gpodder play actions carry it). */
export type Played = EventOf<
  "played",
  { position: number; played: boolean; duration?: number; started?: number }
>;
export type PositionUpdated = EventOf<"position_updated", { position: number }>;
export type Saved = EventOf<"saved", Record<string, never>>;
export type Unsaved = EventOf<"unsaved", Record<string, never>>;
export type Shared = EventOf<"shared", Record<string, never>>;
/** `privacy: null` removes a feed/item override (or the user's own default). */
export type PrivacyChanged = EventOf<
  "privacy_changed",
  { scope: PrivacyScope; privacy: PrivacyLevel | null }
>;
export type PlaylistCreated = EventOf<
  "playlist_created",
  { playlist_id: string; name: string; description: string; is_public: boolean }
>;
export type PlaylistUpdated = EventOf<
  "playlist_updated",
  { playlist_id: string; name: string; description: string; is_public: boolean }
>;
export type PlaylistDeleted = EventOf<"playlist_deleted", { playlist_id: string }>;
export type PlaylistItemAdded = EventOf<
  "playlist_item_added",
  { playlist_id: string; item: string; position?: number }
>;
export type PlaylistItemRemoved = EventOf<
  "playlist_item_removed",
  { playlist_id: string; item: string }
>;
/**
 * Episodes get positions `offset`, `offset + 1`, … in `order`'s order. A long order is split
 * over several events (each within KV's 64 KiB value limit), the later ones with an offset.
 */
export type PlaylistReordered = EventOf<
  "playlist_reordered",
  { playlist_id: string; order: string[]; offset?: number }
>;

/**
 * The user erased their listening history (SPEC §7.3) for everything (`user`), a feed or an
 * episode: the erased events are deleted for real; this event is what remains of them.
 */
export type EventsRemoved = EventOf<"events_removed", { scope: PrivacyScope }>;

/** A gpodder episode action without a play position: a download, a deletion, "mark as new". */
export type EpisodeActionKind = "download" | "delete" | "new";
export type EpisodeActed = EventOf<"episode_action", { action: EpisodeActionKind }>;

/** The kinds of device the gpodder API knows. */
export type DeviceType = "desktop" | "laptop" | "mobile" | "server" | "other";
export const DEVICE_TYPES: readonly DeviceType[] = [
  "desktop",
  "laptop",
  "mobile",
  "server",
  "other",
];
/** A gpodder device was created or changed (only the given fields change). */
export type DeviceUpdated = EventOf<
  "device_updated",
  { device_id: string; caption?: string; type?: DeviceType }
>;

/** A gpodder device was forgotten (it comes back if it syncs again). */
export type DeviceRemoved = EventOf<"device_removed", { device_id: string }>;

/** Any event a user's stream may hold. */
export type UserEvent =
  | Subscribed
  | Unsubscribed
  | Played
  | PositionUpdated
  | Saved
  | Unsaved
  | Shared
  | PrivacyChanged
  | PlaylistCreated
  | PlaylistUpdated
  | PlaylistDeleted
  | PlaylistItemAdded
  | PlaylistItemRemoved
  | PlaylistReordered
  | EventsRemoved
  | EpisodeActed
  | DeviceUpdated
  | DeviceRemoved;

export type EventType = UserEvent["type"];

/**
 * An event as stored: numbered in the user's stream, with the server's clock at append
 * (`recorded_at`, RFC 3339 UTC). Server-side windows and orders (timeline, popularity
 * periods, the 45-day window, gpodder `since`) use `recorded_at`, never the client's `ts`.
 */
export type StoredEvent =
  & UserEvent
  & Readonly<{ seq: number; user_id: string; recorded_at: string }>;

/** Every event type, for counters and validation. */
export const EVENT_TYPES: readonly EventType[] = [
  "subscribed",
  "unsubscribed",
  "played",
  "position_updated",
  "saved",
  "unsaved",
  "shared",
  "privacy_changed",
  "playlist_created",
  "playlist_updated",
  "playlist_deleted",
  "playlist_item_added",
  "playlist_item_removed",
  "playlist_reordered",
  "events_removed",
  "episode_action",
  "device_updated",
  "device_removed",
];
