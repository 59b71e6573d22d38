import assert from "node:assert/strict";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import { Browser, csrfOf, kvSnapshot, userWithApp } from "../_support/auth_app.ts";
import { startFeedServer } from "../_support/feed_server.ts";
import { generateAppKeys, requestJwt } from "../_support/jwt.ts";
import {
  buildPageApp,
  EPISODES,
  fixtureFeed,
  itemOf,
  loggedIn,
  PW,
  seqOf,
  SHOW,
  unescapeHtml,
} from "./_pages.ts";

function attr(html: string, tag: string, name: string): string | undefined {
  const m = new RegExp(`<${tag}\\b[^>]*\\s${name}="([^"]*)"`).exec(html);
  return m ? unescapeHtml(m[1]) : undefined;
}

Deno.test("episode page: the audio source is the feed's enclosure and the page carries the synced position", async () => {
  const server = await startFeedServer();
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    const { feed } = fixtureFeed(server.origin);
    const item = itemOf(EPISODES.ep26);
    await t.deps.registry.execute(userId, {
      type: "RecordPlay",
      data: { feed, item, position: 321, duration: 3723 },
    });
    // A query string cannot choose what the player plays.
    const res = await b.get(
      `/episodes/${item}?feed=${feed}&src=https://evil.example/x.mp3&enclosure=https://evil.example/`,
    );
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<title>Episode 26: Hex &amp; the &lt;guid&gt; · Balados Sync<\/title>/);
    assert.equal(attr(html, "audio", "src"), EPISODES.ep26.enclosure);
    assert.match(html, /<audio controls preload="metadata"/);
    assert.doesNotMatch(html, /evil\.example/);
    assert.equal(attr(html, "div", "data-start"), "321");
    assert.equal(attr(html, "div", "data-feed"), feed);
    assert.equal(attr(html, "div", "data-item"), item);
    assert.equal(attr(html, "div", "data-csrf"), csrfOf(html));
    assert.equal(attr(html, "div", "data-endpoint"), "/web/play");
    assert.match(html, /Synced position: 5:21 of 1:02:03\./);
    assert.match(html, /<script src="\/assets\/player\.js\?v=[a-z0-9]+" defer><\/script>/);
    assert.match(html, new RegExp(`<a href="/podcasts/${feed}">${SHOW}</a>`));
    assert.match(html, /<time datetime="2026-01-13T07:00:00.000Z">2026-01-13<\/time>/);
    // Show notes as plain text: the feed's <code> and <p> never reach the page as markup.
    assert.match(html, /Why a guid of 0x1A must stay a string &amp; not become 26\./);
    assert.doesNotMatch(html, /<code>0x1A/);
    for (const label of ["Mark as played", "Save episode", "Share episode"]) {
      assert.match(html, new RegExp(`>${label}</button>`), label);
    }
    assert.match(html, /<label for="episode-privacy" class="inline-label">Privacy of this episode/);
  } finally {
    await server.close();
    await t.close();
  }
});

Deno.test("episode page: a played episode starts at the beginning; an episode the feed does not list gets no player", async () => {
  const server = await startFeedServer();
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    const { feed } = fixtureFeed(server.origin);
    const item = itemOf(EPISODES.ep25);
    await t.deps.registry.execute(userId, {
      type: "RecordPlay",
      data: { feed, item, position: 2730, played: true },
    });
    const played = await (await b.get(`/episodes/${item}?feed=${feed}`)).text();
    assert.equal(attr(played, "div", "data-start"), "0");
    assert.match(played, />Mark as unplayed<\/button>/);
    assert.match(played, /class="badge status-played">Played/);

    const unknown = encodeItemId("not-there", "https://evil.example/payload.mp3");
    const res = await b.get(`/episodes/${unknown}?feed=${feed}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.doesNotMatch(html, /<audio/);
    assert.doesNotMatch(html, /player\.js/);
    assert.match(html, /no longer in the podcast&#39;s feed|no longer in the podcast's feed/);
    assert.doesNotMatch(html, /src="https:\/\/evil\.example/);
  } finally {
    await server.close();
    await t.close();
  }
});

Deno.test("episode page: bad ids and a link without its podcast are 400", async () => {
  const t = await buildPageApp();
  try {
    const { b } = await loggedIn(t);
    const feed = encodeFeedId("https://feeds.example.org/a.xml");
    const item = encodeItemId("g", "https://cdn.example.org/a.mp3");
    for (
      const [path, code] of [
        [`/episodes/${item}`, "invalid_query"],
        [`/episodes/${item}?feed=%%`, "invalid_feed_id"],
        [`/episodes/bm9wZQ?feed=${feed}`, "invalid_item_id"],
        [`/episodes/${"x".repeat(9000)}?feed=${feed}`, "invalid_item_id"],
      ]
    ) {
      const res = await b.get(path);
      assert.equal(res.status, 400, path.slice(0, 40));
      assert.equal((await res.json()).error.code, code);
    }
  } finally {
    await t.close();
  }
});

Deno.test("POST /web/play records the position that GET /api/v1/play then shows, and played on ended", async () => {
  const t = await buildPageApp();
  try {
    const keys = await generateAppKeys("ES256");
    const { user, appId } = await userWithApp(t, keys, { username: "alice" });
    const b = new Browser(t.app);
    assert.equal((await b.logIn("alice", PW)).status, 303);
    const csrf = csrfOf(await (await b.get("/history")).text());
    const feed = encodeFeedId("https://feeds.example.org/a.xml");
    const item = encodeItemId("g-1", "https://cdn.example.org/a1.mp3");
    const res = await b.post("/web/play", { csrf, feed, item, position: "95", duration: "1800" });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.position, 95);
    assert.equal(body.played, false);
    assert.equal(body.duration, 1800);

    const api = async () => {
      const jwt = await requestJwt(keys, { appId, sub: user.id, nowMs: t.clock.now() });
      const r = await t.app.request("/api/v1/play", {
        headers: { Authorization: `Bearer ${jwt}` },
      });
      return (await r.json()).play_statuses;
    };
    const [status] = await api();
    assert.equal(status.rss_source_item, item);
    assert.equal(status.position, 95);
    assert.equal(status.played, false);

    t.clock.advance(15_000);
    const ended = await b.post("/web/play", { csrf, feed, item, position: "1800", played: "true" });
    assert.equal(ended.status, 200);
    const [after] = await api();
    assert.equal(after.position, 1800);
    assert.equal(after.played, true);
    const events = await t.deps.store.readEvents(user.id, 0);
    assert.deepEqual(events.map((e) => [e.type, e.device?.id]), [
      ["played", "web"],
      ["played", "web"],
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("POST /web/play refuses hostile input with a 4xx JSON error and writes nothing", async () => {
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    const stale = csrfOf(await (await b.get("/history")).text());
    await b.post("/users/log_out", { csrf: stale });
    await b.logIn("alice", PW);
    const csrf = csrfOf(await (await b.get("/history")).text());
    const feed = encodeFeedId("https://feeds.example.org/a.xml");
    const item = encodeItemId("g-1", "https://cdn.example.org/a1.mp3");
    const ok = { csrf, feed, item, position: "10" };
    const before = await kvSnapshot(t.kv);
    const cases: [Record<string, string>, number, string][] = [
      [{ ...ok, csrf: "" }, 403, "forbidden"],
      [{ feed, item, position: "10" }, 403, "forbidden"],
      [{ ...ok, csrf: stale }, 403, "forbidden"],
      [{ ...ok, feed: "%%%" }, 400, "invalid_feed_id"],
      [{ ...ok, feed: encodeFeedId("javascript:alert(1)") }, 400, "invalid_feed_id"],
      [{ ...ok, item: "bm9wZQ" }, 400, "invalid_item_id"],
      [{ ...ok, item: "x".repeat(9000) }, 400, "invalid_item_id"],
      [{ ...ok, position: "-5" }, 422, "validation_failed"],
      [{ ...ok, position: "1e9" }, 422, "validation_failed"],
      [{ ...ok, position: "99999999999" }, 422, "validation_failed"],
      [{ ...ok, position: "12.5" }, 422, "validation_failed"],
      [{ ...ok, position: "" }, 422, "validation_failed"],
      [{ ...ok, duration: "-1" }, 422, "validation_failed"],
      [{ ...ok, played: "yes" }, 422, "validation_failed"],
    ];
    for (const [fields, status, code] of cases) {
      const res = await b.post("/web/play", fields);
      assert.equal(res.status, status, JSON.stringify(fields).slice(0, 80));
      assert.equal((await res.json()).error.code, code);
    }
    const json = await b.request("/web/play", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(ok),
    });
    assert.equal(json.status, 415);
    const multipart = new FormData();
    for (const [k, v] of Object.entries(ok)) multipart.set(k, v);
    const mp = await b.request("/web/play", { method: "POST", body: multipart });
    assert.equal(mp.status, 415);
    const huge = await b.post("/web/play", { ...ok, junk: "x".repeat(1_100_000) });
    assert.equal(huge.status, 413);
    const anonymous = await new Browser(t.app).post("/web/play", ok);
    assert.equal(anonymous.status, 401);
    assert.equal((await anonymous.json()).error.code, "unauthorized");
    assert.equal(await seqOf(t, userId), 0);
    assert.deepEqual(await kvSnapshot(t.kv), before);
  } finally {
    await t.close();
  }
});
