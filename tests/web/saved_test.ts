import assert from "node:assert/strict";
import { kvSnapshot } from "../_support/auth_app.ts";
import { Browser } from "../_support/auth_app.ts";
import { feedId, itemId, knownFeed, location, page, send, submit, withWeb } from "./_settings.ts";

Deno.test("saved page: saved episodes with their titles, cover and episode links, newest first", async () => {
  await withWeb(async ({ api, b, t }) => {
    await knownFeed(api, 1, "https://img.example.org/1.jpg");
    await api.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    t.clock.advance(1_000);
    await api.post(`/episodes/${itemId(2, 1)}/save?feed=${feedId(2)}`); // titles not known yet
    const { status, html } = await page(b, "/saved");
    assert.equal(status, 200);
    assert.match(html, /<title>Saved episodes · Balados Sync<\/title>/);
    assert.match(html, /Episode 1\.1/);
    assert.match(html, /Podcast 1/);
    assert.match(html, /src="https:\/\/img\.example\.org\/1\.jpg"/);
    assert.ok(html.includes(`href="/episodes/${itemId(1, 1)}?feed=${feedId(1)}"`));
    // An episode whose feed was never fetched: its guid and the feed's address, a placeholder.
    assert.match(html, /guid-2-1/);
    assert.match(html, /cover-placeholder/);
    assert.ok(html.indexOf("guid-2-1") < html.indexOf("Episode 1.1"), "newest first");
    assert.match(html, /aria-label="Remove from saved: Episode 1\.1"/);
  });
});

Deno.test("saved page: Remove from saved unsaves the episode and comes back to the list", async () => {
  await withWeb(async ({ api, b }) => {
    await knownFeed(api, 1);
    await api.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    const res = await submit(b, "/saved", "/web/episodes", {
      feed: feedId(1),
      item: itemId(1, 1),
      action: "unsave",
      return_to: "/saved",
    });
    assert.equal(location(res), "/saved");
    assert.deepEqual((await api.get("/episodes/saved")).body.episodes ?? [], []);
    assert.match((await page(b, "/saved")).html, /Nothing saved yet/);
  });
});

Deno.test("saved page: each episode offers the user's playlists", async () => {
  await withWeb(async ({ api, b }) => {
    await api.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    assert.doesNotMatch((await page(b, "/saved")).html, /Add to playlist/);
    const pl = (await api.post("/playlists", { name: "Commute" })).body;
    const { html } = await page(b, "/saved");
    assert.match(html, /<label for="add-to-playlist-0" class="inline-label">Add to playlist/);
    assert.ok(html.includes(`<option value="${pl.id}">Commute</option>`));
  });
});

Deno.test("saved page: a visitor is sent to log in and back; a stale form writes nothing", async () => {
  await withWeb(async ({ api, b, t }) => {
    const visitor = new Browser(t.app);
    const res = await visitor.get("/saved");
    assert.equal(location(res), "/users/log_in?return_to=%2Fsaved");
    await api.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    const before = await kvSnapshot(t.kv);
    const stale = await send(b, "/web/episodes", {
      csrf: "stale-token",
      feed: feedId(1),
      item: itemId(1, 1),
      action: "unsave",
    });
    assert.equal(stale.status, 403);
    assert.match(await stale.text(), /<!doctype html>/);
    assert.deepEqual(await kvSnapshot(t.kv), before);
  });
});
