/**
 * Compares the public API's answers with the reference model (`_model.ts`): every list
 * is checked entry by entry; where the API's order among equals is by an opaque id, the
 * model's run of equals is compared as a set and the API's ids must ascend.
 */
import assert from "node:assert/strict";
import type { AuthTestApp } from "../_support/auth_app.ts";
import type { Json } from "../api/_api.ts";
import { pub } from "./_public.ts";
import type { ModelEntry, ModelRecord } from "./_model.ts";

/** The decoded parts of the test's feed and item ids. */
export interface Catalog {
  feedUrl(feed: string): string;
  episode(item: string): { guid: string; enclosure_url: string };
}

const ENTRY_FIELDS = new Set([
  "id",
  "type",
  "ts",
  "rss_source_feed",
  "feed_url",
  "rss_source_item",
  "user",
  "feed_title",
  "item_title",
]);

/** Every answer a check read, to search for identifiers that must not be there. */
export class Answers {
  readonly texts: string[] = [];

  /** An anonymous GET that must answer `status`. */
  async get(t: AuthTestApp, path: string, status = 200): Promise<Json> {
    const r = await pub(t, path);
    this.texts.push(JSON.stringify(r.body));
    assert.equal(r.status, status, `GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

function entryKey(e: {
  type: string;
  rss_source_feed: string;
  rss_source_item?: string;
  user?: string;
  tsMs: number;
}): string {
  return JSON.stringify([
    e.type,
    e.rss_source_feed,
    e.rss_source_item ?? null,
    e.user ?? null,
    e.tsMs,
  ]);
}

function actualEntryKey(e: Json, catalog: Catalog, what: string): string {
  for (const k of Object.keys(e)) assert.ok(ENTRY_FIELDS.has(k), `${what}: unexpected field ${k}`);
  assert.equal(typeof e.id, "string", what);
  assert.equal(e.feed_url, catalog.feedUrl(e.rss_source_feed), what);
  assert.ok(!("user" in e) || typeof e.user === "string", `${what}: user is a username or absent`);
  assert.match(e.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, what);
  return entryKey({ ...e, tsMs: Date.parse(e.ts) });
}

/** Asserts that `actual` is the model's timeline `expected`, in its order. */
export function matchTimeline(
  actual: readonly Json[],
  expected: readonly ModelEntry[],
  catalog: Catalog,
  what: string,
): void {
  assert.equal(
    actual.length,
    expected.length,
    `${what}: ${actual.length} entries, expected ${expected.length}`,
  );
  const ids = new Set(actual.map((e) => e.id));
  assert.equal(ids.size, actual.length, `${what}: entry ids are unique`);
  for (let i = 0; i < expected.length;) {
    let j = i;
    while (j < expected.length && expected[j].sortMs === expected[i].sortMs) j++;
    const want = expected.slice(i, j).map(entryKey).sort();
    const run = actual.slice(i, j);
    const got = run.map((e, k) => actualEntryKey(e, catalog, `${what}[${i + k}]`)).sort();
    assert.deepEqual(got, want, `${what}: entries ${i}..${j - 1}`);
    const runIds = run.map((e) => String(e.id));
    assert.deepEqual(runIds, [...runIds].sort(), `${what}: equal times ordered by id`);
    i = j;
  }
}

function recordOf(r: Json) {
  return {
    score: r.score,
    score_previous: r.score_previous,
    plays: r.plays,
    plays_previous: r.plays_previous,
    likes: r.likes,
    likes_previous: r.likes_previous,
    subscriptions: r.subscriptions,
    shares: r.shares,
    plays_people: r.plays_people,
  };
}

/** Asserts one feed or episode popularity answer against the model's record. */
export function matchRecord(
  actual: Json,
  expected: ModelRecord,
  catalog: Catalog,
  what: string,
): void {
  const { feed: _f, item: _i, feeds, ...counts } = expected;
  assert.deepEqual(recordOf(actual), counts, what);
  assert.equal(actual.feed_title, null, what);
  assert.equal(actual.feed_author, null, what);
  assert.equal(actual.feed_cover, null, what);
  if (expected.item !== undefined) {
    assert.equal(actual.rss_source_item, expected.item, what);
    assert.deepEqual(
      { guid: actual.guid, enclosure_url: actual.enclosure_url },
      catalog.episode(expected.item),
      what,
    );
    assert.equal(actual.item_title, null, what);
  }
  if (actual.rss_source_feed !== null) {
    assert.equal(actual.feed_url, catalog.feedUrl(actual.rss_source_feed), what);
    const known = feeds ?? [expected.feed];
    assert.ok(known.includes(actual.rss_source_feed), `${what}: a feed it was heard under`);
  }
}

/** Asserts a trending list: the model's records with a score, best first. */
export function matchTrending(
  actual: readonly Json[],
  expected: readonly ModelRecord[],
  catalog: Catalog,
  what: string,
): void {
  const want = expected.filter((r) => r.score > 0).sort((a, b) => b.score - a.score);
  assert.equal(actual.length, want.length, `${what}: ${actual.length} entries`);
  for (let i = 1; i < actual.length; i++) {
    assert.ok(actual[i - 1].score >= actual[i].score, `${what}: best score first`);
  }
  const keyOf = (
    r: { feed?: string; item?: string; rss_source_feed?: string; rss_source_item?: string },
  ) => r.item ?? r.rss_source_item ?? r.feed ?? r.rss_source_feed!;
  const byKey = new Map(want.map((r) => [keyOf(r), r]));
  for (const [i, a] of actual.entries()) {
    const r = byKey.get(keyOf(a));
    assert.ok(r, `${what}[${i}]: ${keyOf(a)} is not trending in the model`);
    matchRecord(a, r, catalog, `${what}[${i}]`);
    byKey.delete(keyOf(a));
  }
}

/** JSON of any KV value (KvU64 sums included). */
export function kvJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => typeof v === "bigint" ? v.toString() : v);
}
