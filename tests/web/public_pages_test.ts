/**
 * The visitor pages: /discover, /timeline and /u/{username} show exactly what the public
 * API allows (public listeners by name, anonymous ones only in counts, private ones
 * nowhere), follow privacy changes after the projection and the roll, page and filter like
 * the API, and answer hostile query strings with a 4xx page, never a 500.
 */
import assert from "node:assert/strict";
import { Browser, kvSnapshot } from "../_support/auth_app.ts";
import { type ApiClient, feedId, feedUrl, itemId, withApi } from "../api/_api.ts";
import { settle } from "../public/_public.ts";
import { saveFeedMeta } from "../../src/store/feed_meta.ts";
import type { AuthTestApp } from "../_support/auth_app.ts";

/** GETs a page as a browser would, and reads it whole. */
async function page(t: AuthTestApp, path: string, cookie?: Browser) {
  const res = cookie
    ? await cookie.get(path)
    : await t.app.request(path, { headers: { Accept: "text/html" } });
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    html: await res.text(),
  };
}

/** The lines of the page's activity list (its `<li>` elements). */
function activity(html: string): string[] {
  const list = /<ul class="list" aria-label="[^"]*">([\s\S]*?)<\/ul>/.exec(html);
  return list ? list[1].split("<li>").slice(1) : [];
}

/** Gives feed `n` a title, an author, a cover and titles for its first episodes. */
async function describeFeed(t: AuthTestApp, n: number, title: string): Promise<void> {
  await saveFeedMeta(t.kv, {
    feed: feedId(n),
    feedUrl: feedUrl(n),
    title,
    author: `${title} Team`,
    cover: `https://img.example.org/${n}.jpg`,
    episodes: [1, 2, 3].map((e) => ({ item: itemId(n, e), title: `${title} episode ${e}` })),
  }, { now: t.clock.now() });
}

async function listen(u: ApiClient, feed: number, episode: number): Promise<void> {
  assert.ok((await u.post("/subscriptions", { rss_source_feed: feedId(feed) })).status < 300);
  const play = { rss_source_feed: feedId(feed), rss_source_item: itemId(feed, episode) };
  assert.equal((await u.post("/play", { ...play, position: 30 })).status, 200);
  u.t.clock.advance(1_000);
}

/** The HTML-escaped form of an id in an attribute (`=` never appears: ids are unpadded). */
function attr(text: string): string {
  return text.replace(/&/g, "&amp;");
}

Deno.test("discover and timeline: a public listener by name, an anonymous one only in counts, a private one nowhere", async () => {
  await withApi({}, async ({ t, api: alice, user }) => {
    await describeFeed(t, 1, "Morning Show");
    const bob = await user("bob");
    const carol = await user("carol");
    assert.equal((await bob.put("/privacy", { privacy: "anonymous" })).status, 200);
    assert.equal((await carol.put("/privacy", { privacy: "private" })).status, 200);
    for (const u of [alice, bob, carol]) await listen(u, 1, 1);
    await settle(t);

    const discover = await page(t, "/discover");
    assert.equal(discover.status, 200);
    assert.match(discover.type, /text\/html/);
    assert.match(discover.html, /<title>Discover · Balados Sync<\/title>/);
    assert.ok(discover.html.includes(`href="/podcasts/${feedId(1)}"`), "podcast links");
    assert.ok(
      discover.html.includes(attr(`href="/episodes/${itemId(1, 1)}?feed=${feedId(1)}"`)),
      "episode links",
    );
    assert.match(discover.html, /Morning Show episode 1/);
    assert.match(discover.html, /src="https:\/\/img\.example\.org\/1\.jpg"/, "the cover");
    // Two subscriptions and two plays count (alice and bob); carol's count nowhere.
    assert.match(discover.html, /<strong>30 points<\/strong> this period/);
    assert.match(discover.html, /2 plays/);
    assert.match(discover.html, /Played by <a href="\/u\/alice">alice<\/a><\/p>/);
    assert.ok(!/bob|carol/.test(discover.html), "anonymous and private listeners are never named");

    const timeline = await page(t, "/timeline");
    assert.equal(timeline.status, 200);
    const lines = activity(timeline.html);
    assert.equal(lines.length, 4, "alice's and bob's subscribe and play; nothing of carol");
    assert.equal(lines.filter((l) => l.includes('<a href="/u/alice">alice</a>')).length, 2);
    assert.equal(lines.filter((l) => l.includes("<span>Someone</span>")).length, 2);
    assert.ok(!/bob|carol/.test(timeline.html));
    assert.ok(
      lines.some((l) => /played <a href="\/episodes\/[^"]+">Morning Show episode 1</.test(l)),
    );
    assert.ok(lines.some((l) => /subscribed to <a href="\/podcasts\/[^"]+">Morning Show</.test(l)));
  });
});

Deno.test("a podcast its only listener makes private leaves discover and timeline after the projection and the roll", async () => {
  await withApi({}, async ({ t, api: alice }) => {
    await describeFeed(t, 1, "Morning Show");
    await listen(alice, 1, 1);
    await settle(t);
    assert.match((await page(t, "/discover")).html, /Morning Show/);
    assert.equal(activity((await page(t, "/timeline")).html).length, 2);
    assert.equal((await page(t, "/u/alice")).status, 200);

    await alice.put("/privacy", { privacy: "private", feed: feedId(1) });
    await settle(t);
    const discover = await page(t, "/discover");
    assert.ok(!discover.html.includes("Morning Show"));
    assert.match(discover.html, /Nothing trending yet/);
    assert.match(discover.html, /No episode is trending yet/);
    const timeline = await page(t, "/timeline");
    assert.equal(activity(timeline.html).length, 0);
    assert.match(timeline.html, /Nothing on the timeline yet/);
    assert.equal((await page(t, "/u/alice")).status, 404);
  });
});

Deno.test("empty discover and timeline pages say so in plain words", async () => {
  await withApi({}, async ({ t }) => {
    const discover = await page(t, "/discover");
    assert.equal(discover.status, 200);
    assert.match(discover.html, /<h2 id="trending-podcasts">Trending podcasts<\/h2>/);
    assert.match(discover.html, /Nothing trending yet\./);
    assert.match(discover.html, /over the last 7 days/);
    const timeline = await page(t, "/timeline");
    assert.equal(timeline.status, 200);
    assert.match(timeline.html, /<label for="timeline-event-type">Activity<\/label>/);
    assert.match(timeline.html, /<label for="timeline-feed">Podcast<\/label>/);
    assert.match(timeline.html, /Nothing on the timeline yet\./);
    assert.ok(!timeline.html.includes('rel="next"'), "no pages");
  });
});

Deno.test("timeline: filters by kind and podcast, and pages through with Older and Newest", async () => {
  await withApi({}, async ({ t, api: alice }) => {
    await describeFeed(t, 1, "Morning Show");
    await describeFeed(t, 2, "Night Owls");
    await listen(alice, 1, 1);
    await listen(alice, 2, 1);
    await listen(alice, 2, 2);
    await alice.post(`/episodes/${itemId(2, 2)}/save?feed=${feedId(2)}`);
    await settle(t);

    assert.equal(activity((await page(t, "/timeline")).html).length, 6);
    const plays = await page(t, "/timeline?event_type=play");
    assert.equal(plays.status, 200);
    const playLines = activity(plays.html);
    assert.equal(playLines.length, 3);
    assert.ok(playLines.every((l) => l.includes(" played ")));
    assert.match(plays.html, /<option value="play" selected>Plays<\/option>/);
    assert.match(plays.html, /Clear filters/);

    // Every podcast on the page (and trending) is offered; the chosen one stays selected.
    const night = await page(t, `/timeline?feed=${feedId(2)}`);
    assert.match(night.html, new RegExp(`<option value="${feedId(2)}" selected>Night Owls`));
    assert.match(night.html, /<option value="[^"]+" *>Morning Show<\/option>/);
    const nightLines = activity(night.html);
    assert.equal(nightLines.length, 4, "one subscription (counted once), two plays, one like");
    assert.ok(nightLines.every((l) => l.includes("Night Owls")));
    const both = activity((await page(t, `/timeline?feed=${feedId(2)}&event_type=save`)).html);
    assert.equal(both.length, 1);
    assert.match(both[0], /liked <a [^>]+>Night Owls episode 2</);

    // Pages of two: Older follows the cursor, Newest goes back; the filter stays.
    const first = await page(t, "/timeline?limit=2&event_type=play");
    assert.equal(activity(first.html).length, 2);
    assert.ok(!first.html.includes(">Newest<"), "the first page has no way back");
    const older = /<a href="([^"]+)" rel="next">Older<\/a>/.exec(first.html);
    assert.ok(older, "an Older link");
    const next = older[1].replace(/&amp;/g, "&");
    assert.match(next, /event_type=play/);
    assert.match(next, /limit=2/);
    const second = await page(t, next);
    assert.equal(second.status, 200);
    const secondLines = activity(second.html);
    assert.equal(secondLines.length, 1);
    assert.match(secondLines[0], /Morning Show episode 1/, "the oldest play comes last");
    assert.match(second.html, /<a href="\/timeline\?event_type=play&amp;limit=2">Newest<\/a>/);
    assert.ok(!second.html.includes('rel="next"'));

    // The API's offset works here too.
    const offset = activity((await page(t, "/timeline?event_type=play&offset=2")).html);
    assert.deepEqual(offset, secondLines);
  });
});

Deno.test("profile: a public listener's page with recent activity and public playlists; a logged-in visitor keeps the navigation", async () => {
  await withApi({}, async ({ t, api: alice }) => {
    await describeFeed(t, 1, "Morning Show");
    await listen(alice, 1, 1);
    const made = await alice.post("/playlists", { name: "Best of mornings", is_public: true });
    assert.equal(made.status, 201, made.text);
    const item = { rss_source_feed: feedId(1), rss_source_item: itemId(1, 2) };
    assert.ok((await alice.post(`/playlists/${made.body.id}/items`, item)).status < 300);
    await alice.post("/playlists", { name: "Secret list", is_public: false });
    await settle(t);

    const profile = await page(t, "/u/alice");
    assert.equal(profile.status, 200);
    assert.match(profile.html, /<title>alice · Balados Sync<\/title>/);
    assert.match(profile.html, /<h3>Best of mornings<\/h3>/);
    assert.match(profile.html, /Morning Show episode 2/, "the playlist's episode by its title");
    assert.ok(!profile.html.includes("Secret list"), "private playlists stay private");
    const lines = activity(profile.html);
    assert.equal(lines.length, 2);
    assert.match(lines.join(""), /Played <a href="\/episodes\/[^"]+">Morning Show episode 1</);
    assert.match(lines.join(""), /Subscribed to <a href="\/podcasts\//);
    assert.equal((await page(t, "/u/ALICE")).status, 200, "usernames are case-insensitive");

    const b = new Browser(t.app);
    assert.equal((await b.register("dave")).status, 303);
    for (const path of ["/discover", "/timeline", "/u/alice"]) {
      const r = await page(t, path, b);
      assert.equal(r.status, 200, path);
      assert.match(r.html, /Log out dave/, `${path} has the listener's navigation`);
    }
  });
});

Deno.test("profile: unknown, anonymous-only and private listeners get the same 404 page", async () => {
  await withApi({}, async ({ t, user }) => {
    const bob = await user("bob");
    const carol = await user("carol");
    await bob.put("/privacy", { privacy: "anonymous" });
    await carol.put("/privacy", { privacy: "private" });
    await listen(bob, 1, 1);
    await listen(carol, 1, 1);
    await user("erin"); // exists, did nothing public
    await settle(t);
    for (
      const name of ["bob", "carol", "erin", "nobody-here", "x", "a".repeat(5_000), "%00", "..%2f"]
    ) {
      const r = await page(t, `/u/${name}`);
      assert.equal(r.status, 404, name.slice(0, 20));
      assert.match(r.type, /text\/html/, "an HTML page, not JSON");
      assert.match(r.html, /<title>Page not found · Balados Sync<\/title>/);
      assert.match(r.html, /No public profile goes by that name\./);
    }
  });
});

Deno.test("hostile timeline query strings get a 4xx page with the form, never a 500, and write nothing", async () => {
  await withApi({}, async ({ t, api: alice }) => {
    await listen(alice, 1, 1);
    await listen(alice, 2, 1);
    await settle(t);
    const first = await page(t, "/timeline?limit=1");
    const cursor = /cursor=([^"&]+)/.exec(first.html)![1];
    const before = await kvSnapshot(t.kv);
    const javascriptFeed = btoa("javascript:alert(1)").replace(/=+$/, "");
    const cases: Array<[string, number, RegExp]> = [
      ["/timeline?offset=99999999999999999999", 422, /Start again from the newest/],
      ["/timeline?offset=-1", 422, /offset must be an integer/],
      ["/timeline?limit=0", 422, /limit must be an integer/],
      ["/timeline?limit=100000", 422, /limit must be an integer/],
      ["/timeline?cursor=not-a-cursor", 400, /out of date or damaged/],
      [`/timeline?cursor=${"A".repeat(100_000)}`, 400, /out of date or damaged/],
      [`/timeline?cursor=${cursor}&event_type=play`, 400, /out of date or damaged/],
      ["/timeline?event_type=constructor", 422, /Choose one of the kinds/],
      ["/timeline?event_type=__proto__", 422, /Choose one of the kinds/],
      ["/timeline?event_type=%3Cscript%3E", 422, /Choose one of the kinds/],
      ["/timeline?feed=%%%", 400, /not a podcast this page knows/],
      [`/timeline?feed=${javascriptFeed}`, 400, /not a podcast this page knows/],
      [`/timeline?feed=${"QUFB".repeat(5_000)}`, 400, /not a podcast this page knows/],
    ];
    for (const [path, status, message] of cases) {
      const r = await page(t, path);
      const what = `${path.slice(0, 80)}: ${r.status}`;
      assert.equal(r.status, status, what);
      assert.match(r.type, /text\/html/, what);
      assert.match(r.html, message, what);
      assert.match(r.html, /<form method="get" action="\/timeline"/, `${what}: the form is back`);
      assert.equal(activity(r.html).length, 0, what);
      assert.ok(!r.html.includes("<script"), `${what}: nothing echoed as markup`);
    }
    const kind = await page(t, "/timeline?event_type=nope");
    assert.match(kind.html, /aria-invalid="true" aria-describedby="timeline-event-type-error"/);
    // The cursor of the unfiltered timeline still works after all that.
    assert.equal((await page(t, `/timeline?limit=1&cursor=${cursor}`)).status, 200);
    assert.deepEqual(await kvSnapshot(t.kv), before, "nothing was written");
  });
});

Deno.test("visitor pages are limited per address like the other anonymous routes, with a 429 page", async () => {
  await withApi({ env: { RATE_LIMIT_ANON: "3" } }, async ({ t }) => {
    const from = { remoteAddr: { hostname: "192.0.2.7" } };
    const html = { headers: { Accept: "text/html" } };
    const statuses: number[] = [];
    for (const path of ["/discover", "/timeline", "/u/alice", "/timeline"]) {
      const res = await t.app.request(path, html, from);
      statuses.push(res.status);
      if (res.status === 429) {
        assert.match(res.headers.get("content-type") ?? "", /text\/html/);
        assert.ok(Number(res.headers.get("retry-after")) >= 1);
      }
      await res.body?.cancel();
    }
    assert.deepEqual(statuses, [200, 200, 404, 429]);
  });
});
