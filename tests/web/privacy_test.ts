import assert from "node:assert/strict";
import { kvSnapshot } from "../_support/auth_app.ts";
import type { ApiClient } from "../api/_api.ts";
import {
  csrfOf,
  feedId,
  itemId,
  knownFeed,
  location,
  page,
  send,
  submit,
  withWeb,
} from "./_settings.ts";

/** Plays episode `e` of feed `n` through the API. */
async function play(api: ApiClient, n: number, e: number) {
  const r = await api.post("/play", {
    rss_source_feed: feedId(n),
    rss_source_item: itemId(n, e),
    position: 30,
  });
  assert.equal(r.status, 200, r.text);
}

async function playedItems(api: ApiClient): Promise<string[]> {
  const r = await api.get("/play");
  return r.body.play_statuses.map((p: { rss_source_item: string }) => p.rss_source_item).sort();
}

Deno.test("privacy page: the default level changes, and GET /api/v1/privacy reports it", async () => {
  await withWeb(async ({ api, b }) => {
    let html = (await page(b, "/privacy")).html;
    assert.match(html, /<label for="privacy-default" class="inline-label">Your default level/);
    assert.match(html, /<option value="public" selected/);
    assert.match(html, /the server&#39;s default/);
    const res = await submit(b, "/privacy", "/web/privacy", {
      level: "anonymous",
      return_to: "/privacy",
    });
    assert.equal(location(res), "/privacy");
    assert.equal((await api.get("/privacy")).body.privacy, "anonymous");
    html = (await page(b, "/privacy")).html;
    assert.match(html, /<option value="anonymous" selected/);
    assert.doesNotMatch(html, /the server&#39;s default/);
  });
});

Deno.test("privacy page: podcast and episode overrides show their titles, change, and go with Inherit", async () => {
  await withWeb(async ({ api, b }) => {
    await knownFeed(api, 1);
    await api.put("/privacy", { privacy: "private", feed: feedId(1) });
    await api.put("/privacy", { privacy: "public", feed: feedId(1), item: itemId(1, 2) });
    let html = (await page(b, "/privacy")).html;
    assert.match(html, /<label for="privacy-feed-0" class="inline-label">Privacy of Podcast 1/);
    assert.match(html, /<label for="privacy-item-0" class="inline-label">Privacy of Episode 1\.2/);
    assert.match(html, /Inherit \(private\)/, "the episode would inherit the podcast's level");
    await submit(b, "/privacy", "/web/privacy", {
      feed: feedId(1),
      level: "anonymous",
      return_to: "/privacy",
    });
    let p = (await api.get("/privacy")).body;
    assert.deepEqual(p.feeds, [{ rss_source_feed: feedId(1), privacy: "anonymous" }]);
    await submit(b, "/privacy", "/web/privacy", {
      feed: feedId(1),
      item: itemId(1, 2),
      level: "inherit",
      return_to: "/privacy",
    });
    await submit(b, "/privacy", "/web/privacy", {
      feed: feedId(1),
      level: "inherit",
      return_to: "/privacy",
    });
    p = (await api.get("/privacy")).body;
    assert.deepEqual(p.feeds, []);
    assert.deepEqual(p.items, []);
    html = (await page(b, "/privacy")).html;
    assert.doesNotMatch(html, /privacy-feed-0|privacy-item-0/);
  });
});

Deno.test("privacy page: erasing one episode needs the confirmation box, then says what it did", async () => {
  await withWeb(async ({ api, b, t }) => {
    await knownFeed(api, 1);
    await play(api, 1, 1);
    await play(api, 1, 2);
    const html = (await page(b, "/privacy")).html;
    assert.match(html, /<summary\s*>Erase one episode…<\/summary>/);
    assert.match(html, /<label for="erase-episode">Episode<\/label>/);
    const csrf = csrfOf(html);
    const target = { scope: "episode", episode: `${feedId(1)} ${itemId(1, 1)}` };
    const before = await kvSnapshot(t.kv);
    const unconfirmed = await send(b, "/privacy/erase", { csrf, ...target });
    assert.equal(unconfirmed.status, 422);
    const again = await unconfirmed.text();
    assert.match(again, /id="erase-episode-confirm-error">Tick the box to confirm/);
    assert.match(again, /<details class="confirm" open/);
    assert.deepEqual(await kvSnapshot(t.kv), before);
    const res = await send(b, "/privacy/erase", { csrf, ...target, confirm: "yes" });
    assert.equal(location(res), "/privacy");
    const after = (await page(b, "/privacy")).html;
    assert.match(after, /Your listening history of “Episode 1\.1” was erased \(1 record\)\./);
    assert.deepEqual(await playedItems(api), [itemId(1, 2)]);
  });
});

Deno.test("privacy page: erasing one podcast, then everything, each confirmed", async () => {
  await withWeb(async ({ api, b }) => {
    await knownFeed(api, 1);
    await play(api, 1, 1);
    await play(api, 2, 1);
    await api.post(`/episodes/${itemId(2, 2)}/save?feed=${feedId(2)}`);
    const html = (await page(b, "/privacy")).html;
    assert.match(html, /<label for="erase-podcast">Podcast<\/label>/);
    const csrf = csrfOf(html);
    const feed = await send(b, "/privacy/erase", {
      csrf,
      scope: "podcast",
      feed: feedId(1),
      confirm: "yes",
    });
    assert.equal(location(feed), "/privacy");
    assert.match((await page(b, "/privacy")).html, /history of “Podcast 1” was erased/);
    assert.deepEqual(await playedItems(api), [itemId(2, 1)]);
    const all = await send(b, "/privacy/erase", { csrf, scope: "all", confirm: "yes" });
    assert.equal(location(all), "/privacy");
    assert.match((await page(b, "/privacy")).html, /history of everything was erased/);
    assert.deepEqual(await playedItems(api), []);
    assert.deepEqual((await api.get("/episodes/saved")).body.episodes, []);
  });
});

Deno.test("privacy page: another page may erase an episode and be sent back there", async () => {
  await withWeb(async ({ api, b }) => {
    await play(api, 1, 1);
    const back = `/episodes/${itemId(1, 1)}?feed=${feedId(1)}`;
    const res = await submit(b, "/privacy", "/privacy/erase", {
      scope: "episode",
      feed: feedId(1),
      item: itemId(1, 1),
      confirm: "yes",
      return_to: back,
    });
    assert.equal(location(res), back);
    assert.deepEqual(await playedItems(api), []);
  });
});

Deno.test("privacy hostile: stale CSRF, unknown scopes and bad ids erase nothing; visitors go to log in", async () => {
  await withWeb(async ({ api, b, t }) => {
    await play(api, 1, 1);
    const csrf = csrfOf((await page(b, "/privacy")).html);
    const before = await kvSnapshot(t.kv);
    const stale = await send(b, "/privacy/erase", { csrf: "old", scope: "all", confirm: "yes" });
    assert.equal(stale.status, 403);
    assert.match(await stale.text(), /<!doctype html>/);
    const cases: [Record<string, string>, number][] = [
      [{ scope: "everything", confirm: "yes" }, 400],
      [{ scope: "podcast", feed: "javascript:alert(1)", confirm: "yes" }, 400],
      [{ scope: "podcast", confirm: "yes" }, 422],
      [{ scope: "episode", episode: `${feedId(1)} not-an-item`, confirm: "yes" }, 400],
      [{ scope: "episode", episode: "x".repeat(100_000), confirm: "yes" }, 400],
      [{ scope: "all", confirm: "no" }, 422],
    ];
    for (const [fields, status] of cases) {
      const res = await send(b, "/privacy/erase", { csrf, ...fields });
      assert.equal(res.status, status, JSON.stringify(fields).slice(0, 80));
      await res.body?.cancel();
    }
    assert.deepEqual(await kvSnapshot(t.kv), before);
    assert.deepEqual(await playedItems(api), [itemId(1, 1)]);
    const visitor = await t.app.request("/privacy");
    assert.equal(visitor.status, 303);
    assert.equal(visitor.headers.get("Location"), "/users/log_in?return_to=%2Fprivacy");
  });
});
