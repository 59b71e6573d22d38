/** The global event counters projection: how many events of each type were projected. */
import { EVENT_TYPES, type EventType, type StoredEvent } from "../domain/events.ts";
import * as keys from "../store/keys.ts";
import type { GlobalProjection } from "./projection.ts";

/** Counts events by type (pure). */
export function countByType(events: readonly StoredEvent[]): Map<EventType, number> {
  const counts = new Map<EventType, number>();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  return counts;
}

/** `["stats", "projected", type]` sums, one step per batch. */
export const countersProjection: GlobalProjection<null> = {
  name: "counters",
  version: 1,
  handles: new Set(EVENT_TYPES),
  // The legacy single-cursor pipeline's keys go with it on the first rebuild.
  prefixes: [keys.statPrefix("projected"), keys.cursorPrefix("main"), ["stats", "projected_total"]],
  load: () => Promise.resolve(null),
  plan(_userId, events) {
    if (events.length === 0) return [];
    const mutations: Deno.KvMutation[] = [];
    for (const [type, n] of countByType(events)) {
      mutations.push({
        type: "sum",
        key: keys.statKey("projected", type),
        value: new Deno.KvU64(BigInt(n)),
      });
    }
    return [{ seq: events[events.length - 1].seq, mutations }];
  },
};
