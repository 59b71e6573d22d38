/**
 * Personal feeds are built from stored episode lists (issue: a reader polling every minute
 * must cost the origins nothing), a request fetches at most a few never-stored feeds, and
 * fetches made for users never warm the public proxy's cache.
 */
import assert from "node:assert/strict";
import { encodeFeedId } from "../../src/domain/ids.ts";
import { LIVE_FETCHES } from "../../src/rss/personal.ts";
import { startFeedServer } from "../_support/feed_server.ts";
import { buildFeedApp, reader, subscribe } from "./_app.ts";

Deno.test("a feed reader polling the personal feed costs the origins nothing once the lists are stored", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp();
  try {
    const r = await reader(t);
    await subscribe(t, r.userId, `${server.origin}/fixtures/podcast_rss.xml`);
    const first = await (await t.app.request(`/rss/${r.token}/subscriptions`)).text();
    await t.deps.feeds.settled();
    const fetched = server.requests.length;
    assert.ok(fetched >= 1);
    for (let minute = 1; minute <= 30; minute++) {
      t.clock.advance(60_000); // far past the 5-minute cache
      const again = await (await t.app.request(`/rss/${r.token}/subscriptions`)).text();
      assert.equal(
        again.replace(/<lastBuildDate>.*<\/lastBuildDate>/, ""),
        first.replace(/<lastBuildDate>.*<\/lastBuildDate>/, ""),
      );
    }
    assert.equal(server.requests.length, fetched, "no origin fetch for 30 polls");
  } finally {
    await server.close();
    await t.close();
  }
});

Deno.test("with many subscriptions never fetched, one request fetches only a few of them", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp();
  try {
    const r = await reader(t);
    const urls = Array.from(
      { length: 60 },
      (_, i) => `${server.origin}/fixtures/podcast_rss.xml?n=${i}`,
    );
    await t.deps.registry.execute(r.userId, {
      type: "SubscribeMany",
      data: { feeds: urls.map(encodeFeedId) },
    });
    const xml = await (await t.app.request(`/rss/${r.token}/subscriptions`)).text();
    await t.deps.feeds.settled();
    assert.ok(server.requests.length <= LIVE_FETCHES, `fetched ${server.requests.length}`);
    assert.equal((xml.match(/not_fetched_yet/g) ?? []).length, 60 - LIVE_FETCHES);
  } finally {
    await server.close();
    await t.close();
  }
});

Deno.test("a feed fetched for a user is a cache miss for the public proxy", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp();
  try {
    const r = await reader(t);
    const url = `${server.origin}/fixtures/podcast_rss.xml`;
    await subscribe(t, r.userId, url);
    await (await t.app.request(`/rss/${r.token}/subscriptions`)).body?.cancel();
    await t.deps.feeds.settled();
    const before = server.requests.length;
    const misses = t.deps.feeds.cache.stats.misses;
    const res = await t.app.request(`/api/v1/rss/proxy/${encodeFeedId(url)}`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(server.requests.length, before + 1, "the proxy fetched it itself");
    assert.equal(t.deps.feeds.cache.stats.misses, misses + 1);
  } finally {
    await server.close();
    await t.close();
  }
});
