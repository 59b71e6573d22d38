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
import type { Browser } from "../_support/auth_app.ts";

/** Creates a playlist on the web page; returns its id. */
async function create(b: Browser, name: string, fields: Record<string, string> = {}) {
  const res = await submit(b, "/playlists", "/playlists", { name, ...fields });
  return decodeURIComponent(location(res).replace("/playlists/", ""));
}

/** The playlist's episodes in order, as the API reports them. */
async function order(api: ApiClient, id: string): Promise<string[]> {
  const r = await api.get(`/playlists/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.body.items.map((i: { rss_source_item: string }) => i.rss_source_item);
}

/** Adds episodes 1..n of feed 1 through the API. */
async function fill(api: ApiClient, id: string, n: number): Promise<string[]> {
  for (let e = 1; e <= n; e++) {
    await api.post(`/playlists/${id}/items`, {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, e),
    });
  }
  return Array.from({ length: n }, (_, i) => itemId(1, i + 1));
}

Deno.test("playlists: create from the list page, then the playlist page says so; the API sees it", async () => {
  await withWeb(async ({ api, b }) => {
    assert.match((await page(b, "/playlists")).html, /No playlists yet/);
    const id = await create(b, "  Morning run  ", { is_public: "true" });
    const shown = await page(b, `/playlists/${id}`);
    assert.equal(shown.status, 200);
    assert.match(shown.html, /<title>Morning run · Balados Sync<\/title>/);
    assert.match(shown.html, /Playlist “Morning run” created\./);
    assert.doesNotMatch((await page(b, `/playlists/${id}`)).html, /created\./, "said once");
    const r = await api.get(`/playlists/${id}`);
    assert.equal(r.body.name, "Morning run");
    assert.equal(r.body.is_public, true);
    assert.match((await page(b, "/playlists")).html, new RegExp(`href="/playlists/${id}"`));
  });
});

Deno.test("playlists: rename, describe and switch public / private through the settings forms", async () => {
  await withWeb(async ({ api, b }) => {
    const id = await create(b, "Queue");
    const path = `/playlists/${id}`;
    const renamed = await submit(b, path, `${path}/edit`, {
      name: "Road trip",
      description: "Long drives",
    });
    assert.equal(location(renamed), path);
    assert.match((await page(b, path)).html, /Name and description saved/);
    let r = (await api.get(`/playlists/${id}`)).body;
    assert.equal(r.name, "Road trip");
    assert.equal(r.description, "Long drives");
    assert.equal(r.is_public, false);
    assert.match((await page(b, path)).html, />Make public</);
    await submit(b, path, `${path}/visibility`, { is_public: "true" });
    r = (await api.get(`/playlists/${id}`)).body;
    assert.equal(r.is_public, true);
    const html = (await page(b, path)).html;
    assert.match(html, />Make private</);
    assert.match(html, /href="\/u\/alice"/);
  });
});

Deno.test("playlists: delete behind a confirmation, then the list no longer has it", async () => {
  await withWeb(async ({ api, b }) => {
    const id = await create(b, "Old");
    const path = `/playlists/${id}`;
    const html = (await page(b, path)).html;
    const confirm = html.slice(html.indexOf('<details class="confirm"'));
    assert.match(confirm, /<summary aria-label="Delete playlist Old">Delete playlist<\/summary>/);
    assert.ok(confirm.indexOf(`action="${path}/delete"`) > 0, "the delete form is inside");
    const res = await send(b, `${path}/delete`, { csrf: csrfOf(html) });
    assert.equal(location(res), "/playlists");
    const list = (await page(b, "/playlists")).html;
    assert.match(list, /Playlist “Old” deleted\./);
    assert.doesNotMatch(list, new RegExp(`href="${path}"`));
    assert.equal((await api.get(`/playlists/${id}`)).status, 404);
    assert.equal((await page(b, path)).status, 404);
  });
});

Deno.test("playlists: add a saved episode and an episode through AddToPlaylistForm, remove one", async () => {
  await withWeb(async ({ api, b }) => {
    await knownFeed(api, 1);
    const id = await create(b, "Queue");
    const path = `/playlists/${id}`;
    let html = (await page(b, path)).html;
    assert.match(html, /Episodes you <a href="\/saved">save<\/a>/);
    await api.post(`/episodes/${itemId(1, 2)}/save?feed=${feedId(1)}`);
    html = (await page(b, path)).html;
    assert.match(html, /<label for="add-saved" class="inline-label">Saved episode<\/label>/);
    const fromSaved = await send(b, "/playlists/add", {
      csrf: csrfOf(html),
      playlist: id,
      episode: `${feedId(1)} ${itemId(1, 2)}`,
      return_to: path,
    });
    assert.equal(location(fromSaved), path);
    html = (await page(b, path)).html;
    assert.match(html, /“Episode 1\.2” added\./);
    assert.doesNotMatch(html, /id="add-saved"/, "no saved episode left to add");
    // The episode page's form: feed and item, back to where it was.
    const back = `/episodes/${itemId(1, 1)}?feed=${feedId(1)}`;
    const direct = await send(b, "/playlists/add", {
      csrf: csrfOf(html),
      playlist: id,
      feed: feedId(1),
      item: itemId(1, 1),
      return_to: back,
    });
    assert.equal(location(direct), back);
    assert.deepEqual(await order(api, id), [itemId(1, 2), itemId(1, 1)]);
    html = (await page(b, path)).html;
    assert.match(html, /aria-label="Remove from playlist: Episode 1\.2"/);
    const removed = await send(b, `${path}/remove`, { csrf: csrfOf(html), item: itemId(1, 2) });
    assert.equal(location(removed), path);
    assert.match((await page(b, path)).html, /“Episode 1\.2” removed from the playlist\./);
    assert.deepEqual(await order(api, id), [itemId(1, 1)]);
  });
});

Deno.test("playlists: Move up / Move down buttons reorder without JavaScript", async () => {
  await withWeb(async ({ api, b }) => {
    await knownFeed(api, 1);
    const id = await create(b, "Queue");
    const path = `/playlists/${id}`;
    const [one, two, three] = await fill(api, id, 3);
    const html = (await page(b, path)).html;
    assert.match(html, /aria-label="Move down: Episode 1\.1"/);
    assert.match(html, /aria-label="Move up: Episode 1\.3"/);
    const csrf = csrfOf(html);
    assert.equal(
      location(await send(b, `${path}/move`, { csrf, item: three, direction: "up" })),
      path,
    );
    assert.deepEqual(await order(api, id), [one, three, two]);
    await send(b, `${path}/move`, { csrf, item: one, direction: "down" });
    assert.deepEqual(await order(api, id), [three, one, two]);
    // At the top already: nothing moves, nothing breaks.
    await send(b, `${path}/move`, { csrf, item: three, direction: "up" });
    assert.deepEqual(await order(api, id), [three, one, two]);
  });
});

Deno.test("playlists: the drag-and-drop script's order endpoint saves a whole new order", async () => {
  await withWeb(async ({ api, b, t }) => {
    const id = await create(b, "Queue");
    const path = `/playlists/${id}`;
    const [one, two, three] = await fill(api, id, 3);
    const html = (await page(b, path)).html;
    assert.match(html, /<script src="\/assets\/playlist\.js\?v=[a-z0-9]+" defer><\/script>/);
    assert.ok(html.includes(`data-order-url="${path}/order"`));
    assert.ok(html.includes(`data-item="${two}"`));
    const res = await b.request(`${path}/order`, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
      },
      body: new URLSearchParams({ csrf: csrfOf(html), order: `${three} ${one} ${two}` }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true, order: [three, one, two] });
    assert.deepEqual(await order(api, id), [three, one, two]);
    const js = await t.app.request("/assets/playlist.js");
    assert.equal(js.headers.get("Content-Type"), "text/javascript; charset=utf-8");
    assert.match(await js.text(), /playlist-items/);
  });
});

Deno.test("playlists: the page explains the personal RSS feed and links to the user tokens", async () => {
  await withWeb(async ({ b }) => {
    const id = await create(b, "Queue");
    const html = (await page(b, `/playlists/${id}`)).html;
    assert.ok(
      html.includes(`http://localhost:8000/rss/&lt;your user token&gt;/playlists/${id}`),
    );
    assert.match(html, /<a href="\/users\/tokens">user tokens page<\/a>/);
  });
});

Deno.test("playlists: a missing, too long or blank name comes back on the form with its message", async () => {
  await withWeb(async ({ api, b, t }) => {
    const before = await kvSnapshot(t.kv);
    const blank = await submit(b, "/playlists", "/playlists", { name: "   " });
    assert.equal(blank.status, 422);
    const html = await blank.text();
    assert.match(html, /id="name-error">Give the playlist a name\./);
    assert.match(html, /autofocus/);
    const long = await submit(b, "/playlists", "/playlists", { name: "x".repeat(10_000) });
    assert.equal(long.status, 422);
    assert.match(await long.text(), /The name is too long: use at most 200 characters\./);
    assert.deepEqual(await kvSnapshot(t.kv), before);
    const id = await create(b, "Queue");
    const path = `/playlists/${id}`;
    const bad = await submit(b, path, `${path}/edit`, {
      name: "Queue",
      description: "d".repeat(5_000),
    });
    assert.equal(bad.status, 422);
    assert.match(await bad.text(), /id="description-error">The description is too long/);
    assert.equal((await api.get(`/playlists/${id}`)).body.description, "");
  });
});

Deno.test("playlists hostile: someone else's playlist is a 404 page for every form, and nothing changes", async () => {
  await withWeb(async ({ b, t, user }) => {
    const bob = await user("bob", { scopes: ["*"] });
    const theirs = (await bob.post("/playlists", { name: "Bob's" })).body.id as string;
    await bob.post(`/playlists/${theirs}/items`, {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 1),
    });
    const csrf = csrfOf((await page(b, "/playlists")).html);
    const path = `/playlists/${theirs}`;
    const before = await kvSnapshot(t.kv);
    assert.equal((await page(b, path)).status, 404);
    const forms: [string, Record<string, string>][] = [
      [`${path}/edit`, { name: "Mine now" }],
      [`${path}/visibility`, { is_public: "true" }],
      [`${path}/delete`, {}],
      [`${path}/remove`, { item: itemId(1, 1) }],
      [`${path}/move`, { item: itemId(1, 1), direction: "down" }],
      [`${path}/order`, { order: itemId(1, 1) }],
      ["/playlists/add", { playlist: theirs, feed: feedId(1), item: itemId(1, 2) }],
    ];
    for (const [action, fields] of forms) {
      const res = await send(b, action, { csrf, ...fields });
      assert.equal(res.status, 404, action);
      assert.match(await res.text(), /<!doctype html>[\s\S]*Page not found/, action);
    }
    assert.deepEqual(await kvSnapshot(t.kv), before);
    assert.equal((await bob.get(`/playlists/${theirs}`)).body.name, "Bob's");
  });
});

Deno.test("playlists hostile: stale CSRF, bad ids, bad orders and huge bodies are refused with no write", async () => {
  await withWeb(async ({ api, b, t }) => {
    const id = await create(b, "Queue");
    const path = `/playlists/${id}`;
    const [one, two] = await fill(api, id, 2);
    const csrf = csrfOf((await page(b, path)).html);
    const before = await kvSnapshot(t.kv);
    const stale = await send(b, `${path}/order`, { csrf: "x".repeat(43), order: `${two} ${one}` });
    assert.equal(stale.status, 403);
    assert.match(await stale.text(), /Not allowed/);
    const noCsrf = await send(b, "/playlists", { name: "No token" });
    assert.equal(noCsrf.status, 403);
    const cases: [string, Record<string, string>, number][] = [
      [`${path}/remove`, { item: "not an id!" }, 400],
      [`${path}/move`, { item: one, direction: "sideways" }, 400],
      [`${path}/move`, { item: itemId(9, 9), direction: "up" }, 404],
      [`${path}/order`, { order: `${one} ${itemId(9, 9)}` }, 422],
      [`${path}/order`, { order: `${one} ${one}` }, 422],
      [`${path}/order`, { order: "" }, 422],
      [`${path}/order`, { order: Array(501).fill(one).join(" ") }, 422],
      [`${path}/visibility`, { is_public: "maybe" }, 400],
      ["/playlists/add", { playlist: id, feed: "file:///etc/passwd", item: one }, 400],
      ["/playlists/add", { playlist: "../../x", feed: feedId(1), item: one }, 404],
      ["/playlists/%2e%2e/edit", { name: "x" }, 404],
      [`/playlists/${"x".repeat(65)}/delete`, {}, 404],
    ];
    for (const [action, fields, status] of cases) {
      const res = await send(b, action, { csrf, ...fields });
      assert.equal(res.status, status, `${action} ${JSON.stringify(fields).slice(0, 80)}`);
      assert.match(res.headers.get("Content-Type") ?? "", /text\/html/, action);
      await res.body?.cancel();
    }
    const huge = await send(b, `${path}/edit`, { csrf, name: "x".repeat(1_100_000) });
    assert.equal(huge.status, 413);
    assert.deepEqual(await kvSnapshot(t.kv), before);
    assert.deepEqual(await order(api, id), [one, two]);
  });
});
