import assert from "node:assert/strict";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import { saveFeedMeta } from "../../src/store/feed_meta.ts";
import { buildPageApp, loggedIn, unescapeHtml } from "./_pages.ts";

const FEED_URL = "https://feeds.example.org/show.xml";
const FEED = encodeFeedId(FEED_URL);
const item = (n: number) => encodeItemId(`ep-${n}`, `https://cdn.example.org/${n}.mp3`);

/** Episode numbers listed on a history page, in order. */
function listed(html: string): number[] {
  return [...html.matchAll(/<strong>Episode (\d+)<\/strong>/g)].map((m) => Number(m[1]));
}

function nextLink(html: string): string | null {
  const m = /<a href="([^"]+)" rel="next">Older<\/a>/.exec(html);
  return m ? unescapeHtml(m[1]) : null;
}

Deno.test("history page: plays newest first in cursor pages, filtered by in progress and played", async () => {
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    await saveFeedMeta(t.kv, {
      feed: FEED,
      feedUrl: FEED_URL,
      title: "The Show",
      episodes: Array.from({ length: 30 }, (_, i) => ({ item: item(i), title: `Episode ${i}` })),
    }, { now: t.clock.now() });
    for (let n = 0; n < 30; n++) {
      await t.deps.registry.execute(userId, {
        type: "RecordPlay",
        data: { feed: FEED, item: item(n), position: 60 * n, duration: 3600, played: n % 3 === 0 },
      });
      t.clock.advance(1000);
    }
    const first = await b.get("/history");
    assert.equal(first.status, 200);
    const page1 = await first.text();
    assert.match(page1, /<title>History · Balados Sync<\/title>/);
    assert.match(page1, /<a href="\/history" aria-current="page">All<\/a>/);
    assert.deepEqual(listed(page1), Array.from({ length: 25 }, (_, i) => 29 - i));
    assert.match(page1, /<progress max="3600" value="1740" aria-label="Progress of Episode 29">/);
    assert.match(page1, /29:00 of 1:00:00/);
    const next = nextLink(page1)!;
    assert.match(next, /^\/history\?cursor=/);
    const page2 = await (await b.get(next)).text();
    assert.deepEqual(listed(page2), [4, 3, 2, 1, 0]);
    assert.equal(nextLink(page2), null);
    assert.match(page2, /<a href="\/history">Newest<\/a>/);

    const played = await (await b.get("/history?filter=played")).text();
    assert.match(played, /<a href="\/history\?filter=played" aria-current="page">Played<\/a>/);
    assert.deepEqual(listed(played), [27, 24, 21, 18, 15, 12, 9, 6, 3, 0]);
    assert.doesNotMatch(played, /<progress/);
    const progress = await (await b.get("/history?filter=in-progress")).text();
    const inProgress = listed(progress);
    assert.equal(inProgress.length, 20);
    assert.ok(inProgress.every((n) => n % 3 !== 0));
    assert.match(progress, /class="badge progress">In progress/);
  } finally {
    await t.close();
  }
});

Deno.test("history page: a bad filter or a cursor of another query is a 400", async () => {
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    for (let n = 0; n < 30; n++) {
      await t.deps.registry.execute(userId, {
        type: "RecordPlay",
        data: { feed: FEED, item: item(n), position: n },
      });
    }
    const next = nextLink(await (await b.get("/history")).text())!;
    const cursor = new URL(next, "http://x").searchParams.get("cursor")!;
    for (
      const path of [
        "/history?filter=everything",
        `/history?filter=played&cursor=${cursor}`,
        "/history?cursor=not-a-cursor",
        `/history?cursor=${"A".repeat(600)}`,
      ]
    ) {
      const res = await b.get(path);
      assert.equal(res.status, 400, path.slice(0, 50));
    }
    const empty = await (await b.get("/history?filter=played")).text();
    assert.match(empty, /No plays to show/);
  } finally {
    await t.close();
  }
});
