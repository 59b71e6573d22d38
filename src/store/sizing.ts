/**
 * Size estimates of KV writes, so every commit stays within KV's measured limits
 * (KV_LIMITS). Used by the event store, the group committer and the projection runner.
 */
import type { CommitOp } from "./group_commit.ts";

const textEncoder = new TextEncoder();

/** Bytes a key takes (an upper bound of KV's own encoding). */
export function keySize(key: Deno.KvKey): number {
  let n = 4;
  for (const part of key) n += typeof part === "string" ? textEncoder.encode(part).length + 2 : 9;
  return n;
}

/** Bytes a value takes once serialised (JSON length; a KvU64 counts as a number). */
export function valueSize(value: unknown): number {
  if (value instanceof Deno.KvU64) return 8;
  return textEncoder.encode(JSON.stringify(value, (_k, v) => typeof v === "bigint" ? "0" : v))
    .length;
}

/** Bytes a mutation adds to a commit (key plus value). */
export function mutationSize(m: Deno.KvMutation): { bytes: number; keyBytes: number } {
  const k = keySize(m.key);
  return { bytes: k + ("value" in m ? valueSize(m.value) : 0), keyBytes: k };
}

/** A commit op with its size estimate. */
export function opOf(
  checks: Deno.AtomicCheck[],
  mutations: Deno.KvMutation[],
  enqueues: unknown[],
): CommitOp {
  let bytes = 0, keyBytes = 0;
  for (const m of mutations) {
    const s = mutationSize(m);
    keyBytes += s.keyBytes;
    bytes += s.bytes;
  }
  for (const c of checks) keyBytes += keySize(c.key);
  for (const e of enqueues) bytes += valueSize(e);
  return { checks, mutations, enqueues, bytes, keyBytes };
}
