/**
 * Size estimates of KV writes, so every commit stays within KV's measured limits
 * (KV_LIMITS). Used by the event store, the group committer and the projection runner.
 * They run for every mutation of every decision, so they allocate nothing they can avoid:
 * UTF-8 lengths are counted, not encoded, and a value sized once can hand its size on.
 */
import type { CommitOp } from "./group_commit.ts";

/** Bytes of `text` in UTF-8, counted without encoding it (a lone surrogate counts 3). */
export function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        n += 2; // four bytes for two UTF-16 units
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

/** Bytes a key takes (an upper bound of KV's own encoding). */
export function keySize(key: Deno.KvKey): number {
  let n = 4;
  for (const part of key) n += typeof part === "string" ? utf8Length(part) + 2 : 9;
  return n;
}

const bigintAsZero = (_k: string, v: unknown) => typeof v === "bigint" ? "0" : v;

/** Bytes a value takes once serialised (JSON length; a KvU64 counts as a number). */
export function valueSize(value: unknown): number {
  if (value instanceof Deno.KvU64) return 8;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // Only a bigint makes JSON refuse; the replacer is slow, so it is the fallback.
    text = JSON.stringify(value, bigintAsZero);
  }
  return text === undefined ? 0 : utf8Length(text);
}

/**
 * Bytes a mutation adds to a commit (key plus value); `sizes` holds values already sized
 * (by identity), which are not serialised again.
 */
export function mutationSize(
  m: Deno.KvMutation,
  sizes?: ReadonlyMap<unknown, number>,
): { bytes: number; keyBytes: number } {
  const k = keySize(m.key);
  if (!("value" in m)) return { bytes: k, keyBytes: k };
  return { bytes: k + (sizes?.get(m.value) ?? valueSize(m.value)), keyBytes: k };
}

/** A commit op with its size estimate; `sizes` as in {@linkcode mutationSize}. */
export function opOf(
  checks: Deno.AtomicCheck[],
  mutations: Deno.KvMutation[],
  enqueues: unknown[],
  sizes?: ReadonlyMap<unknown, number>,
): CommitOp {
  let bytes = 0, keyBytes = 0;
  for (const m of mutations) {
    const k = keySize(m.key);
    keyBytes += k;
    bytes += k;
    if ("value" in m) bytes += sizes?.get(m.value) ?? valueSize(m.value);
  }
  for (const c of checks) keyBytes += keySize(c.key);
  for (const e of enqueues) bytes += valueSize(e);
  return { checks, mutations, enqueues, bytes, keyBytes };
}
