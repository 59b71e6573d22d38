import assert from "node:assert/strict";
import { encodeFeedId } from "../../src/domain/ids.ts";
import { listSubscriptions } from "../../src/store/queries.ts";
import { csrfOf, kvSnapshot } from "../_support/auth_app.ts";
import { startFeedServer } from "../_support/feed_server.ts";
import {
  buildPageApp,
  fixtureFeed,
  itemWith,
  loggedIn,
  seqOf,
  SHOW,
  SHOW_COVER,
} from "./_pages.ts";

Deno.test("subscriptions page: a feed URL from a fixture server is previewed with its title and cover, then subscribed", async () => {
  const server = await startFeedServer();
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    const { url, feed } = fixtureFeed(server.origin);
    const page = await b.get("/subscriptions");
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<label for="feed-url">Feed URL<\/label>/);
    assert.match(html, /You do not follow any podcast yet/);

    const preview = await b.post("/subscriptions", { csrf: csrfOf(html), url });
    assert.equal(preview.status, 200);
    const shown = await preview.text();
    assert.match(shown, new RegExp(`<h3 id="preview-heading">${SHOW}</h3>`));
    assert.ok(shown.includes(`src="${SHOW_COVER}"`), "the cover is shown");
    assert.match(shown, /Ada &amp; Grace/);
    assert.match(shown, /A weekly chat about open podcasting, sync &amp; feeds\./);
    assert.doesNotMatch(shown, /<b>open podcasting/, "no feed HTML is injected");
    assert.ok(shown.includes(`action="/podcasts/${feed}/subscribe"`));
    assert.match(shown, new RegExp(`aria-label="Subscribe to ${SHOW}">Subscribe</button>`));
    assert.equal(await seqOf(t, userId), 0, "a preview writes no event");

    const done = await b.post(`/podcasts/${feed}/subscribe`, {
      csrf: csrfOf(shown),
      return_to: "/subscriptions?added=1",
    });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get("Location"), "/subscriptions?added=1");
    const [sub] = await listSubscriptions(t.kv, userId);
    assert.equal(sub.rss_source_feed, feed);
    assert.equal(sub.feed_title, "Tech & Tea — The Feed Fixture Show");

    const list = await (await b.get("/subscriptions?added=1")).text();
    assert.match(list, /role="status">Subscribed\./);
    const row = itemWith(list, `href="/podcasts/${feed}"`);
    assert.ok(row.includes(`src="${SHOW_COVER}"`));
    assert.match(row, new RegExp(`<strong>${SHOW}</strong>`));
    assert.match(row, /Ada &amp; Grace/);
    assert.match(row, /Last episode: <time datetime="2026-01-13T07:00:00.000Z">2026-01-13<\/time>/);
    assert.match(row, new RegExp(`<label for="privacy-0" class="inline-label">Privacy of ${SHOW}`));
    assert.match(row, new RegExp(`<summary aria-label="Unsubscribe from ${SHOW}">Unsubscribe`));

    // The dashboard lists its episodes at once (the stored list was written on subscribing).
    const home = await (await b.get("/")).text();
    assert.match(home, /Episode 26: Hex &amp; the &lt;guid&gt;/);

    // Previewing it again says it is already followed.
    const again = await b.post("/subscriptions", { csrf: csrfOf(list), url });
    assert.match(await again.text(), /You already follow this podcast/);
  } finally {
    await server.close();
    await t.close();
  }
});

Deno.test("subscriptions page: a bad URL, a non-feed or an unreachable server is a message on the form (422), nothing written", async () => {
  const server = await startFeedServer();
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    const csrf = csrfOf(await (await b.get("/subscriptions")).text());
    const cases: [string, RegExp][] = [
      ["", /Enter the address of the podcast&#39;s feed|Enter the address of the podcast's feed/],
      ["not a url at all", /not an address a podcast feed can have/],
      ["ftp://example.org/feed.xml", /not an address a podcast feed can have/],
      ["javascript:alert(1)", /not an address a podcast feed can have/],
      [`${server.origin}/status/200`, /does not lead to a podcast feed/],
      [`${server.origin}/status/500`, /could not be reached or answered with an error/],
      ["https://x".padEnd(5000, "x"), /not an address a podcast feed can have/],
    ];
    for (const [url, message] of cases) {
      const res = await b.post("/subscriptions", { csrf, url });
      assert.equal(res.status, 422, url.slice(0, 60));
      assert.equal(res.headers.get("content-type"), "text/html; charset=UTF-8");
      const html = await res.text();
      assert.match(html, message, url.slice(0, 60));
      assert.match(html, /id="feed-url-error"/);
      assert.match(html, /aria-invalid="true"/);
      assert.doesNotMatch(html, /SECRET-UPSTREAM-BODY/);
    }
    assert.equal(await seqOf(t, userId), 0);
  } finally {
    await server.close();
    await t.close();
  }
});

Deno.test("subscriptions page: a loopback or metadata address is refused on the form without any connection", async () => {
  const server = await startFeedServer();
  const t = await buildPageApp({ ALLOW_PRIVATE_FEEDS: "0" });
  try {
    const { b, userId } = await loggedIn(t);
    const csrf = csrfOf(await (await b.get("/subscriptions")).text());
    for (
      const url of [
        `${server.origin}/feed.xml`,
        `http://0x7f.1:${server.port}/feed.xml`,
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:7f00:1]/feed.xml",
      ]
    ) {
      const res = await b.post("/subscriptions", { csrf, url });
      assert.equal(res.status, 422, url);
      assert.match(await res.text(), /private or local network/, url);
    }
    assert.equal(server.connections, 0, "no connection was made");
    assert.equal(await seqOf(t, userId), 0);
  } finally {
    await server.close();
    await t.close();
  }
});

Deno.test("subscriptions forms refuse a missing or stale CSRF token and write nothing", async () => {
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    const stale = csrfOf(await (await b.get("/subscriptions")).text());
    await b.post("/users/log_out", { csrf: stale });
    await b.logIn("alice");
    const feed = encodeFeedId("https://feeds.example.org/a.xml");
    const before = await kvSnapshot(t.kv);
    for (const csrf of [undefined, "", stale]) {
      const fields: Record<string, string> = csrf === undefined ? {} : { csrf };
      for (
        const path of [
          "/subscriptions",
          `/podcasts/${feed}/subscribe`,
          `/podcasts/${feed}/unsubscribe`,
          "/subscriptions.opml",
        ]
      ) {
        const res = await b.post(path, { ...fields, url: "https://feeds.example.org/a.xml" });
        assert.equal(res.status, 403, `${path} with ${csrf}`);
        assert.equal((await res.json()).error.code, "forbidden");
      }
    }
    assert.equal(await seqOf(t, userId), 0);
    // Sessions rotate on log-in; nothing else changed.
    assert.equal((await kvSnapshot(t.kv)).length, before.length);
  } finally {
    await t.close();
  }
});

Deno.test("subscriptions page: a browser gets an HTML error page, never JSON, for a refused form", async () => {
  const t = await buildPageApp();
  try {
    const { b } = await loggedIn(t);
    const res = await b.request("/subscriptions", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "text/html" },
      body: "url=https%3A%2F%2Fexample.org%2Ffeed.xml&csrf=wrong",
    });
    assert.equal(res.status, 403);
    assert.match(res.headers.get("content-type")!, /^text\/html/);
    assert.match(await res.text(), /<title>Not allowed · Balados Sync<\/title>/);
  } finally {
    await t.close();
  }
});

Deno.test("unsubscribe goes through a confirmation form and comes back to the list", async () => {
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    const feed = encodeFeedId("https://feeds.example.org/a.xml");
    await t.deps.registry.execute(userId, { type: "Subscribe", data: { feed } });
    const html = await (await b.get("/subscriptions")).text();
    assert.match(
      html,
      /<details class="confirm"\s*><summary aria-label="Unsubscribe from feeds.example.org">/,
    );
    assert.ok(html.includes(`action="/podcasts/${feed}/unsubscribe"`));
    t.clock.advance(1000);
    const res = await b.post(`/podcasts/${feed}/unsubscribe`, {
      csrf: csrfOf(html),
      return_to: "/subscriptions?removed=1",
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/subscriptions?removed=1");
    assert.deepEqual(await listSubscriptions(t.kv, userId), []);
    const after = await (await b.get("/subscriptions?removed=1")).text();
    assert.match(after, /Unsubscribed\./);
    assert.match(after, /You do not follow any podcast yet/);
  } finally {
    await t.close();
  }
});

Deno.test("unsubscribe refuses a feed never followed (404), a bad feed id (400) and an off-site return_to", async () => {
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    const csrf = csrfOf(await (await b.get("/subscriptions")).text());
    const never = encodeFeedId("https://feeds.example.org/never.xml");
    const res = await b.post(`/podcasts/${never}/unsubscribe`, { csrf });
    assert.equal(res.status, 404);
    for (const bad of ["%%%", "bm90IGEgdXJs", "x".repeat(5000)]) {
      const r = await b.post(`/podcasts/${bad}/subscribe`, { csrf });
      assert.equal(r.status, 400, bad.slice(0, 20));
      assert.equal((await r.json()).error.code, "invalid_feed_id");
    }
    assert.equal(await seqOf(t, userId), 0);
    const feed = encodeFeedId("https://feeds.example.org/a.xml");
    const off = await b.post(`/podcasts/${feed}/subscribe`, {
      csrf,
      return_to: "//evil.example/",
    });
    assert.equal(off.status, 303);
    assert.equal(off.headers.get("Location"), `/podcasts/${feed}`);
  } finally {
    await t.close();
  }
});
