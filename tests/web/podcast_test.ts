import assert from "node:assert/strict";
import { encodeFeedId } from "../../src/domain/ids.ts";
import { saveFeedMeta } from "../../src/store/feed_meta.ts";
import { listSubscriptions } from "../../src/store/queries.ts";
import { csrfOf } from "../_support/auth_app.ts";
import { startFeedServer } from "../_support/feed_server.ts";
import {
  buildPageApp,
  EPISODES,
  fixtureFeed,
  itemOf,
  itemWith,
  loggedIn,
  seqOf,
  SHOW,
  SHOW_COVER,
} from "./_pages.ts";

Deno.test("podcast page: cover, plain-text description and each episode's status for this user, newest first", async () => {
  const server = await startFeedServer();
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    const { feed } = fixtureFeed(server.origin);
    const run = (command: Parameters<typeof t.deps.registry.execute>[1]) =>
      t.deps.registry.execute(userId, command);
    await run({ type: "Subscribe", data: { feed } });
    const ep25 = itemOf(EPISODES.ep25), ep24a = itemOf(EPISODES.ep24a);
    const ep26 = itemOf(EPISODES.ep26), ep23 = itemOf(EPISODES.ep23);
    await run({ type: "RecordPlay", data: { feed, item: ep25, position: 125 } });
    await run({ type: "RecordPlay", data: { feed, item: ep24a, position: 1800, played: true } });
    await run({ type: "SaveEpisode", data: { feed, item: ep26 } });

    const res = await b.get(`/podcasts/${feed}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, new RegExp(`<title>${SHOW} · Balados Sync</title>`));
    assert.match(html, new RegExp(`<h1>${SHOW}</h1>`));
    assert.ok(html.includes(`src="${SHOW_COVER}"`));
    assert.match(html, /<p>A weekly chat about open podcasting, sync &amp; feeds\.<\/p>/);
    assert.doesNotMatch(html, /<b>/);
    assert.match(html, new RegExp(`<summary aria-label="Unsubscribe from ${SHOW}">Unsubscribe`));
    assert.match(html, /<label for="podcast-privacy" class="inline-label">Privacy of this podcast/);
    assert.match(html, /<th scope="row">Score<\/th><td>0<\/td><td>0<\/td>/);

    const status = (item: string) =>
      itemWith(html, `href="/episodes/${item}?feed=${feed}"`).match(/class="badge[^"]*">([^<]+)/g)
        ?.map((m) => m.replace(/.*>/, ""));
    assert.deepEqual(status(ep26), ["New", "Saved"]);
    assert.deepEqual(status(ep25), ["In progress · 2:05"]);
    assert.deepEqual(status(ep24a), ["Played"]);
    assert.deepEqual(status(ep23), ["New"]);
    const order = [ep26, ep25, ep24a, ep23].map((i) => html.indexOf(`/episodes/${i}?`));
    assert.deepEqual([...order].sort((a, b) => a - b), order, "newest first");
    assert.match(html, /Episode 26: Hex &amp; the &lt;guid&gt;/);
  } finally {
    await server.close();
    await t.close();
  }
});

Deno.test("podcast page: subscribe and unsubscribe from the page", async () => {
  const server = await startFeedServer();
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    const { feed } = fixtureFeed(server.origin);
    const page = await (await b.get(`/podcasts/${feed}`)).text();
    assert.match(page, new RegExp(`aria-label="Subscribe to ${SHOW}">\\s*Subscribe\\s*</button>`));
    const sub = await b.post(`/podcasts/${feed}/subscribe`, {
      csrf: csrfOf(page),
      return_to: `/podcasts/${feed}`,
    });
    assert.equal(sub.status, 303);
    assert.equal(sub.headers.get("Location"), `/podcasts/${feed}`);
    assert.equal((await listSubscriptions(t.kv, userId)).length, 1);
    const after = await (await b.get(`/podcasts/${feed}`)).text();
    assert.match(after, /Unsubscribe/);
    t.clock.advance(1000);
    const un = await b.post(`/podcasts/${feed}/unsubscribe`, { csrf: csrfOf(after) });
    assert.equal(un.status, 303);
    assert.equal((await listSubscriptions(t.kv, userId)).length, 0);
  } finally {
    await server.close();
    await t.close();
  }
});

Deno.test("podcast page: a feed that cannot be loaded still shows what is known, with a message", async () => {
  const server = await startFeedServer();
  const t = await buildPageApp();
  try {
    const { b } = await loggedIn(t);
    const url = `${server.origin}/status/500`;
    const feed = encodeFeedId(url);
    await saveFeedMeta(t.kv, {
      feed,
      feedUrl: url,
      title: "Known Show",
      author: "Someone",
      cover: "https://cdn.example.org/known.jpg",
      episodes: [],
    }, { now: t.clock.now() });
    const res = await b.get(`/podcasts/${feed}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<h1>Known Show<\/h1>/);
    assert.match(html, /Someone/);
    assert.ok(html.includes('src="https://cdn.example.org/known.jpg"'));
    assert.match(html, /could not be loaded right now: its server could not be reached/);
    assert.match(html, /No episodes to show/);
    assert.doesNotMatch(html, /SECRET-UPSTREAM-BODY/);
  } finally {
    await server.close();
    await t.close();
  }
});

Deno.test("podcast page: a bad feed id is a 400 page for a browser and a 400 JSON error otherwise", async () => {
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    const html = await b.request("/podcasts/bm90IGEgdXJs", { headers: { Accept: "text/html" } });
    assert.equal(html.status, 400);
    assert.match(await html.text(), /That request could not be understood/);
    for (const bad of ["%%%", "x".repeat(5000), encodeFeedId("file:///etc/passwd")]) {
      const res = await b.get(`/podcasts/${bad}`);
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error.code, "invalid_feed_id");
    }
    assert.equal(await seqOf(t, userId), 0);
  } finally {
    await t.close();
  }
});
