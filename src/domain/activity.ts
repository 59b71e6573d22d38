/**
 * Public activity (SPEC §5): which of a user's events leave a public trace, what each is
 * worth in popularity, how popularity time is cut into buckets and periods, and when a
 * timeline entry says it happened. Pure.
 */
import type { PrivacyLevel, StoredEvent } from "./events.ts";

/** The kinds of public activity; `save` is the SPEC's "save/like". */
export type ActivityKind = "subscribe" | "play" | "save" | "share";
export const ACTIVITY_KINDS: readonly ActivityKind[] = ["subscribe", "play", "save", "share"];

/** Popularity points per kind (SPEC §5). */
export const POINTS: Readonly<Record<ActivityKind, number>> = {
  subscribe: 10,
  play: 5,
  save: 3,
  share: 2,
};

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** A trace an event leaves: its kind and an id unique per user, feed and episode. */
export interface ActivityOf {
  readonly kind: ActivityKind;
  /**
   * Repeats of the same activity share an id and count once: a subscription per
   * subscription date (a new source id is not a new subscription), a play per episode and
   * UTC day (position updates of one listen are not new plays), a save and a share per
   * episode (un-saving takes nothing back, as unsubscribing does not).
   */
  readonly traceId: string;
}

/** The server's time of an event in ms (events stored before `recorded_at` existed: `ts`). */
export function recordedMs(e: StoredEvent): number {
  return Date.parse(e.recorded_at ?? e.ts);
}

/** The public activity an event is, or null (positions, unsubscribes, playlists…). */
export function activityOf(e: StoredEvent): ActivityOf | null {
  switch (e.type) {
    case "subscribed":
      return { kind: "subscribe", traceId: `s${Date.parse(e.data.subscribed_at)}` };
    case "played":
      return { kind: "play", traceId: `p${Math.floor(recordedMs(e) / DAY_MS)}` };
    case "saved":
      return { kind: "save", traceId: "v" };
    case "shared":
      return { kind: "share", traceId: "h" };
    default:
      return null;
  }
}

/** True when activity at this level counts in popularity (public and anonymous do). */
export function counts(level: PrivacyLevel): boolean {
  return level !== "private";
}

/**
 * The time a timeline entry shows and is ordered by: the exact time for public entries, the
 * hour for anonymous ones, so an anonymous entry cannot be matched with a public entry of
 * the same commit by its time.
 */
export function timelineTime(level: PrivacyLevel, ms: number): number {
  return level === "anonymous" ? Math.floor(ms / HOUR_MS) * HOUR_MS : ms;
}

/** Buckets per popularity period: periods move one bucket at a time. */
export const BUCKETS_PER_PERIOD = 168;

/** How popularity time is cut: bucket length and buckets per period. */
export interface PopularityClock {
  readonly bucketMs: number;
  /** Buckets in one period (W). */
  readonly width: number;
}

/** The bucket clock for a period (7 days → hourly buckets). */
export function popularityClock(periodMs: number): PopularityClock {
  const bucketMs = Math.max(1_000, Math.floor(periodMs / BUCKETS_PER_PERIOD));
  return { bucketMs, width: Math.max(1, Math.round(periodMs / bucketMs)) };
}

/** The bucket of a time. */
export function bucketOf(clock: PopularityClock, ms: number): number {
  return Math.floor(ms / clock.bucketMs);
}

/**
 * Which period a bucket falls in, seen from bucket `now`: the current period is the last
 * W buckets (the one in progress included), the previous one the W before.
 */
export function periodOf(
  clock: PopularityClock,
  bucket: number,
  now: number,
): "current" | "previous" | "older" {
  if (bucket > now - clock.width) return "current";
  if (bucket > now - 2 * clock.width) return "previous";
  return "older";
}

/** Counts of one entity in one period. */
export interface ActivityCounts {
  subscribe: number;
  play: number;
  save: number;
  share: number;
}

/** Score of counts: subscribe 10, play 5, save 3, share 2. */
export function scoreOf(c: ActivityCounts): number {
  return c.subscribe * POINTS.subscribe + c.play * POINTS.play + c.save * POINTS.save +
    c.share * POINTS.share;
}

/** Counts with nothing in them. */
export function zeroCounts(): ActivityCounts {
  return { subscribe: 0, play: 0, save: 0, share: 0 };
}
