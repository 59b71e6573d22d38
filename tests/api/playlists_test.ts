import assert from "node:assert/strict";
import { encodeItemId } from "../../src/domain/ids.ts";
import { type ApiClient, feedId, feedUrl, itemId, type Json, withApi } from "./_api.ts";

async function create(api: ApiClient, body: unknown = { name: "Queue" }): Promise<Json> {
  const r = await api.post("/playlists", body);
  assert.equal(r.status, 201, r.text);
  return r.body;
}

function add(api: ApiClient, id: string, e: number, position?: number) {
  return api.post(`/playlists/${id}/items`, {
    rss_source_feed: feedId(1),
    rss_source_item: itemId(1, e),
    ...(position === undefined ? {} : { position }),
  });
}

async function order(api: ApiClient, id: string): Promise<string[]> {
  const r = await api.get(`/playlists/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.body.items.map((i: Json) => i.rss_source_item);
}

Deno.test("POST /playlists answers 201 and GET /playlists and /playlists/{id} return it", async () => {
  await withApi({}, async ({ api, t }) => {
    const pl = await create(api, { name: "Morning", description: "News", is_public: true });
    const now = new Date(t.clock.now()).toISOString();
    assert.ok(pl.id);
    assert.deepEqual({ ...pl, id: undefined }, {
      id: undefined,
      name: "Morning",
      description: "News",
      is_public: true,
      created_at: now,
      updated_at: now,
      items: [],
    });
    const list = (await api.get("/playlists")).body.playlists;
    assert.deepEqual(list.map((p: Json) => p.id), [pl.id]);
    assert.deepEqual((await api.get(`/playlists/${pl.id}`)).body, pl);
    const bare = await create(api, { name: "Bare" });
    assert.equal(bare.description, "");
    assert.equal(bare.is_public, false);
  });
});

Deno.test("PATCH /playlists/{id} changes only the given fields", async () => {
  await withApi({}, async ({ api, t }) => {
    const pl = await create(api, { name: "A", description: "d" });
    t.clock.advance(1000);
    const r = await api.patch(`/playlists/${pl.id}`, { name: "B" });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, "B");
    assert.equal(r.body.description, "d");
    assert.equal(r.body.updated_at, new Date(t.clock.now()).toISOString());
    assert.equal((await api.get(`/playlists/${pl.id}`)).body.name, "B");
    const same = await api.patch(`/playlists/${pl.id}`, { name: "B" });
    assert.equal(same.status, 200);
    assert.equal((await t.deps.store.head(api.userId)).seq, 2);
  });
});

Deno.test("DELETE /playlists/{id} is a soft delete: deleted_at set, then 404", async () => {
  await withApi({}, async ({ api }) => {
    const pl = await create(api);
    const del = await api.delete(`/playlists/${pl.id}`);
    assert.equal(del.status, 200, del.text);
    assert.ok(del.body.deleted_at);
    assert.equal((await api.get(`/playlists/${pl.id}`)).status, 404);
    assert.deepEqual((await api.get("/playlists")).body.playlists, []);
    const all = (await api.get("/playlists?include=all")).body.playlists;
    assert.equal(all[0].deleted_at, del.body.deleted_at);
    assert.equal((await api.patch(`/playlists/${pl.id}`, { name: "x" })).status, 404);
    assert.equal((await add(api, pl.id, 1)).status, 404);
    assert.equal((await api.delete(`/playlists/${pl.id}`)).status, 200);
  });
});

Deno.test("playlist items: add answers 201 then 200, remove, reorder", async () => {
  await withApi({}, async ({ api }) => {
    const { id } = await create(api);
    const first = await add(api, id, 1);
    assert.equal(first.status, 201, first.text);
    assert.deepEqual(first.body.items.map((i: Json) => [i.rss_source_item, i.feed_url]), [
      [itemId(1, 1), feedUrl(1)],
    ]);
    assert.equal((await add(api, id, 1)).status, 200);
    await add(api, id, 2);
    await add(api, id, 3);
    assert.deepEqual(await order(api, id), [itemId(1, 1), itemId(1, 2), itemId(1, 3)]);

    const re = await api.put(`/playlists/${id}/order`, { items: [itemId(1, 3), itemId(1, 1)] });
    assert.equal(re.status, 200, re.text);
    assert.deepEqual(await order(api, id), [itemId(1, 3), itemId(1, 1), itemId(1, 2)]);

    const rm = await api.delete(`/playlists/${id}/items/${itemId(1, 1)}`);
    assert.equal(rm.status, 200, rm.text);
    assert.deepEqual(await order(api, id), [itemId(1, 3), itemId(1, 2)]);
    assert.equal((await api.delete(`/playlists/${id}/items/${itemId(1, 1)}`)).status, 404);

    assert.equal((await add(api, id, 1)).status, 201); // back, at the end
    assert.deepEqual(await order(api, id), [itemId(1, 3), itemId(1, 2), itemId(1, 1)]);
  });
});

Deno.test("POST /playlists/{id}/items with a position inserts the episode there", async () => {
  await withApi({}, async ({ api }) => {
    const { id } = await create(api);
    for (const e of [1, 2, 3]) await add(api, id, e);
    const r = await add(api, id, 4, 1);
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(await order(api, id), [
      itemId(1, 1),
      itemId(1, 4),
      itemId(1, 2),
      itemId(1, 3),
    ]);
    await add(api, id, 5, 0);
    assert.deepEqual(
      await order(api, id),
      [itemId(1, 5), itemId(1, 1), itemId(1, 4), itemId(1, 2), itemId(1, 3)],
    );
    const moved = await add(api, id, 1, 4); // moving an episode already there
    assert.equal(moved.status, 200);
    assert.deepEqual(
      await order(api, id),
      [itemId(1, 5), itemId(1, 4), itemId(1, 2), itemId(1, 3), itemId(1, 1)],
    );
    await add(api, id, 6, 99); // past the end: last
    assert.equal((await order(api, id)).at(-1), itemId(1, 6));
  });
});

Deno.test("PUT /playlists/{id}/order refuses episodes not in the playlist and duplicates", async () => {
  await withApi({}, async ({ api }) => {
    const { id } = await create(api);
    await add(api, id, 1);
    await add(api, id, 2);
    for (
      const items of [[itemId(1, 9)], [itemId(1, 1), itemId(1, 1)], "x", [1], null]
    ) {
      const r = await api.put(`/playlists/${id}/order`, { items });
      assert.ok([400, 422].includes(r.status), `${JSON.stringify(items)} → ${r.status}`);
      assert.ok(r.body.error.code);
    }
    assert.deepEqual(await order(api, id), [itemId(1, 1), itemId(1, 2)]);
  });
});

Deno.test("playlist endpoints answer 404 for unknown ids and for another user's playlist", async () => {
  await withApi({}, async ({ api, user }) => {
    const bob = await user("bob");
    const { id } = await create(bob, { name: "Bob's" });
    await add(bob, id, 1);
    const paths: [string, string, unknown?][] = [
      ["GET", `/playlists/${id}`],
      ["PATCH", `/playlists/${id}`, { name: "mine now" }],
      ["DELETE", `/playlists/${id}`],
      ["POST", `/playlists/${id}/items`, {
        rss_source_feed: feedId(1),
        rss_source_item: itemId(1, 2),
      }],
      ["DELETE", `/playlists/${id}/items/${itemId(1, 1)}`],
      ["PUT", `/playlists/${id}/order`, { items: [itemId(1, 1)] }],
      ["GET", "/playlists/no-such-id"],
      ["GET", `/playlists/${"x".repeat(300)}`],
      ["DELETE", "/playlists/..%2F..%2Fetc"],
    ];
    for (const [method, path, body] of paths) {
      const r = await api.call(method, path, body);
      assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
      assert.equal(r.body.error.code, "not_found");
    }
    assert.deepEqual((await api.get("/playlists")).body.playlists, []);
    const still = (await bob.get(`/playlists/${id}`)).body;
    assert.equal(still.name, "Bob's");
    assert.equal(still.items.length, 1);
  });
});

Deno.test("POST /playlists validates its fields with per-field details", async () => {
  await withApi({}, async ({ api }) => {
    const r = await api.post("/playlists", { name: "", description: 5, is_public: "yes" });
    assert.equal(r.status, 422);
    assert.deepEqual(Object.keys(r.body.error.details).sort(), [
      "description",
      "is_public",
      "name",
    ]);
    assert.equal((await api.post("/playlists", { name: "x".repeat(201) })).status, 422);
    assert.equal((await api.post("/playlists", {})).status, 422);
    assert.deepEqual((await api.get("/playlists")).body.playlists, []);
  });
});

Deno.test("a full playlist of 500 episodes with ordinary-length URLs syncs, reorders and inserts", async () => {
  await withApi({}, async ({ api }) => {
    const ids = Array.from({ length: 500 }, (_, i) =>
      encodeItemId(
        `https://www.example-network.com/shows/a-long-running-show/episodes/${i}-guid`,
        `https://traffic.example-cdn.fm/ABCDEF${i}.mp3?updated=1712345678&source=rss&t=abcdef`,
      ));
    const sync = await api.post("/sync", {
      playlists: [{
        id: "big",
        name: "Big",
        updated_at: "2025-01-01T00:00:00Z",
        items: ids.map((id, i) => ({
          rss_source_feed: feedId(1),
          rss_source_item: id,
          added_at: "2025-01-01T00:00:00Z",
          position: 1000 - i,
        })),
      }],
    });
    assert.equal(sync.status, 200, sync.text.slice(0, 300));
    assert.deepEqual(await order(api, "big"), [...ids].reverse());

    const put = await api.put("/playlists/big/order", { items: ids });
    assert.equal(put.status, 200, put.text.slice(0, 300));
    assert.deepEqual(await order(api, "big"), ids);

    await api.delete(`/playlists/big/items/${encodeURIComponent(ids[499])}`);
    const ins = await api.post("/playlists/big/items", {
      rss_source_feed: feedId(1),
      rss_source_item: ids[499],
      position: 0,
    });
    assert.equal(ins.status, 201, ins.text.slice(0, 300));
    assert.deepEqual(await order(api, "big"), [ids[499], ...ids.slice(0, 499)]);
    const full = await add(api, "big", 1);
    assert.equal(full.status, 409);
    assert.equal(full.body.error.code, "conflict");
    // The state rebuilt from the stream gives the same order.
    const state = await api.t.deps.store.load(api.userId);
    const rebuilt = [...state.playlists.get("big")!.items.values()]
      .sort((a, b) => a.position! - b.position!).map((i) => i.item);
    assert.deepEqual(rebuilt, [ids[499], ...ids.slice(0, 499)]);
  });
});
