/**
 * Every Deno KV key of the application. Keys are tuples; URLs and secrets only ever appear
 * here as short hashes (see hash.ts), their full text lives in the values.
 */

type Key = Deno.KvKey;

/** Inverts a millisecond timestamp so that KV's ascending order lists newest first. */
export function invertTime(ms: number): number {
  return Number.MAX_SAFE_INTEGER - ms;
}

// Event stream.
/** One event: `["ev", userId, seq]`. */
export const eventKey = (userId: string, seq: number): Key => ["ev", userId, seq];
/** All events of one user (list prefix). */
export const eventPrefix = (userId: string): Key => ["ev", userId];
/** A user's events with seq > `afterSeq` (list selector). */
export const eventsAfter = (userId: string, afterSeq: number): Deno.KvListSelector => ({
  start: eventKey(userId, afterSeq + 1),
  end: [...eventPrefix(userId), Infinity],
});
/** The head of a user's stream: `{ seq, checkpointSeq }`. */
export const headKey = (userId: string): Key => ["head", userId];
/** All stream heads (one per user that ever wrote). */
export const headPrefix = (): Key => ["head"];

// Per-user read models, written in the append commit.
export const subKey = (userId: string, feedHash: string): Key => ["sub", userId, feedHash];
export const subPrefix = (userId: string): Key => ["sub", userId];
export const playKey = (userId: string, itemHash: string): Key => ["play", userId, itemHash];
export const playPrefix = (userId: string): Key => ["play", userId];
export const playByTimeKey = (userId: string, updatedAtMs: number, itemHash: string): Key => [
  "play_by_time",
  userId,
  invertTime(updatedAtMs),
  itemHash,
];
export const playByTimePrefix = (userId: string): Key => ["play_by_time", userId];
/** A user's play-time index after the entry `(invertedTime, itemHash)` (cursor pages). */
export const playByTimeAfter = (
  userId: string,
  invertedTime: number,
  itemHash: string,
): Deno.KvListSelector => ({
  start: ["play_by_time", userId, invertedTime, itemHash, ""],
  end: ["play_by_time", userId, Infinity],
});
/** Subscriptions by the server time of their last change (gpodder `since`, delta reads). */
export const subByTimeKey = (userId: string, changedMs: number, feedHash: string): Key => [
  "sub_by_time",
  userId,
  changedMs,
  feedHash,
];
export const subByTimePrefix = (userId: string): Key => ["sub_by_time", userId];
/** The episode-action log (gpodder `since`): one entry per play or episode action event. */
export const actionLogKey = (userId: string, recordedMs: number, seq: number): Key => [
  "gp_log",
  userId,
  recordedMs,
  seq,
];
export const actionLogPrefix = (userId: string): Key => ["gp_log", userId];
/** A gpodder device of a user (read model of `device_updated`). */
export const deviceKey = (userId: string, deviceId: string): Key => ["gp_dev", userId, deviceId];
export const devicePrefix = (userId: string): Key => ["gp_dev", userId];
/** When a device last talked to the server (system data, moved at most once a minute). */
export const deviceSeenKey = (userId: string, deviceId: string): Key => [
  "gp_seen",
  userId,
  deviceId,
];
export const deviceSeenPrefix = (userId: string): Key => ["gp_seen", userId];
export const savedKey = (userId: string, itemHash: string): Key => ["saved", userId, itemHash];
export const savedPrefix = (userId: string): Key => ["saved", userId];
export const playlistKey = (userId: string, playlistId: string): Key => ["pl", userId, playlistId];
export const playlistPrefix = (userId: string): Key => ["pl", userId];
export const playlistItemKey = (userId: string, playlistId: string, itemHash: string): Key => [
  "pl_item",
  userId,
  playlistId,
  itemHash,
];
export const playlistItemPrefix = (userId: string, playlistId: string): Key => [
  "pl_item",
  userId,
  playlistId,
];
/** Privacy settings: scope "user" (hash ""), "feed" or "item". */
export const privacyKey = (userId: string, scope: "user" | "feed" | "item", hash: string): Key => [
  "priv",
  userId,
  scope,
  hash,
];
export const privacyPrefix = (userId: string): Key => ["priv", userId];

// Outbox and projections.
/** Pending projection work for a user up to `seq` (one marker per append commit). */
export const outboxKey = (userId: string, seq: number): Key => ["outbox", userId, seq];
export const outboxPrefix = (): Key => ["outbox"];
/** A projector's per-user cursor: the last seq it has projected. */
export const cursorKey = (
  projection: string,
  userId: string,
): Key => ["cursor", projection, userId];
export const cursorPrefix = (projection: string): Key => ["cursor", projection];
/** A projection's version and readiness (the runner rebuilds it when its version moves). */
export const projectionMetaKey = (projection: string): Key => ["proj_meta", projection];
/** Events a projection's cursors have passed (KvU64), for its lag. */
export const projectionProgressKey = (projection: string): Key => ["proj_progress", projection];
/** Global counters (Deno.KvU64): `["stats", name, ...labels]`. */
export const statKey = (...parts: string[]): Key => ["stats", ...parts];
export const statPrefix = (name: string): Key => ["stats", name];

// System data (not event-sourced).
export const userKey = (userId: string): Key => ["user", userId];
export const userPrefix = (): Key => ["user"];
export const usernameKey = (lowerName: string): Key => ["username", lowerName];
export const sessionKey = (tokenHash: string): Key => ["session", tokenHash];
export const appTokenKey = (userId: string, appId: string): Key => ["app", userId, appId];
export const appTokenPrefix = (userId: string): Key => ["app", userId];
/** Written by every commit that changes what a request JWT may do (src/auth/auth_cache.ts). */
export const authEpochKey = (): Key => ["auth_epoch"];
export const userTokenKey = (tokenHash: string): Key => ["utoken", tokenHash];
/** A user's own list of user tokens, by id (value holds the hash and the prefix). */
export const userTokenByUserKey = (userId: string, tokenId: string): Key => [
  "utoken_by_user",
  userId,
  tokenId,
];
export const userTokenByUserPrefix = (userId: string): Key => ["utoken_by_user", userId];
export const appPasswordKey = (userId: string, id: string): Key => ["apppw", userId, id];
export const appPasswordPrefix = (userId: string): Key => ["apppw", userId];
/** Token buckets and failure counters: `["rl", bucket, subject]`. */
export const rateLimitKey = (bucket: string, subject: string): Key => ["rl", bucket, subject];

// Feed metadata cache.
export const feedMetaKey = (feedHash: string): Key => ["feedmeta", feedHash];

// Auth bookkeeping (appended by the auth work).
/** Set once, atomically, by the first user created: that user becomes admin. */
export const firstUserKey = (): Key => ["meta", "first_user"];
/** The shape version of the stored per-user read models. */
export const readModelVersionKey = (): Key => ["meta", "read_models"];

// Play gateway and feed metadata refresh (appended by the RSS work).
/** A gateway play waiting to be recorded: `["gw_play", id]` (id is time-sortable). */
export const gatewayPlayKey = (id: string): Key => ["gw_play", id];
export const gatewayPlayPrefix = (): Key => ["gw_play"];
/** Dedupe of gateway hits per user token and episode (expires after 10 minutes). */
export const gatewaySeenKey = (tokenHash: string, itemHash: string): Key => [
  "gw_seen",
  tokenHash,
  itemHash,
];
/** A user token's gateway dedupe entries. */
export const gatewaySeenPrefix = (tokenHash: string): Key => ["gw_seen", tokenHash];
/** Feed metadata due for a background refresh at `dueAtMs` (value: the feed id). */
export const feedMetaDueKey = (dueAtMs: number, feedHash: string): Key => [
  "feedmeta_due",
  dueAtMs,
  feedHash,
];
export const feedMetaDuePrefix = (): Key => ["feedmeta_due"];
/** One part of a subscriber feed's stored episode list. */
export const feedEpisodesKey = (feedHash: string, part: number): Key => [
  "feed_eps",
  feedHash,
  part,
];
export const feedEpisodesPrefix = (feedHash: string): Key => ["feed_eps", feedHash];

// Public activity (SPEC §5), written by the public projection and the popularity roll.
/** A user's own record of one public-activity trace (under the user's prefix). */
export const traceKey = (userId: string, feedHash: string, itemHash: string, id: string): Key => [
  "trace",
  userId,
  feedHash,
  itemHash,
  id,
];
/** A user's traces: all, of one feed, or of one episode (`itemHash` "" = the feed itself). */
export const tracePrefix = (userId: string, feedHash?: string, itemHash?: string): Key =>
  feedHash === undefined
    ? ["trace", userId]
    : itemHash === undefined
    ? ["trace", userId, feedHash]
    : ["trace", userId, feedHash, itemHash];
/** A user's newest public play of a feed or episode: `{ at }` (under the user's prefix). */
export const publicPersonKey = (userId: string, kind: "feed" | "item", hash: string): Key => [
  "pub_person",
  userId,
  kind,
  hash,
];
export const publicPersonPrefix = (userId: string): Key => ["pub_person", userId];
/** Timeline entries, newest first. */
export const timelineKey = (atMs: number, entryId: string): Key => [
  "pub",
  invertTime(atMs),
  entryId,
];
export const timelinePrefix = (): Key => ["pub"];
export const timelineByFeedKey = (feedHash: string, atMs: number, entryId: string): Key => [
  "pub_feed",
  feedHash,
  invertTime(atMs),
  entryId,
];
export const timelineByFeedPrefix = (feedHash?: string): Key =>
  feedHash === undefined ? ["pub_feed"] : ["pub_feed", feedHash];
export const timelineByKindKey = (kind: string, atMs: number, entryId: string): Key => [
  "pub_kind",
  kind,
  invertTime(atMs),
  entryId,
];
export const timelineByKindPrefix = (kind?: string): Key =>
  kind === undefined ? ["pub_kind"] : ["pub_kind", kind];
/** A public user's own timeline entries (their profile); anonymous ones never go here. */
export const timelineByUserKey = (userId: string, atMs: number, entryId: string): Key => [
  "pub_user",
  userId,
  invertTime(atMs),
  entryId,
];
export const timelineByUserPrefix = (userId?: string): Key =>
  userId === undefined ? ["pub_user"] : ["pub_user", userId];
/** Activity counts (KvU64, wrapping) of a feed or episode in one time bucket. */
export const popCountKey = (
  kind: "feed" | "item",
  hash: string,
  bucket: number,
  field: string,
): Key => ["pop_n", kind, hash, bucket, field];
export const popCountPrefix = (kind?: "feed" | "item", hash?: string): Key =>
  kind === undefined ? ["pop_n"] : hash === undefined ? ["pop_n", kind] : ["pop_n", kind, hash];
/** Which feeds and episodes had activity in a bucket (the roll's window moves list it). */
export const popBucketKey = (bucket: number, kind: "feed" | "item", hash: string): Key => [
  "pop_b",
  bucket,
  kind,
  hash,
];
export const popBucketPrefix = (): Key => ["pop_b"];
/** A feed or episode whose counts changed since the last roll. */
export const popDirtyKey = (kind: "feed" | "item", hash: string): Key => ["pop_dirty", kind, hash];
export const popDirtyPrefix = (): Key => ["pop_dirty"];
/** Public players of a feed or episode by their newest public play: `{ username }`. */
export const popPersonKey = (
  kind: "feed" | "item",
  hash: string,
  atMs: number,
  userId: string,
): Key => ["pop_p", kind, hash, invertTime(atMs), userId];
export const popPersonPrefix = (kind?: "feed" | "item", hash?: string): Key =>
  kind === undefined ? ["pop_p"] : hash === undefined ? ["pop_p", kind] : ["pop_p", kind, hash];
/** Rolled popularity of a feed or episode. */
export const popTotalKey = (kind: "feed" | "item", hash: string): Key => ["pop_t", kind, hash];
export const popTotalPrefix = (): Key => ["pop_t"];
/** Trending: feeds or episodes by current score, best first (value: the rolled record). */
export const trendingKey = (kind: "feed" | "item", score: number, hash: string): Key => [
  "trend",
  kind,
  Number.MAX_SAFE_INTEGER - score,
  hash,
];
export const trendingPrefix = (kind?: "feed" | "item"): Key =>
  kind === undefined ? ["trend"] : ["trend", kind];
/** Trending episodes of one feed. */
export const trendingByFeedKey = (feedHash: string, score: number, itemHash: string): Key => [
  "trend_feed",
  feedHash,
  Number.MAX_SAFE_INTEGER - score,
  itemHash,
];
export const trendingByFeedPrefix = (feedHash?: string): Key =>
  feedHash === undefined ? ["trend_feed"] : ["trend_feed", feedHash];
/** Where the popularity roll stands: `{ bucket, rolled_at }`. */
export const popRollKey = (): Key => ["pop_roll"];

// Data lifecycle (SPEC §7): checkpoints, the due index, erasure.
/**
 * One part of a checkpoint: `["ckpt", userId, seq, write, part]` (bytes of the state's text),
 * `write` naming the write that made it, so two writes at one seq never mix their parts;
 * `["ckpt", userId, seq, part]` for checkpoints written before (no `write`).
 */
export const checkpointPartKey = (
  userId: string,
  seq: number,
  part: number,
  write?: string,
): Key => write === undefined ? ["ckpt", userId, seq, part] : ["ckpt", userId, seq, write, part];
/** A user's checkpoint parts: all, those at a seq, or those of one write at a seq. */
export const checkpointPrefix = (userId: string, seq?: number, write?: string): Key =>
  seq === undefined
    ? ["ckpt", userId]
    : write === undefined
    ? ["ckpt", userId, seq]
    : ["ckpt", userId, seq, write];
/** The latest checkpoint of a user: `{ seq, parts, … }`; only checkpoints.ts writes it. */
export const checkpointHeadKey = (userId: string): Key => ["ckpt_head", userId];
/** Users with events turning 45 days old on `day` (days since the epoch). */
export const dueKey = (day: number, userId: string): Key => ["due", day, userId];
export const duePrefix = (): Key => ["due"];
/** The same entry by user (so erasure finds a user's due entries). */
export const dueByUserKey = (userId: string, day: number): Key => ["due_by_user", userId, day];
export const dueByUserPrefix = (userId: string): Key => ["due_by_user", userId];
/** A user checkpointed whose covered events older than 45 days wait for the cleanup. */
export const cleanupDueKey = (userId: string): Key => ["cleanup_due", userId];
export const cleanupDuePrefix = (): Key => ["cleanup_due"];
/** Pending erasure work: a history erasure at `seq`, or the whole account ("account"). */
export const eraseKey = (userId: string, what: number | "account"): Key => [
  "erase",
  userId,
  what,
];
export const erasePrefix = (userId?: string): Key =>
  userId === undefined ? ["erase"] : ["erase", userId];
/** A user's web sessions by token hash (so deleting the account finds them). */
export const sessionByUserKey = (userId: string, tokenHash: string): Key => [
  "session_by_user",
  userId,
  tokenHash,
];
export const sessionByUserPrefix = (userId: string): Key => ["session_by_user", userId];
/** A one-time message for one web session's next view of a page (`slot`), e.g. a new token. */
export const sessionFlashKey = (userId: string, tokenHash: string, slot: string): Key => [
  "session_flash",
  userId,
  tokenHash,
  slot,
];
export const sessionFlashPrefix = (userId: string): Key => ["session_flash", userId];

/**
 * Every key prefix that holds one user's data and starts with their id. Account erasure
 * deletes all of them, and its test checks that nothing else names the user. Data keyed
 * by a hash or an id (sessions, user tokens, gateway records, public traces' outputs) is
 * found through these: `sessionByUserPrefix`, `userTokenByUserPrefix`, the traces.
 */
export function userDataPrefixes(userId: string): Key[] {
  return [
    eventPrefix(userId),
    headKey(userId),
    checkpointPrefix(userId),
    checkpointHeadKey(userId),
    subPrefix(userId),
    playPrefix(userId),
    playByTimePrefix(userId),
    savedPrefix(userId),
    playlistPrefix(userId),
    ["pl_item", userId],
    privacyPrefix(userId),
    ["outbox", userId],
    dueByUserPrefix(userId),
    cleanupDueKey(userId),
    appTokenPrefix(userId),
    userTokenByUserPrefix(userId),
    appPasswordPrefix(userId),
    sessionByUserPrefix(userId),
    sessionFlashPrefix(userId),
    subByTimePrefix(userId),
    actionLogPrefix(userId),
    devicePrefix(userId),
    deviceSeenPrefix(userId),
    ["gp_session_by_user", userId],
    ["gp_settings", userId],
    ["gp_sync", userId],
    tracePrefix(userId),
    publicPersonPrefix(userId),
    timelineByUserPrefix(userId),
    userKey(userId),
  ];
}

// gpodder API (SPEC §9): sessions, settings, sync groups (system data of the user).
/** A gpodder `sessionid` cookie's session, by the token's hash. */
export const gpSessionKey = (tokenHash: string): Key => ["gp_session", tokenHash];
export const gpSessionByUserKey = (userId: string, tokenHash: string): Key => [
  "gp_session_by_user",
  userId,
  tokenHash,
];
export const gpSessionByUserPrefix = (userId: string): Key => ["gp_session_by_user", userId];
/** gpodder settings of one scope (`account`, a device, a podcast, an episode). */
export const gpSettingsKey = (userId: string, scope: string, target: string): Key => [
  "gp_settings",
  userId,
  scope,
  target,
];
/** gpodder sync groups of a user. */
export const gpSyncKey = (userId: string): Key => ["gp_sync", userId];
/** Login Flow v2 (Nextcloud mode): a pending log-in by its poll token's hash. */
export const loginFlowKey = (tokenHash: string): Key => ["login_flow", tokenHash];
export const loginFlowPrefix = (): Key => ["login_flow"];
