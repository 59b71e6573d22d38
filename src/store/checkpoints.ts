/**
 * Checkpoints (SPEC §7.1): a user's whole state at a seq, stored as the bytes of its text
 * (`checkpoint_codec.ts`) in parts within KV's value limit (`["ckpt", user, seq, write,
 * part]`: each write named, so two writes at one seq never mix), switched on by its own head
 * (`["ckpt_head", user]`). Only this module writes checkpoint heads (the checkpoint job and
 * erasures call it); the stream head belongs to `append` alone, so the two never overwrite
 * each other. A user's state = the latest checkpoint + the events after it.
 */
import type { UserState } from "../domain/state.ts";
import { CheckpointDecoder, CheckpointJson, checkpointLines } from "./checkpoint_codec.ts";
import { KV_LIMITS } from "./group_commit.ts";
import * as keys from "./keys.ts";
import { Slices } from "../slices.ts";

/** What `["ckpt_head", user]` holds. */
export interface CheckpointHead {
  /** The seq of the last event the checkpoint covers. */
  readonly seq: number;
  readonly parts: number;
  readonly bytes: number;
  /** When it was written (RFC 3339). */
  readonly created_at: string;
  /** Why: the 45-day job, or an erasure. */
  readonly reason: "age" | "erasure";
  /**
   * The write whose parts these are (`["ckpt", user, seq, write, part]`); absent for
   * checkpoints written before, whose parts are `["ckpt", user, seq, part]`.
   */
  readonly write?: string;
}

/**
 * The head's parts, in order: those of its write, or (a checkpoint from before writes were
 * named) the parts keyed by seq alone — a named write at the same seq lists beside them
 * (its part keys hold a string where theirs hold a number) and is stepped over.
 */
async function* partsOf(
  kv: Deno.Kv,
  userId: string,
  head: CheckpointHead,
): AsyncGenerator<Uint8Array> {
  const prefix = keys.checkpointPrefix(userId, head.seq, head.write);
  for await (const e of kv.list<Uint8Array>({ prefix }, { batchSize: PARTS_PER_READ })) {
    if (isPartOf(e.key, head)) yield e.value;
  }
}

/** Whether a part's key belongs to the checkpoint `head` describes. */
function isPartOf(key: Deno.KvKey, head: { seq: number; write?: string }): boolean {
  return key[2] === head.seq &&
    (head.write === undefined ? typeof key[3] === "number" : key[3] === head.write);
}

/** Bytes per part: under KV's 64 KiB value limit with room for the encoding. */
const PART_BYTES = 60 * 1024;
/** Parts per commit: within KV's 800 KiB per commit. */
const PARTS_PER_COMMIT = Math.floor((KV_LIMITS.bytes * 0.8) / PART_BYTES);
/** Characters of checkpoint text parsed between two chances for other work to run. */
const PARSE_CHARS = 4 * 1024;
/**
 * Stretch of a checkpoint's parsing (ms) between two turns of the event loop: shorter than
 * elsewhere (`SLICE_MS`), as a big listener's wake-up is ≈ 1 s of such stretches and every
 * other request passing through the event loop meanwhile waits behind one at each turn.
 */
const LOAD_SLICE_MS = 1;
/** Parts read per KV round trip (each is parsed as it comes, in short stretches). */
const PARTS_PER_READ = 4;

/** The latest checkpoint head of a user (with its versionstamp, for checked writes). */
export function checkpointHead(
  kv: Deno.Kv,
  userId: string,
): Promise<Deno.KvEntryMaybe<CheckpointHead>> {
  return kv.get<CheckpointHead>(keys.checkpointHeadKey(userId));
}

/**
 * Reads a checkpoint's state, or null when its parts are incomplete (being replaced). The
 * parts are decoded and parsed as they arrive (the whole text is never held at once).
 */
export async function readCheckpoint(
  kv: Deno.Kv,
  userId: string,
  head: CheckpointHead,
): Promise<UserState | null> {
  const text = new TextDecoder();
  const decoder = new CheckpointDecoder();
  const slices = new Slices(LOAD_SLICE_MS);
  let parts = 0;
  try {
    for await (const part of partsOf(kv, userId, head)) {
      if (++parts > head.parts) return null;
      // A part is ≈ 400 rows (8 lines): parsed a line or so at a time, other requests between.
      const chunk = text.decode(part, { stream: true });
      for (let i = 0; i < chunk.length; i += PARSE_CHARS) {
        decoder.push(chunk.slice(i, i + PARSE_CHARS));
        await slices.pause();
      }
    }
    if (parts !== head.parts) return null;
    decoder.push(text.decode());
    return decoder.end();
  } catch (err) {
    // Parts deleted while they were listed leave a text with a hole in it.
    if (err instanceof SyntaxError) return null;
    throw err;
  }
}

/**
 * A checkpoint as the JSON document of its state (`StateJson`), in pieces as its parts are
 * read: for the export, which never holds the whole state.
 * @throws {Error} when its parts are gone midway (it was replaced while read).
 */
export async function* checkpointJson(
  kv: Deno.Kv,
  userId: string,
  head: CheckpointHead,
): AsyncGenerator<string> {
  const text = new TextDecoder();
  const json = new CheckpointJson();
  let parts = 0;
  for await (const part of partsOf(kv, userId, head)) {
    parts++;
    yield json.push(text.decode(part, { stream: true }));
  }
  if (parts !== head.parts) throw new Error(`The checkpoint of ${userId} was replaced.`);
  yield json.push(text.decode()) + json.end();
}

/**
 * Writes a checkpoint of `state` (at `state.seq`) and makes it the latest, unless the head
 * moved since `expected` was read (another writer): then returns false and the parts it
 * wrote are removed. Its parts are keyed by a name of this write, so two writes at the same
 * seq (two processes' jobs, two versions of the text) never mix or leave each other's
 * parts behind. Parts of every other checkpoint are deleted once the new head is on. The
 * text is encoded as it is committed, a few parts per commit.
 */
export async function writeCheckpoint(
  kv: Deno.Kv,
  userId: string,
  state: UserState,
  options: {
    expected: Deno.KvEntryMaybe<CheckpointHead>;
    now: string;
    reason: CheckpointHead["reason"];
  },
): Promise<boolean> {
  const write = crypto.randomUUID().slice(0, 8);
  const encoder = new TextEncoder();
  const part = new Uint8Array(PART_BYTES);
  let used = 0, parts = 0, bytes = 0, inCommit = 0;
  let op = kv.atomic();
  const cut = async () => {
    op.set(keys.checkpointPartKey(userId, state.seq, parts++, write), part.slice(0, used));
    used = 0;
    if (++inCommit === PARTS_PER_COMMIT) {
      await op.commit();
      op = kv.atomic();
      inCommit = 0;
    }
  };
  const slices = new Slices();
  for (const line of checkpointLines(state)) {
    await slices.pause();
    const data = encoder.encode(line);
    bytes += data.length;
    for (let at = 0; at < data.length;) {
      const n = Math.min(PART_BYTES - used, data.length - at);
      part.set(data.subarray(at, at + n), used);
      used += n;
      at += n;
      if (used === PART_BYTES) await cut();
    }
  }
  if (used > 0 || parts === 0) await cut();
  if (inCommit > 0) await op.commit();
  const head: CheckpointHead = {
    seq: state.seq,
    parts,
    bytes,
    created_at: options.now,
    reason: options.reason,
    write,
  };
  const res = await kv.atomic().check(options.expected).set(keys.checkpointHeadKey(userId), head)
    .commit();
  if (!res.ok) {
    // Another writer's head won: this write's parts go (none of them is the live one's).
    await deleteParts(kv, userId, (key) => isPartOf(key, head));
    return false;
  }
  await deleteParts(kv, userId, (key) => !isPartOf(key, head));
  return true;
}

/** Deletes the user's checkpoint parts whose key matches. */
async function deleteParts(kv: Deno.Kv, userId: string, which: (key: Deno.KvKey) => boolean) {
  let op = kv.atomic();
  let n = 0;
  for await (const e of kv.list({ prefix: keys.checkpointPrefix(userId) }, { batchSize: 200 })) {
    if (!which(e.key)) continue;
    op.delete(e.key);
    if (++n % 200 === 0) {
      await op.commit();
      op = kv.atomic();
    }
  }
  if (n % 200 !== 0) await op.commit();
}
