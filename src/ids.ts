/** Unique, time-sortable ids for events, users and records (outside the pure domain). */
import type { Clock } from "./clock.ts";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** 9 base36 chars of milliseconds + 12 random base36 chars (≈ 62 bits). */
export function newId(clock: Clock): string {
  const time = clock.now().toString(36).padStart(9, "0");
  const rand = crypto.getRandomValues(new Uint8Array(12));
  let tail = "";
  for (const b of rand) tail += ALPHABET[b % 36];
  return time + tail;
}
