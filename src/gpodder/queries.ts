/**
 * Reads for the gpodder API (SPEC §9) from the read models the append commit keeps:
 * subscription changes since a server time, the episode-action log since a server time,
 * devices, favorites. What one API writes the other reads: REST plays are play actions
 * here, gpodder actions are play statuses there.
 */
import { decodeFeedId, decodeItemId } from "../domain/ids.ts";
import { RETENTION_MS } from "../domain/history.ts";
import type { StoredEvent } from "../domain/events.ts";
import { type ActionLogEntry, actionLogEntry, recordedMs } from "../store/activity_models.ts";
import { episodeTitle, feedMetas } from "../store/feed_meta.ts";
import { feedHash } from "../store/hash.ts";
import { playsOf } from "../store/sync_changes.ts";
import * as keys from "../store/keys.ts";
import type { PlayRecord, SavedRecord, SubscriptionRecord } from "../store/read_models.ts";
import { isActiveView } from "../store/queries.ts";
import type { DeviceState } from "../domain/state.ts";
import { formatActionTime } from "./format.ts";

/** A gpodder episode action as answered: no key is ever null, play fields only on plays. */
export interface GpAction {
  podcast: string;
  episode: string;
  guid?: string;
  action: string;
  timestamp: string;
  device?: string;
  started?: number;
  position?: number;
  total?: number;
}

/** Active subscriptions' feed URLs, oldest subscription first. */
export async function activeFeedUrls(kv: Deno.Kv, userId: string): Promise<string[]> {
  const subs: SubscriptionRecord[] = [];
  for await (const e of kv.list<SubscriptionRecord>({ prefix: keys.subPrefix(userId) })) {
    if (isActiveView(e.value)) subs.push(e.value);
  }
  subs.sort((a, b) => Date.parse(a.subscribed_at) - Date.parse(b.subscribed_at));
  return subs.map((s) => decodeFeedId(s.feed).feedUrl);
}

/**
 * The net subscription changes the server received at `sinceMs` or later: feeds now
 * subscribed in `add`, feeds now unsubscribed in `remove`.
 */
export async function subscriptionChanges(
  kv: Deno.Kv,
  userId: string,
  sinceMs: number,
): Promise<{ add: string[]; remove: string[] }> {
  const prefix = keys.subByTimePrefix(userId);
  const feeds: string[] = [];
  for await (const e of kv.list<string>({ prefix, start: [...prefix, sinceMs] })) {
    feeds.push(e.value);
  }
  const add: string[] = [], remove: string[] = [];
  for (let i = 0; i < feeds.length; i += 10) {
    const chunk = feeds.slice(i, i + 10);
    const hashes = await Promise.all(chunk.map(feedHash));
    const subs = await kv.getMany<SubscriptionRecord[]>(
      hashes.map((h) => keys.subKey(userId, h)),
    );
    for (const s of subs) {
      if (!s.value) continue;
      (isActiveView(s.value) ? add : remove).push(decodeFeedId(s.value.feed).feedUrl);
    }
  }
  return { add, remove };
}

function guidOf(item: string): { guid?: string; episode: string } {
  const { guid, enclosureUrl } = decodeItemId(item);
  // An action sent without a guid is kept under its URL: it has none to give back.
  return guid === enclosureUrl ? { episode: enclosureUrl } : { guid, episode: enclosureUrl };
}

/** A log entry in the gpodder shape. */
export function toGpAction(e: ActionLogEntry): GpAction {
  const out: GpAction = {
    podcast: decodeFeedId(e.feed).feedUrl,
    ...guidOf(e.item),
    action: e.action,
    timestamp: formatActionTime(Date.parse(e.ts)),
  };
  if (e.device) out.device = e.device;
  if (e.action === "play") {
    out.position = e.position ?? 0;
    // AntennaPod applies a position only with started ≥ 0 (and position, total > 0); a play
    // recorded without one (REST, web, gateway) is a state, not a listening span: it starts
    // where it stands, as AntennaPod's own first-sync uploads say.
    out.started = e.started ?? out.position;
    if (e.total !== undefined) out.total = e.total;
  }
  return out;
}

/** The events that are episode actions. */
const ACTION_TYPES: ReadonlySet<StoredEvent["type"]> = new Set([
  "played",
  "position_updated",
  "episode_action",
]);

/** What an actions download asks for. */
export interface ActionQuery {
  /** Server time (ms); null: everything still known. */
  readonly sinceMs: number | null;
  /** Canonical feed id. */
  readonly feed?: string;
  readonly device?: string;
  readonly aggregated?: boolean;
  /** The server's clock (ms). */
  readonly now: number;
}

/**
 * The first seq of `userId`'s stream whose event the server recorded at `sinceMs` or later
 * (head + 1 when none): a binary search over the stream, which is in the order the server
 * recorded it (holes left by cleanup and erasure are stepped over).
 */
async function firstSeqFrom(kv: Deno.Kv, userId: string, sinceMs: number): Promise<number> {
  const head = (await kv.get<{ seq: number }>(keys.headKey(userId))).value?.seq ?? 0;
  let lo = 1, hi = head + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const [next] = await Array.fromAsync(
      kv.list<StoredEvent>(keys.eventsAfter(userId, mid - 1), { limit: 1 }),
    );
    if (!next || next.value.seq >= hi) hi = mid;
    else if (recordedMs(next.value) >= sinceMs) hi = mid;
    else lo = next.value.seq + 1;
  }
  return lo;
}

/**
 * The episode actions the server received at `sinceMs` or later (inclusive), in order:
 * read from the user's event stream (plays, position updates, gpodder actions), each with
 * the episode's known length. Asked from the beginning (or from before what the stream
 * keeps, 45 days), the current play status of every episode the stream no longer covers is
 * given as a play action too, so a new device learns every position.
 */
export async function actionsSince(
  kv: Deno.Kv,
  userId: string,
  q: ActionQuery,
): Promise<GpAction[]> {
  const from = q.sinceMs === null ? 1 : await firstSeqFrom(kv, userId, q.sinceMs);
  const found: StoredEvent[] = [];
  const iter = kv.list<StoredEvent>(keys.eventsAfter(userId, from - 1), { batchSize: 500 });
  for await (const { value: e } of iter) {
    if (!ACTION_TYPES.has(e.type)) continue;
    if (q.sinceMs !== null && recordedMs(e) < q.sinceMs) continue;
    if (q.feed !== undefined && e.feed !== q.feed) continue;
    if (q.device !== undefined && e.device?.id !== q.device) continue;
    found.push(e);
  }
  const lengths = new Map<string, number>();
  const played = new Set(found.filter((e) => e.type !== "episode_action").map((e) => e.item!));
  for (const p of await playsOf(kv, userId, played)) {
    if (p.duration !== undefined) lengths.set(p.item, p.duration);
  }
  const entries: ActionLogEntry[] = [];
  for (const e of found) {
    const entry = actionLogEntry(e, (item) => lengths.get(item));
    if (entry) entries.push(entry);
  }
  const complete = q.sinceMs === null || q.sinceMs < q.now - RETENTION_MS;
  if (complete && q.device === undefined) {
    const logged = new Set(entries.filter((e) => e.action === "play").map((e) => e.item));
    const synthesized: ActionLogEntry[] = [];
    for await (const e of kv.list<PlayRecord>({ prefix: keys.playPrefix(userId) })) {
      const p = e.value;
      if (logged.has(p.item)) continue;
      if (q.feed !== undefined && p.feed !== q.feed) continue;
      synthesized.push({
        feed: p.feed,
        item: p.item,
        action: "play",
        ts: p.updated_at,
        position: p.position,
        ...(p.started === undefined ? {} : { started: p.started }),
        ...(p.duration === undefined ? {} : { total: p.duration }),
        ...(p.device ? { device: p.device.id } : {}),
      });
    }
    synthesized.sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
    entries.unshift(...synthesized);
  }
  let actions = entries.map(toGpAction);
  if (q.aggregated) {
    const last = new Map<string, GpAction>();
    for (const a of actions) {
      const k = `${a.podcast}\n${a.episode}`;
      last.delete(k);
      last.set(k, a);
    }
    actions = [...last.values()];
  }
  return actions;
}

/** The user's gpodder devices with their subscription counts (user-wide subscriptions). */
export async function listDevices(
  kv: Deno.Kv,
  userId: string,
): Promise<{ id: string; caption: string; type: string; subscriptions: number }[]> {
  const count = (await activeFeedUrls(kv, userId)).length;
  const out: { id: string; caption: string; type: string; subscriptions: number }[] = [];
  for await (const e of kv.list<DeviceState>({ prefix: keys.devicePrefix(userId) })) {
    out.push({
      id: e.value.id,
      caption: e.value.caption,
      type: e.value.type,
      subscriptions: count,
    });
  }
  return out;
}

/** When each device last talked to the server (ms), by device id. */
export async function devicesSeen(kv: Deno.Kv, userId: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const e of kv.list<{ at: number }>({ prefix: keys.deviceSeenPrefix(userId) })) {
    out.set(e.key[2] as string, e.value.at);
  }
  return out;
}

/** Notes that a device talked to the server now (at most once a minute). */
export async function touchDevice(
  kv: Deno.Kv,
  userId: string,
  deviceId: string,
  now: number,
): Promise<void> {
  const key = keys.deviceSeenKey(userId, deviceId);
  const seen = await kv.get<{ at: number }>(key);
  if (seen.value && now - seen.value.at < 60_000) return;
  await kv.atomic().check(seen).set(key, { at: now }).commit();
}

/** Saved episodes in the gpodder "favorites" shape (mygpoclient needs every key). */
export async function favorites(kv: Deno.Kv, userId: string) {
  const saved: SavedRecord[] = [];
  for await (const e of kv.list<SavedRecord>({ prefix: keys.savedPrefix(userId) })) {
    saved.push(e.value);
  }
  const metas = await feedMetas(kv, saved.map((s) => s.feed));
  return await Promise.all(saved.map(async (s) => {
    const meta = metas.get(s.feed);
    const { episode } = guidOf(s.item);
    return {
      title: (await episodeTitle(meta, s.item)) ?? episode,
      url: episode,
      podcast_title: meta?.title ?? "",
      podcast_url: decodeFeedId(s.feed).feedUrl,
      description: "",
      website: "",
      released: formatActionTime(Date.parse(s.at)),
      mygpo_link: "",
    };
  }));
}
