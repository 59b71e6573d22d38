import assert from "node:assert/strict";
import { revokeUserToken } from "../../src/auth/user_tokens.ts";
import { decodeItemId, encodeFeedId } from "../../src/domain/ids.ts";
import { parseFeed } from "../../src/rss/parse.ts";
import { startFeedServer } from "../_support/feed_server.ts";
import { buildFeedApp, EP26, itemId, reader, subscribe } from "./_app.ts";

const SHOW = "Tech & Tea — The Feed Fixture Show";

Deno.test("the subscriptions feed merges the feeds that answer in time and notes the others", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp({ feedOptions: { deadlineMs: 500 } });
  const r = await reader(t);
  const [rssFeed, atomFeed] = await subscribe(
    t,
    r.userId,
    `${server.origin}/fixtures/podcast_rss.xml`,
    `${server.origin}/fixtures/podcast_atom.xml`,
    `${server.origin}/stall`,
    `${server.origin}/status/500`,
  );
  const started = performance.now();
  const res = await t.app.request(`/rss/${r.token}/subscriptions`);
  const xml = await res.text();
  assert.ok(performance.now() - started < 1_500, "the hanging origin did not hold the feed");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/rss+xml; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "private, max-age=60");
  assert.equal(res.headers.get("x-robots-tag"), "noindex");
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  assert.match(
    xml,
    /<rss version="2.0" xmlns:itunes="http:\/\/www.itunes.com\/dtds\/podcast-1.0.dtd">/,
  );
  assert.match(xml, /<channel>[^]*<itunes:block>Yes<\/itunes:block>[^]*<item>/);
  assert.match(xml, new RegExp(`<!-- skipped ${server.origin}/stall \\(upstream_timeout\\) -->`));
  assert.match(
    xml,
    new RegExp(`<!-- skipped ${server.origin}/status/500 \\(upstream_error\\) -->`),
  );

  const feed = parseFeed(xml);
  assert.deepEqual(feed.items.map((i) => i.title), [
    `[${SHOW}] Episode 26: Hex & the <guid>`,
    "[Les Ondes Atomiques] Épisode 2 : la radioactivité",
    `[${SHOW}] Episode 25: “Café” culture & license to sync`,
    "[Les Ondes Atomiques] Épisode 1",
    `[${SHOW}] Episode 24 (part 2)`,
    `[${SHOW}] Episode 24 (part 1)`,
    `[${SHOW}] Episode 23: the very long show notes`,
    `[${SHOW}] Bonus: no date, no guid`,
  ]);
  const first = feed.items[0];
  // The origin's guid under its feed id: stable, and unique across podcasts.
  assert.match(first.guid, /^[A-Za-z0-9_-]+:0x1A$/, "guids keep the original one");
  assert.match(xml, /<guid isPermaLink="false">[A-Za-z0-9_-]+:0x1A<\/guid>/);
  const guids = feed.items.map((i) => i.guid);
  assert.equal(new Set(guids).size, guids.length, "no two episodes share a guid");
  assert.equal(first.pubDate, Date.parse("2026-01-13T07:00:00Z"));
  assert.match(xml, /<pubDate>Tue, 13 Jan 2026 07:00:00 GMT<\/pubDate>/);
  const ep26 = itemId(EP26.guid, EP26.enclosure);
  assert.equal(first.enclosure?.url, `http://localhost:8000/play/${r.token}/${rssFeed}/${ep26}`);
  assert.equal(first.enclosure?.length, 48213504);
  assert.equal(first.description?.includes("<code>0x1A</code>"), true);
  const atomItem = feed.items[1];
  const [feedId, item] = atomItem.enclosure!.url.split("/").slice(-2);
  assert.equal(feedId, atomFeed);
  assert.equal(decodeItemId(item).enclosureUrl, "https://cdn.ondes.example.org/ep2.mp3");
  assert.ok(!/<enclosure url="https:\/\/cdn/.test(xml), "no original enclosure URL is left");

  await server.close();
  await t.close();
});

Deno.test("the /api/v1/rss/user alias and PLAY_HOST gateway URLs", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp({ env: { PLAY_HOST: "play.example.org" } });
  const r = await reader(t);
  const [feed] = await subscribe(t, r.userId, `${server.origin}/fixtures/podcast_rss.xml`);
  const res = await t.app.request(`/api/v1/rss/user/${r.token}/subscriptions`);
  assert.equal(res.status, 200);
  const first = parseFeed(await res.text()).items[0];
  const ep26 = itemId(EP26.guid, EP26.enclosure);
  assert.equal(first.enclosure?.url, `https://play.example.org/${r.token}/${feed}/${ep26}`);
  await server.close();
  await t.close();
});

Deno.test("an unknown, malformed or revoked token gets the same bare 404", async () => {
  const t = await buildFeedApp();
  const r = await reader(t);
  const paths = (token: string) => [
    `/rss/${token}/subscriptions`,
    `/rss/${token}/playlists/abc`,
    `/api/v1/rss/user/${token}/subscriptions`,
    `/api/v1/rss/user/${token}/playlist/abc`,
  ];
  const bodies = new Set<string>();
  assert.equal((await t.app.request(paths(r.token)[0])).status, 200);
  assert.ok(await revokeUserToken(t.deps, r.userId, r.token.slice(0, 8)));
  for (const token of [r.token, "x".repeat(43), "short", "%00"]) {
    for (const path of paths(token)) {
      const res = await t.app.request(path);
      assert.equal(res.status, 404, path);
      bodies.add(await res.text());
    }
  }
  assert.equal(bodies.size, 1, "no hint whether the token ever existed");
  await t.close();
});

Deno.test("a playlist feed keeps playlist order and survives a missing feed", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp();
  const r = await reader(t);
  const rssFeed = encodeFeedId(`${server.origin}/fixtures/podcast_rss.xml`);
  const gone = encodeFeedId(`${server.origin}/status/410`);
  const ep25 = itemId("007", "https://cdn.example.com/audio/ep25.mp3");
  const ep26 = itemId(EP26.guid, EP26.enclosure);
  const lost = itemId("lost-1", "https://cdn.example.com/audio/lost.mp3");
  const run = (command: Parameters<typeof t.deps.registry.execute>[1]) =>
    t.deps.registry.execute(r.userId, command);
  await run({ type: "CreatePlaylist", data: { id: "morning", name: "Morning <run>" } });
  await run({ type: "AddPlaylistItem", data: { id: "morning", feed: rssFeed, item: ep25 } });
  await run({ type: "AddPlaylistItem", data: { id: "morning", feed: gone, item: lost } });
  await run({ type: "AddPlaylistItem", data: { id: "morning", feed: rssFeed, item: ep26 } });

  for (
    const path of [
      `/rss/${r.token}/playlists/morning`,
      `/api/v1/rss/user/${r.token}/playlist/morning`,
    ]
  ) {
    const res = await t.app.request(path);
    assert.equal(res.status, 200);
    const xml = await res.text();
    const feed = parseFeed(xml);
    assert.equal(feed.title, "Morning <run>");
    assert.deepEqual(
      feed.items.map((i) => i.guid.slice(i.guid.indexOf(":") + 1)),
      ["007", "lost-1", "0x1A"],
    );
    assert.equal(feed.items[0].title, `[${SHOW}] Episode 25: “Café” culture & license to sync`);
    assert.equal(
      feed.items[1].enclosure?.url,
      `http://localhost:8000/play/${r.token}/${gone}/${lost}`,
    );
    assert.match(xml, /<!-- skipped http:\/\/127.0.0.1:\d+\/status\/410 \(upstream_error\) -->/);
    assert.match(xml, /<itunes:block>Yes<\/itunes:block>/);
  }
  for (const id of ["nope", "../x", "a".repeat(300)]) {
    assert.equal((await t.app.request(`/rss/${r.token}/playlists/${id}`)).status, 404, id);
  }
  await run({ type: "DeletePlaylist", data: { id: "morning" } });
  assert.equal((await t.app.request(`/rss/${r.token}/playlists/morning`)).status, 404);
  await server.close();
  await t.close();
});

Deno.test("the subscriptions feed of a user with no subscriptions is an empty valid feed", async () => {
  const t = await buildFeedApp();
  const r = await reader(t);
  const res = await t.app.request(`/rss/${r.token}/subscriptions`);
  assert.equal(res.status, 200);
  const feed = parseFeed(await res.text());
  assert.equal(feed.items.length, 0);
  assert.equal(feed.title, "My podcasts (Balados Sync)");
  await t.close();
});
