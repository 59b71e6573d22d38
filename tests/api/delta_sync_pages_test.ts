/**
 * Paged answers (SPEC §4.1): no sync answer holds more than 5,000 play statuses; the rest
 * comes through `next_page` tokens sent as `{page}` alone.
 */
import assert from "node:assert/strict";
import { type ApiClient, feedId, itemId, type Json, withApi } from "./_api.ts";

const T = (n: number) => new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString();
const PAGE = 5_000;
const TOTAL = 5_210;

function plays(from: number, to: number, at: number) {
  return Array.from({ length: to - from }, (_, k) => ({
    rss_source_feed: feedId((from + k) % 7),
    rss_source_item: itemId((from + k) % 7, from + k),
    position: from + k,
    played: false,
    updated_at: T(at),
  }));
}

async function post(api: ApiClient, body: unknown): Promise<Json> {
  const r = await api.post("/sync", body);
  assert.equal(r.status, 200, r.text.slice(0, 300));
  return r.body.data;
}

/** Follows `next_page` to the end; every page's play statuses, in order. */
async function allPages(api: ApiClient, first: Json): Promise<Json[]> {
  const pages = [first];
  while (pages.at(-1).next_page !== undefined) {
    pages.push(await post(api, { page: pages.at(-1).next_page }));
    assert.ok(pages.length < 10, "paging ends");
  }
  return pages;
}

Deno.test("a whole state of more than 5,000 play statuses comes in pages that together hold each one once", async () => {
  await withApi({}, async ({ api }) => {
    const empty = await post(api, {});
    // Sent with since: the delta itself is paged too.
    const delta = await post(api, {
      since: empty.sync_token,
      subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: T(1) }],
      play_statuses: plays(0, TOTAL, 2),
    });
    assert.equal(delta.full, false);
    assert.equal(delta.play_statuses.length, PAGE);
    assert.equal(delta.subscriptions.length, 1);
    const deltaPages = await allPages(api, delta);
    assert.equal(deltaPages.length, 2);
    assert.equal(deltaPages[1].full, false);
    const deltaItems = deltaPages.flatMap((p) =>
      p.play_statuses.map((s: Json) => s.rss_source_item)
    );
    assert.equal(new Set(deltaItems).size, TOTAL);
    // The last page's token answers deltas from where the pages ended.
    const after = await post(api, { since: deltaPages[1].sync_token });
    assert.deepEqual([after.full, after.play_statuses.length], [false, 0]);

    const whole = await post(api, {});
    assert.equal(whole.full, true);
    assert.equal(whole.play_statuses.length, PAGE);
    assert.equal(whole.subscriptions.length, 1);
    const pages = await allPages(api, whole);
    assert.equal(pages.length, 2);
    for (const p of pages.slice(1)) {
      assert.deepEqual([p.full, p.subscriptions, p.playlists], [true, [], []]);
      assert.equal(p.sync_token, whole.sync_token);
    }
    const items = pages.flatMap((p) => p.play_statuses.map((s: Json) => s.rss_source_item));
    assert.equal(items.length, TOTAL);
    assert.equal(new Set(items).size, TOTAL);
    const one = pages[1].play_statuses[0];
    assert.equal(typeof one.feed_url, "string");
    assert.equal(typeof one.enclosure_url, "string");
  });
});

Deno.test("a play status changed while a client reads the pages comes back in its next delta", async () => {
  await withApi({}, async ({ api }) => {
    await post(api, { play_statuses: plays(0, TOTAL, 2) });
    const whole = await post(api, {});
    const changed = whole.play_statuses[0].rss_source_item;
    const r = await api.put(`/play/${changed}/position`, { position: 4_242 });
    assert.equal(r.status, 200, r.text);
    await allPages(api, whole);
    const next = await post(api, { since: whole.sync_token });
    assert.equal(next.full, false);
    assert.deepEqual(next.play_statuses.map((p: Json) => [p.rss_source_item, p.position]), [
      [changed, 4_242],
    ]);
  });
});
