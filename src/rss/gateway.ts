/**
 * The play gateway's request side (SPEC §6.3): may this user be sent to this episode, and
 * the one small commit that makes the play durable before the redirect. The play itself
 * becomes a `played` event later, through the user's actor (gateway_processor.ts), so the
 * redirect never waits on the event log.
 */
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type {
  PlaylistItemRecord,
  PlaylistRecord,
  SubscriptionRecord,
} from "../store/read_models.ts";
import { feedHash, itemHash, secretHash } from "../store/hash.ts";
import * as keys from "../store/keys.ts";
import { isActiveView } from "../store/queries.ts";
import { decodeFeedId } from "../domain/ids.ts";
import { storedFeeds } from "../store/feed_episodes.ts";
import { feedMetas } from "../store/feed_meta.ts";
import { itemIdOf } from "./aggregate.ts";
import type { FeedService } from "./feed_service.ts";
import type { Feed } from "./parse.ts";

/** Repeated hits of one token on one episode within this window record one play. */
export const GATEWAY_DEDUPE_MS = 10 * 60_000;
/** Playlists looked at, at most, when the feed is not subscribed. */
const PLAYLISTS_MAX = 1_000;

/** A play waiting in `["gw_play", id]` to become a `played` event. */
export interface GatewayPlay {
  readonly id: string;
  readonly user_id: string;
  readonly feed: string;
  readonly item: string;
  /** When the hit happened (clock ms); the event's time. */
  readonly at: number;
  /** Failed attempts so far. */
  readonly attempts?: number;
}

/** The KV queue pointer to a pending play (never the play itself). */
export interface GatewayMessage {
  readonly kind: "gateway";
  readonly id: string;
}

/** What recording a hit needs. */
export interface GatewayDeps {
  readonly kv: Deno.Kv;
  readonly clock: Clock;
  readonly config: Config;
  readonly newId: () => string;
}

/**
 * True when the user may be redirected to this episode: the feed is an active
 * subscription, or the episode is in one of the user's live playlists (under this feed).
 */
export async function mayPlay(
  kv: Deno.Kv,
  userId: string,
  feed: string,
  item: string,
): Promise<boolean> {
  const sub = await kv.get<SubscriptionRecord>(keys.subKey(userId, await feedHash(feed)));
  if (sub.value && isActiveView(sub.value)) return true;
  const lists: string[] = [];
  const prefix = keys.playlistPrefix(userId);
  for await (const e of kv.list<PlaylistRecord>({ prefix }, { limit: PLAYLISTS_MAX })) {
    if (!e.value.deleted_at) lists.push(e.value.id);
  }
  const hash = await itemHash(item);
  for (let i = 0; i < lists.length; i += 10) {
    const chunk = lists.slice(i, i + 10).map((id) => keys.playlistItemKey(userId, id, hash));
    for (const e of await kv.getMany<PlaylistItemRecord[]>(chunk)) {
      const it = e.value;
      if (!it || (it.feed !== undefined && it.feed !== feed)) continue;
      if (!it.removed_at || Date.parse(it.added_at) > Date.parse(it.removed_at)) return true;
    }
  }
  return false;
}

/**
 * Makes a gateway hit durable in one commit: the pending play, the dedupe marker (checked
 * in the same commit, so concurrent range requests record one play) and, where KV queues
 * exist, a queue pointer. Returns the play, or null for a repeat within 10 minutes.
 */
export async function recordGatewayHit(
  deps: GatewayDeps,
  hit: { userId: string; token: string; feed: string; item: string },
): Promise<GatewayPlay | null> {
  const { kv, clock } = deps;
  const seenKey = keys.gatewaySeenKey(await secretHash(hit.token), await itemHash(hit.item));
  const seen = await kv.get<{ at: number }>(seenKey);
  const now = clock.now();
  // KV's expireIn runs on the wall clock and lazily, so the time in the value decides.
  if (seen.value && Math.abs(now - seen.value.at) < GATEWAY_DEDUPE_MS) return null;
  const play: GatewayPlay = {
    id: deps.newId(),
    user_id: hit.userId,
    feed: hit.feed,
    item: hit.item,
    at: now,
  };
  const op = kv.atomic()
    .check(seen)
    .set(seenKey, { at: now }, { expireIn: GATEWAY_DEDUPE_MS })
    .set(keys.gatewayPlayKey(play.id), play);
  if (deps.config.kvQueues) op.enqueue({ kind: "gateway", id: play.id } satisfies GatewayMessage);
  const res = await op.commit();
  return res.ok ? play : null;
}

/**
 * True when the feed lists this episode (its guid and enclosure URL): the gateway only
 * redirects to audio the feed itself points to, never to a URL someone put in an item id.
 * Asked of the feed's metadata and stored episode list first, then of the feed itself.
 */
export async function feedListsEpisode(
  deps: { kv: Deno.Kv; feeds: FeedService },
  feed: string,
  item: string,
): Promise<boolean> {
  const meta = (await feedMetas(deps.kv, [feed])).get(feed);
  if (meta?.episodes?.[await itemHash(item)] !== undefined) return true;
  const listed = (f: Feed | undefined) => f?.items.some((it) => itemIdOf(it) === item) ?? false;
  if (listed((await storedFeeds(deps.kv, [feed])).get(feed))) return true;
  try {
    const cached = await deps.feeds.load(decodeFeedId(feed).feedUrl, { wanted: true });
    return listed(cached.feed);
  } catch {
    return false; // an origin that does not answer cannot vouch for the URL
  }
}
