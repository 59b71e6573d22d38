import assert from "node:assert/strict";
import { decodeItemId } from "../../src/domain/ids.ts";
import {
  type FeedSource,
  gatherFeeds,
  itemIdOf,
  latestItems,
  prefixedTitle,
  skippedComments,
} from "../../src/rss/aggregate.ts";
import { UpstreamError } from "../../src/rss/errors.ts";
import type { Feed, FeedItem } from "../../src/rss/parse.ts";
import { TokenBuckets } from "../../src/rss/rate_limit.ts";
import { FakeClock } from "../_support/clock.ts";

function cached(feed: Feed): Feed {
  return feed;
}

const sources: FeedSource[] = Array.from({ length: 6 }, (_, i) => ({
  feed: `f${i}`,
  feedUrl: `http://127.0.0.1:9/${i}.xml`,
}));

Deno.test("gatherFeeds() keeps to its concurrency and reports each failure by code", async () => {
  let active = 0;
  let peak = 0;
  const out = await gatherFeeds(sources, async (s) => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, 5));
    active--;
    if (s.feed === "f2") throw new UpstreamError("boom");
    return cached({ title: s.feed, items: [] });
  }, { concurrency: 2, deadlineMs: 5_000 });
  assert.equal(peak, 2);
  assert.deepEqual(out.map((g) => g.error ?? g.feed?.title), [
    "f0",
    "f1",
    "upstream_error",
    "f3",
    "f4",
    "f5",
  ]);
});

Deno.test("gatherFeeds() answers by the deadline whatever hangs", async () => {
  const hang = Promise.withResolvers<Feed>();
  const started = performance.now();
  const out = await gatherFeeds(
    sources,
    (s) => s.feed === "f1" ? hang.promise : Promise.resolve(cached({ title: s.feed, items: [] })),
    { concurrency: 2, deadlineMs: 100 },
  );
  assert.ok(performance.now() - started < 1_000);
  assert.equal(out[1].error, "upstream_timeout");
  assert.deepEqual(out.filter((g) => g.feed).map((g) => g.source.feed), [
    "f0",
    "f2",
    "f3",
    "f4",
    "f5",
  ]);
  hang.resolve(cached({ title: "late", items: [] }));
});

Deno.test("latestItems() keeps the newest items across feeds, undated ones last", () => {
  const item = (guid: string, pubDate?: number): FeedItem => ({
    guid,
    title: guid,
    pubDate,
    enclosure: { url: `https://cdn.example.com/${guid}.mp3` },
  });
  const gathered = [
    { source: sources[0], feed: cached({ title: "A", items: [item("a1", 10), item("a0")] }) },
    { source: sources[1], error: "upstream_error" },
    {
      source: sources[2],
      feed: cached({ title: "", items: [item("b1", 30), item("b2", 20), item("b3", 5)] }),
    },
  ];
  const out = latestItems(gathered, (f, i) => `gw/${f}/${i}`, 4);
  assert.deepEqual(out.map((i) => i.title), [
    "[127.0.0.1] b1",
    "[127.0.0.1] b2",
    "[A] a1",
    "[127.0.0.1] b3",
  ]);
  const [, , , last] = out;
  assert.equal(decodeItemId(last.enclosure!.url.split("/")[2]).guid, "b3");
});

Deno.test("itemIdOf() skips items whose id would not decode back to them", () => {
  assert.equal(itemIdOf({ guid: "g" }), undefined);
  assert.equal(itemIdOf({ guid: "g", enclosure: { url: "ftp://x/y.mp3" } }), undefined);
  const ambiguous = {
    guid: "g",
    enclosure: { url: "https://t.example/r/,https://cdn.example/a.mp3" },
  };
  assert.equal(itemIdOf(ambiguous), undefined);
  assert.ok(itemIdOf({ guid: "g,https://x", enclosure: { url: "https://cdn.example/a.mp3" } }));
  assert.equal(prefixedTitle("Show", "  "), "[Show] Untitled episode");
});

Deno.test("TokenBuckets grants the burst, then one token per refill interval", () => {
  const clock = new FakeClock();
  const b = new TokenBuckets({ capacity: 2, perMinute: 2, clock, maxSubjects: 2 });
  assert.equal(b.take("a"), 0);
  assert.equal(b.take("a"), 0);
  assert.equal(b.take("a"), 30);
  clock.advance(30_000);
  assert.equal(b.take("a"), 0);
  assert.equal(b.take("b"), 0);
  assert.equal(b.take("c"), 0);
  assert.equal(b.size, 2, "the least recently seen subject was forgotten");
});

Deno.test("personal items drop non-http links and skip notes never show URL credentials", () => {
  const item: FeedItem = {
    guid: "g1",
    title: "One",
    link: "javascript:alert(1)",
    enclosure: { url: "https://cdn.example.org/1.mp3" },
  };
  const [built] = latestItems(
    [{ source: sources[0], feed: cached({ title: "Pod", items: [item] }) }],
    (feed, id) => `https://play.example.org/t/${feed}/${id}`,
    10,
  );
  assert.equal(built.link, undefined);
  const notes = skippedComments([{
    source: { feed: "f", feedUrl: "http://user:hunter2@127.0.0.1:9/private.xml" },
    error: "upstream_error",
  }]);
  assert.equal(notes.length, 1);
  assert.ok(!notes[0].includes("hunter2") && !notes[0].includes("user:"), notes[0]);
});
