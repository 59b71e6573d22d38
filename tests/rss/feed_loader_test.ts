import assert from "node:assert/strict";
import { InvalidFeedError, InvalidUrlError } from "../../src/rss/errors.ts";
import { createFeedCache, type FeedLoaderDeps, loadFeed } from "../../src/rss/feed_loader.ts";
import { HostLimiter } from "../../src/rss/host_limiter.ts";
import { FakeClock } from "../_support/clock.ts";
import { FIXTURE_ETAG, readFixture, startFeedServer } from "../_support/feed_server.ts";

function deps(clock = new FakeClock()): FeedLoaderDeps & { clock: FakeClock } {
  return {
    cache: createFeedCache({ clock }),
    clock,
    fetchOptions: {
      allowPrivate: true,
      hostLimiter: new HostLimiter(4),
      resolve: () => Promise.reject(new Error("no DNS in tests")),
    },
  };
}

Deno.test("loadFeed() fetches a cold feed once for 10 concurrent callers", async () => {
  await using server = await startFeedServer({ latencyMs: 50 });
  const d = deps();
  const url = `${server.origin}/fixtures/podcast_rss.xml`;
  const all = await Promise.all(Array.from({ length: 10 }, () => loadFeed(url, d)));
  assert.equal(server.requests.length, 1);
  assert.ok(all.every((f) => f === all[0]));
  assert.equal(new TextDecoder().decode(all[0].body), await readFixture("podcast_rss.xml"));
  assert.equal(all[0].feed.items[0].guid, "0x1A");
  assert.deepEqual(
    [d.cache.stats.misses, d.cache.stats.coalesced, d.cache.stats.entries],
    [1, 9, 1],
  );
});

Deno.test("loadFeed() revalidates an expired feed with its ETag", async () => {
  await using server = await startFeedServer();
  const d = deps();
  const url = `${server.origin}/etag.xml`;
  const first = await loadFeed(url, d);
  await loadFeed(url, d);
  assert.equal(server.requests.length, 1);
  d.clock.advance(5 * 60_000);
  const again = await loadFeed(url, d);
  assert.equal(server.requests.length, 2);
  assert.equal(server.requests[1].headers.get("if-none-match"), FIXTURE_ETAG);
  assert.equal(again, first, "a 304 keeps the cached body");
  assert.equal(d.cache.stats.revalidated, 1);
});

Deno.test("loadFeed() caches nothing for a body that is not a feed", async () => {
  await using server = await startFeedServer();
  const d = deps();
  await assert.rejects(loadFeed(`${server.origin}/fixtures/malformed.xml`, d), InvalidFeedError);
  await assert.rejects(loadFeed(`${server.origin}/fixtures/malformed.xml`, d), InvalidFeedError);
  assert.equal(server.requests.length, 2);
  assert.equal(d.cache.stats.entries, 0);
});

Deno.test("loadFeed() refuses a non-http URL before any fetch", async () => {
  await using server = await startFeedServer();
  await assert.rejects(loadFeed("file:///etc/passwd", deps()), InvalidUrlError);
  assert.equal(server.connections, 0);
});
