/** A clock that only moves when told to. */
import type { Clock } from "../../src/clock.ts";

export class FakeClock implements Clock {
  #now: number;
  constructor(start: string | number = "2026-01-15T10:00:00Z") {
    this.#now = typeof start === "number" ? start : Date.parse(start);
  }
  now(): number {
    return this.#now;
  }
  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.#now += ms;
  }
  /** Sets the time. */
  set(at: string | number): void {
    this.#now = typeof at === "number" ? at : Date.parse(at);
  }
}
