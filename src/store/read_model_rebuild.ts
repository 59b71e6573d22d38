/**
 * Rebuilds a user's read models from their state (checkpoint + events) — for
 * `deno task projections:rebuild`, and once at start-up when the stored records are of an
 * older shape (`READ_MODEL_VERSION`). Run it with no writer for that user (start-up, or the
 * server stopped): it deletes and rewrites in several commits.
 */
import type { UserState } from "../domain/state.ts";
import type { EventStore, Head } from "./event_store.ts";
import { feedHash, itemHash } from "./hash.ts";
import * as keys from "./keys.ts";
import { compact, playlistRecord, type PrivacyRecord } from "./read_models.ts";

/** The shape of the stored read models (2: the domain's own records). */
export const READ_MODEL_VERSION = 3;

function readModelPrefixes(userId: string): Deno.KvKey[] {
  return [
    keys.subPrefix(userId),
    keys.subByTimePrefix(userId),
    keys.playPrefix(userId),
    keys.playByTimePrefix(userId),
    keys.savedPrefix(userId),
    keys.playlistPrefix(userId),
    ["pl_item", userId],
    keys.privacyPrefix(userId),
    // Version 2's copy of the episode actions (now read from the event stream).
    keys.actionLogPrefix(userId),
    keys.devicePrefix(userId),
  ];
}

/** Every read-model record of a state. */
async function stateRecords(userId: string, s: UserState): Promise<Deno.KvMutation[]> {
  const out: Deno.KvMutation[] = [];
  const set = (key: Deno.KvKey, value: unknown) => out.push({ type: "set", key, value });
  for (const sub of s.subscriptions.values()) {
    const h = await feedHash(sub.feed);
    set(keys.subKey(userId, h), compact(sub));
    if (sub.changed_at !== undefined) set(keys.subByTimeKey(userId, sub.changed_at, h), sub.feed);
  }
  for (const p of s.plays.values()) {
    const h = await itemHash(p.item);
    set(keys.playKey(userId, h), compact(p));
    set(keys.playByTimeKey(userId, Date.parse(p.updated_at), h), compact(p));
  }
  for (const m of s.saved.values()) set(keys.savedKey(userId, await itemHash(m.item)), m);
  if (s.privacy.user) {
    set(keys.privacyKey(userId, "user", ""), { scope: "user", privacy: s.privacy.user });
  }
  for (const [feed, privacy] of s.privacy.feeds) {
    set(keys.privacyKey(userId, "feed", await feedHash(feed)), { scope: "feed", feed, privacy });
  }
  for (const [item, o] of s.privacy.items) {
    const r: PrivacyRecord = compact({ scope: "item", feed: o.feed, item, privacy: o.privacy });
    set(keys.privacyKey(userId, "item", await itemHash(item)), r);
  }
  for (const pl of s.playlists.values()) {
    set(keys.playlistKey(userId, pl.id), playlistRecord(pl));
    for (const it of pl.items.values()) {
      set(keys.playlistItemKey(userId, pl.id, await itemHash(it.item)), compact(it));
    }
  }
  for (const d of s.devices.values()) set(keys.deviceKey(userId, d.id), d);
  return out;
}

async function commitAll(kv: Deno.Kv, mutations: Deno.KvMutation[]): Promise<void> {
  for (let i = 0; i < mutations.length; i += 300) {
    await kv.atomic().mutate(...mutations.slice(i, i + 300)).commit();
  }
}

/** Deletes and rewrites one user's read models. */
export async function rebuildUserReadModels(
  kv: Deno.Kv,
  store: EventStore,
  userId: string,
): Promise<void> {
  const deletes: Deno.KvMutation[] = [];
  for (const prefix of readModelPrefixes(userId)) {
    for await (const e of kv.list({ prefix })) deletes.push({ type: "delete", key: e.key });
  }
  await commitAll(kv, deletes);
  const state = await store.load(userId);
  await commitAll(kv, await stateRecords(userId, state));
}

/** Rebuilds every user's read models; returns how many users. */
export async function rebuildAllReadModels(kv: Deno.Kv, store: EventStore): Promise<number> {
  let users = 0;
  for await (const h of kv.list<Head>({ prefix: keys.headPrefix() })) {
    await rebuildUserReadModels(kv, store, h.key[1] as string);
    users++;
  }
  return users;
}

/** At start-up: rebuilds the read models once if they are of an older shape. */
export async function migrateReadModels(kv: Deno.Kv, store: EventStore): Promise<number> {
  const meta = await kv.get<number>(keys.readModelVersionKey());
  if ((meta.value ?? 0) >= READ_MODEL_VERSION) return 0;
  const anyUser = await Array.fromAsync(kv.list({ prefix: keys.headPrefix() }, { limit: 1 }));
  const users = anyUser.length > 0 ? await rebuildAllReadModels(kv, store) : 0;
  await kv.set(keys.readModelVersionKey(), READ_MODEL_VERSION);
  return users;
}
