/** A source of the current time, injected so tests can move time by hand. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** RFC 3339 UTC string for a millisecond timestamp (`2024-01-15T10:30:00.000Z`). */
export function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}
