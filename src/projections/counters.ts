/** The global event counters projection: how many events of each type were appended. */
import type { EventType, StoredEvent } from "../domain/events.ts";

/** Counts events by type (pure; the projector turns the counts into KV sums). */
export function countByType(events: readonly StoredEvent[]): Map<EventType, number> {
  const counts = new Map<EventType, number>();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  return counts;
}
