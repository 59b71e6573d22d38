/**
 * Checkpoints (SPEC §7.1): a user's whole state at a seq, stored as the bytes of its JSON in
 * parts within KV's value limit (`["ckpt", user, seq, part]`), switched on by its own head
 * (`["ckpt_head", user]`). Only this module writes checkpoint heads (the checkpoint job and
 * erasures call it); the stream head belongs to `append` alone, so the two never overwrite
 * each other. A user's state = the latest checkpoint + the events after it.
 */
import type { PrivacyLevel } from "../domain/events.ts";
import type {
  DeviceState,
  EpisodeMark,
  EpisodeMarks,
  PlaylistItemState,
  PlaylistState,
  PlayState,
  SubscriptionState,
  UserState,
} from "../domain/state.ts";
import { KV_LIMITS } from "./group_commit.ts";
import * as keys from "./keys.ts";

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
}

/** The JSON form of a state (maps as arrays). */
interface StateJson {
  seq: number;
  subscriptions: SubscriptionState[];
  plays: PlayState[];
  saved: EpisodeMark[];
  shared: EpisodeMark[];
  playlists: (Omit<PlaylistState, "items"> & { items: PlaylistItemState[] })[];
  privacy: {
    user?: PrivacyLevel;
    feeds: [string, PrivacyLevel][];
    items: [string, { feed?: string; privacy: PrivacyLevel }][];
  };
  /** Absent in checkpoints written before gpodder support. */
  marks?: EpisodeMarks[];
  devices?: DeviceState[];
}

/** Bytes per part: under KV's 64 KiB value limit with room for the encoding. */
const PART_BYTES = 60 * 1024;
/** Parts per commit: within KV's 800 KiB per commit. */
const PARTS_PER_COMMIT = Math.floor((KV_LIMITS.bytes * 0.8) / PART_BYTES);

/** A state as JSON text. */
export function stateToJson(state: UserState): string {
  const json: StateJson = {
    seq: state.seq,
    subscriptions: [...state.subscriptions.values()],
    plays: [...state.plays.values()],
    saved: [...state.saved.values()],
    shared: [...state.shared.values()],
    playlists: [...state.playlists.values()].map((p) => ({ ...p, items: [...p.items.values()] })),
    privacy: {
      user: state.privacy.user,
      feeds: [...state.privacy.feeds],
      items: [...state.privacy.items],
    },
    marks: [...state.marks.values()],
    devices: [...state.devices.values()],
  };
  return JSON.stringify(json);
}

/** The state a JSON text describes. */
export function stateFromJson(text: string): UserState {
  const j = JSON.parse(text) as StateJson;
  return {
    seq: j.seq,
    subscriptions: new Map(j.subscriptions.map((s) => [s.feed, s])),
    plays: new Map(j.plays.map((p) => [p.item, p])),
    saved: new Map(j.saved.map((m) => [m.item, m])),
    shared: new Map(j.shared.map((m) => [m.item, m])),
    playlists: new Map(
      j.playlists.map((p) => [p.id, { ...p, items: new Map(p.items.map((i) => [i.item, i])) }]),
    ),
    privacy: {
      user: j.privacy.user,
      feeds: new Map(j.privacy.feeds),
      items: new Map(j.privacy.items),
    },
    marks: new Map((j.marks ?? []).map((m) => [m.item, m])),
    devices: new Map((j.devices ?? []).map((d) => [d.id, d])),
  };
}

/** The latest checkpoint head of a user (with its versionstamp, for checked writes). */
export function checkpointHead(
  kv: Deno.Kv,
  userId: string,
): Promise<Deno.KvEntryMaybe<CheckpointHead>> {
  return kv.get<CheckpointHead>(keys.checkpointHeadKey(userId));
}

/** Reads a checkpoint's state, or null when its parts are incomplete (being replaced). */
export async function readCheckpoint(
  kv: Deno.Kv,
  userId: string,
  head: CheckpointHead,
): Promise<UserState | null> {
  const chunks: Uint8Array[] = [];
  const prefix = keys.checkpointPrefix(userId, head.seq);
  for await (const e of kv.list<Uint8Array>({ prefix }, { batchSize: 50 })) chunks.push(e.value);
  if (chunks.length !== head.parts) return null;
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return stateFromJson(new TextDecoder().decode(bytes));
}

/**
 * Writes a checkpoint of `state` (at `state.seq`) and makes it the latest, unless the head
 * moved since `expected` was read (another writer): then returns false and the parts it
 * wrote are removed. Parts of older checkpoints are deleted once the new head is on.
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
  const bytes = new TextEncoder().encode(stateToJson(state));
  const parts = Math.max(1, Math.ceil(bytes.length / PART_BYTES));
  for (let p = 0; p < parts; p += PARTS_PER_COMMIT) {
    const op = kv.atomic();
    for (let i = p; i < Math.min(parts, p + PARTS_PER_COMMIT); i++) {
      op.set(
        keys.checkpointPartKey(userId, state.seq, i),
        bytes.slice(i * PART_BYTES, (i + 1) * PART_BYTES),
      );
    }
    await op.commit();
  }
  const head: CheckpointHead = {
    seq: state.seq,
    parts,
    bytes: bytes.length,
    created_at: options.now,
    reason: options.reason,
  };
  const res = await kv.atomic().check(options.expected).set(keys.checkpointHeadKey(userId), head)
    .commit();
  if (!res.ok) {
    // Another writer's head won; our parts go unless they are the live checkpoint's.
    const live = await checkpointHead(kv, userId);
    if (live.value?.seq !== state.seq) await deleteParts(kv, userId, (s) => s === state.seq);
    return false;
  }
  await deleteParts(kv, userId, (s) => s !== state.seq);
  return true;
}

/** Deletes the checkpoint parts whose seq matches. */
async function deleteParts(kv: Deno.Kv, userId: string, which: (seq: number) => boolean) {
  let op = kv.atomic();
  let n = 0;
  for await (const e of kv.list({ prefix: keys.checkpointPrefix(userId) }, { batchSize: 200 })) {
    if (!which(e.key[2] as number)) continue;
    op.delete(e.key);
    if (++n % 200 === 0) {
      await op.commit();
      op = kv.atomic();
    }
  }
  if (n % 200 !== 0) await op.commit();
}
