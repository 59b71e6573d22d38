/**
 * The read models that follow activity over server time, written in the append commit
 * beside the others: subscriptions by the time of their last change (`["sub_by_time", …]`)
 * and gpodder devices. The episode-action log gpodder's `since` reads is not a copy: it is
 * the event stream itself, read from the first event recorded at or after `since`
 * (`src/gpodder/queries.ts`) — one KV write less for every play and position.
 */
import type { EpisodeActionKind, StoredEvent } from "../domain/events.ts";
import type { UserState } from "../domain/state.ts";
import { feedHash } from "./hash.ts";
import * as keys from "./keys.ts";

/** One entry of the episode-action log, in domain terms. */
export interface ActionLogEntry {
  readonly feed: string;
  readonly item: string;
  readonly action: "play" | EpisodeActionKind;
  /** When it happened, as the client says (RFC 3339 UTC). */
  readonly ts: string;
  readonly device?: string;
  readonly started?: number;
  readonly position?: number;
  readonly total?: number;
}

/** The server's time of an event (ms): `recorded_at`, or `ts` for events stored before it. */
export function recordedMs(e: StoredEvent): number {
  return Date.parse(e.recorded_at ?? e.ts);
}

/**
 * The episode action an event is, or null; `durationOf` gives an episode's known length
 * (a position update carries none of its own).
 */
export function actionLogEntry(
  e: StoredEvent,
  durationOf: (item: string) => number | undefined,
): ActionLogEntry | null {
  const device = e.device?.id;
  const base = { feed: e.feed!, item: e.item!, ts: e.ts, ...(device ? { device } : {}) };
  switch (e.type) {
    case "played": {
      const total = e.data.duration ?? durationOf(e.item!);
      return {
        ...base,
        action: "play",
        position: e.data.position,
        ...(e.data.started === undefined ? {} : { started: e.data.started }),
        ...(total === undefined ? {} : { total }),
      };
    }
    case "position_updated": {
      const total = durationOf(e.item!);
      return { ...base, action: "play", position: e.data.position, ...(total ? { total } : {}) };
    }
    case "episode_action":
      return { ...base, action: e.data.action };
    default:
      return null;
  }
}

/** The mutations of these read models for a batch of events. */
export async function activityMutations(
  userId: string,
  before: UserState,
  after: UserState,
  events: readonly StoredEvent[],
): Promise<Deno.KvMutation[]> {
  const out: Deno.KvMutation[] = [];
  const subs = new Set<string>();
  const devices = new Set<string>();
  for (const e of events) {
    if (e.type === "subscribed" || e.type === "unsubscribed") subs.add(e.feed!);
    if (e.type === "device_updated" || e.type === "device_removed") devices.add(e.data.device_id);
  }
  for (const feed of subs) {
    const h = await feedHash(feed);
    const old = before.subscriptions.get(feed)?.changed_at;
    const now = after.subscriptions.get(feed)?.changed_at;
    if (old !== undefined && old !== now) {
      out.push({ type: "delete", key: keys.subByTimeKey(userId, old, h) });
    }
    if (now !== undefined) {
      out.push({ type: "set", key: keys.subByTimeKey(userId, now, h), value: feed });
    }
  }
  for (const id of devices) {
    const d = after.devices.get(id);
    const key = keys.deviceKey(userId, id);
    out.push(d ? { type: "set", key, value: d } : { type: "delete", key });
  }
  return out;
}
