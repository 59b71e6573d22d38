import assert from "node:assert/strict";
import { cronJobs } from "../../jobs/mod.ts";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import {
  FEED_META_REFRESH_MS,
  FEED_META_WANTED_MS,
  type FeedMeta,
  feedMetas,
  saveFeedMeta,
} from "../../src/store/feed_meta.ts";
import { feedHash } from "../../src/store/hash.ts";
import { feedMetaDuePrefix, feedMetaKey } from "../../src/store/keys.ts";
import type { AuthTestApp } from "../_support/auth_app.ts";
import { startFeedServer } from "../_support/feed_server.ts";
import { buildFeedApp, keysUnder, reader, subscribe } from "./_app.ts";

async function metaOf(t: AuthTestApp, feed: string): Promise<FeedMeta | null> {
  return (await t.kv.get<FeedMeta>(feedMetaKey(await feedHash(feed)))).value;
}

async function runRefresh(t: AuthTestApp): Promise<void> {
  const job = cronJobs(t.deps).find((j) => j.name === "feed metadata refresh");
  assert.ok(job);
  await job.handler();
  await t.deps.feeds.settled();
}

Deno.test("a subscriber's feed is kept fresh by the refresh job, then let go when unwanted", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp();
  const r = await reader(t);
  const [feed] = await subscribe(t, r.userId, `${server.origin}/fixtures/podcast_rss.xml`);
  await (await t.app.request(`/rss/${r.token}/subscriptions`)).body?.cancel();
  await t.deps.feeds.settled();
  const first = await metaOf(t, feed);
  assert.equal(first?.title, "Tech & Tea — The Feed Fixture Show");
  assert.equal(first?.refresh_at, t.clock.now() + FEED_META_REFRESH_MS);
  assert.equal((await keysUnder(t.kv, feedMetaDuePrefix())).length, 1);

  await runRefresh(t);
  assert.equal(server.requests.length, 1, "nothing is due yet");
  t.clock.advance(FEED_META_REFRESH_MS);
  await runRefresh(t);
  assert.equal(server.requests.length, 2, "refetched once due");
  const second = await metaOf(t, feed);
  assert.equal(second?.fetched_at, new Date(t.clock.now()).toISOString());
  assert.equal(second?.refresh_at, t.clock.now() + FEED_META_REFRESH_MS);
  const due = await keysUnder(t.kv, feedMetaDuePrefix());
  assert.deepEqual(due.map((k) => k[1]), [second?.refresh_at], "the index entry moved");

  // Nobody asks for the feed any more: after 30 days it leaves the refresh index.
  t.clock.advance(FEED_META_WANTED_MS);
  await runRefresh(t);
  assert.equal(server.requests.length, 2);
  assert.deepEqual(await keysUnder(t.kv, feedMetaDuePrefix()), []);
  assert.equal((await metaOf(t, feed))?.refresh_at, undefined);
  await server.close();
  await t.close();
});

Deno.test("a failing refresh is tried again six hours later", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp();
  const feedUrl = `${server.origin}/status/500`;
  const feed = encodeFeedId(feedUrl);
  await saveFeedMeta(t.kv, { feed, feedUrl, title: "Old", episodes: [] }, {
    now: t.clock.now(),
    wanted: true,
  });
  t.clock.advance(FEED_META_REFRESH_MS);
  await runRefresh(t);
  assert.equal(server.requests.length, 1);
  const meta = await metaOf(t, feed);
  assert.equal(meta?.title, "Old", "the last good metadata stays");
  assert.equal(meta?.refresh_at, t.clock.now() + FEED_META_REFRESH_MS);
  await runRefresh(t);
  assert.equal(server.requests.length, 1);
  await server.close();
  await t.close();
});

Deno.test("backfillMeta fetches feeds without metadata once, in the background", async () => {
  const server = await startFeedServer();
  const off = await buildFeedApp();
  off.deps.feeds.backfillMeta([encodeFeedId(`${server.origin}/feed.xml`)]);
  await off.deps.feeds.settled();
  assert.equal(server.connections, 0, "off unless main.ts turns it on");
  await off.close();
  const t = await buildFeedApp({ feedOptions: { backfill: true } });
  const feed = encodeFeedId(`${server.origin}/fixtures/podcast_atom.xml`);
  const broken = encodeFeedId(`${server.origin}/status/500`);
  t.deps.feeds.backfillMeta([feed, broken, feed]);
  t.deps.feeds.backfillMeta([feed, broken]);
  await t.deps.feeds.settled();
  assert.equal(server.requests.length, 2, "each feed once");
  const meta = (await feedMetas(t.kv, [feed])).get(feed);
  assert.equal(meta?.title, "Les Ondes Atomiques");
  assert.equal(meta?.author, "Marie Curie-Sklodowska");
  assert.ok(meta?.refresh_at, "a subscriber's feed is kept refreshed");
  await server.close();
  await t.close();
});

Deno.test("saveFeedMeta keeps a feed with thousands of long titles under the KV value limit", async () => {
  const t = await buildFeedApp();
  const feedUrl = "http://127.0.0.1:9/huge.xml";
  const episodes = Array.from({ length: 3000 }, (_, i) => ({
    item: encodeItemId(`guid-${i}`, `https://cdn.example.com/${i}.mp3`),
    title: `Épisode ${i} — ${"très long titre ".repeat(40)}`,
  }));
  const feed = encodeFeedId(feedUrl);
  const wrote = await saveFeedMeta(t.kv, { feed, feedUrl, title: "Huge", episodes }, {
    now: t.clock.now(),
  });
  assert.ok(wrote);
  const meta = await metaOf(t, feed);
  const count = Object.keys(meta?.episodes ?? {}).length;
  assert.ok(count > 50 && count < 3000, `kept ${count} newest titles`);
  assert.equal(
    await saveFeedMeta(t.kv, { feed, feedUrl, title: "Huge", episodes }, { now: t.clock.now() }),
    false,
    "unchanged metadata is not rewritten",
  );
  await t.close();
});
