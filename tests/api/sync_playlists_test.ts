import assert from "node:assert/strict";
import { type ApiClient, feedId, itemId, type Json, withApi } from "./_api.ts";

const T = (n: number) => new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString();

function entry(e: number, added: number, extra: Record<string, unknown> = {}) {
  return {
    rss_source_feed: feedId(1),
    rss_source_item: itemId(1, e),
    added_at: T(added),
    ...extra,
  };
}

async function syncPlaylists(api: ApiClient, playlists: unknown[]): Promise<Json> {
  const r = await api.post("/sync", { playlists });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

function itemsOf(pl: Json): string[] {
  return pl.items.map((i: Json) => i.rss_source_item);
}

Deno.test("POST /sync playlist items are ordered by position, then by added_at", async () => {
  await withApi({}, async ({ api }) => {
    const r = await syncPlaylists(api, [{
      id: "q",
      name: "Queue",
      updated_at: T(1),
      items: [
        entry(1, 3), // no position: last
        entry(2, 2, { position: 5 }),
        entry(3, 1, { position: 5 }), // same position, added earlier: first of the two
        entry(4, 4, { position: 0 }),
      ],
    }]);
    const expected = [itemId(1, 4), itemId(1, 3), itemId(1, 2), itemId(1, 1)];
    assert.deepEqual(itemsOf(r.data.playlists[0]), expected);
    assert.deepEqual(itemsOf((await api.get("/playlists/q")).body), expected);
  });
});

Deno.test("POST /sync playlist metadata: the newer updated_at wins", async () => {
  await withApi({}, async ({ api }) => {
    await syncPlaylists(api, [{ id: "p", name: "Old", updated_at: T(5), items: [] }]);
    const stale = await syncPlaylists(api, [
      { id: "p", name: "Stale", description: "x", updated_at: T(4), items: [] },
    ]);
    assert.equal(stale.events_appended, 0);
    assert.equal(stale.data.playlists[0].name, "Old");
    const newer = await syncPlaylists(api, [
      { id: "p", name: "New", description: "d", is_public: true, updated_at: T(6), items: [] },
    ]);
    assert.equal(newer.events_appended, 1);
    const got = (await api.get("/playlists/p")).body;
    assert.equal(got.name, "New");
    assert.equal(got.description, "d");
    assert.equal(got.is_public, true);
    assert.equal(got.updated_at, T(6));
  });
});

Deno.test("POST /sync playlist items merge adds and removes by their own timestamps", async () => {
  await withApi({}, async ({ api }) => {
    await syncPlaylists(api, [{
      id: "p",
      name: "P",
      updated_at: T(1),
      items: [entry(1, 1), entry(2, 1), entry(3, 1)],
    }]);
    const r = await syncPlaylists(api, [{
      id: "p",
      name: "P",
      updated_at: T(1),
      items: [
        entry(1, 1, { removed_at: T(2) }), // removed after its add: gone
        entry(2, 0, { removed_at: T(0) }), // a stale remove older than the server's add: stays
        entry(3, 3, { removed_at: T(2) }), // re-added after the remove: stays
        entry(4, 2), // new
      ],
    }]);
    assert.deepEqual(
      new Set(itemsOf(r.data.playlists[0])),
      new Set([itemId(1, 2), itemId(1, 3), itemId(1, 4)]),
    );
    const back = await syncPlaylists(api, [{
      id: "p",
      name: "P",
      updated_at: T(1),
      items: [entry(1, 7)],
    }]);
    assert.ok(itemsOf(back.data.playlists[0]).includes(itemId(1, 1)), "re-added after removal");
  });
});

Deno.test("POST /sync deletes a playlist when the client's deleted_at is newer", async () => {
  await withApi({}, async ({ api }) => {
    await syncPlaylists(api, [{ id: "p", name: "P", updated_at: T(1), items: [entry(1, 1)] }]);
    const r = await syncPlaylists(api, [
      { id: "p", name: "P", updated_at: T(3), deleted_at: T(3), items: [entry(1, 1)] },
    ]);
    assert.equal(r.data.playlists[0].deleted_at, T(3));
    assert.equal((await api.get("/playlists/p")).status, 404);
    assert.deepEqual((await api.get("/playlists")).body.playlists, []);
    const again = await syncPlaylists(api, [
      { id: "p", name: "P", updated_at: T(3), deleted_at: T(3), items: [entry(1, 1)] },
    ]);
    assert.equal(again.events_appended, 0);
  });
});

Deno.test("POST /sync deletes a playlist renamed and deleted at the same time", async () => {
  await withApi({}, async ({ api }) => {
    await syncPlaylists(api, [{ id: "p", name: "P", updated_at: T(1), items: [] }]);
    const r = await syncPlaylists(api, [
      { id: "p", name: "Renamed", updated_at: T(3), deleted_at: T(3), items: [] },
    ]);
    assert.equal(r.data.playlists[0].name, "Renamed");
    assert.equal(r.data.playlists[0].deleted_at, T(3));
    assert.equal((await api.get("/playlists/p")).status, 404);
  });
});

Deno.test("POST /sync revives a deleted playlist only with a newer updated_at", async () => {
  await withApi({}, async ({ api }) => {
    await syncPlaylists(api, [
      { id: "p", name: "P", updated_at: T(2), deleted_at: T(2), items: [] },
    ]);
    assert.deepEqual((await api.get("/playlists?include=all")).body.playlists, []);
    await syncPlaylists(api, [{ id: "p", name: "P", updated_at: T(1), items: [] }]);
    await syncPlaylists(api, [{
      id: "p",
      name: "P",
      updated_at: T(3),
      deleted_at: T(4),
      items: [],
    }]);
    assert.equal((await api.get("/playlists/p")).status, 404);
    await syncPlaylists(api, [{ id: "p", name: "P2", updated_at: T(5), items: [] }]);
    assert.equal((await api.get("/playlists/p")).body.name, "P2");
  });
});

Deno.test("POST /sync matches a playlist sent without id to the live playlist of that name", async () => {
  await withApi({}, async ({ api }) => {
    const body = [{ name: "Morning", updated_at: T(1), items: [entry(1, 1)] }];
    const first = await syncPlaylists(api, body);
    assert.equal(first.data.playlists.length, 1);
    const id = first.data.playlists[0].id;
    assert.ok(id);
    const second = await syncPlaylists(api, [
      { name: "Morning", updated_at: T(1), items: [entry(1, 1), entry(2, 2)] },
    ]);
    assert.equal(second.data.playlists.length, 1);
    assert.equal(second.data.playlists[0].id, id);
    assert.deepEqual(itemsOf(second.data.playlists[0]), [itemId(1, 1), itemId(1, 2)]);
    const again = await syncPlaylists(api, [
      { name: "Morning", updated_at: T(1), items: [entry(1, 1), entry(2, 2)] },
    ]);
    assert.equal(again.events_appended, 0);
  });
});

Deno.test("POST /sync adopts a newer client order and keeps the server's when older", async () => {
  await withApi({}, async ({ api }) => {
    await syncPlaylists(api, [{
      id: "p",
      name: "P",
      updated_at: T(1),
      items: [entry(1, 1, { position: 0 }), entry(2, 1, { position: 1 })],
    }]);
    const older = await syncPlaylists(api, [{
      id: "p",
      name: "P",
      updated_at: T(0),
      items: [entry(1, 1, { position: 1 }), entry(2, 1, { position: 0 })],
    }]);
    assert.deepEqual(itemsOf(older.data.playlists[0]), [itemId(1, 1), itemId(1, 2)]);
    const newer = await syncPlaylists(api, [{
      id: "p",
      name: "P",
      updated_at: T(2),
      items: [entry(1, 1, { position: 1 }), entry(2, 1, { position: 0 })],
    }]);
    assert.deepEqual(itemsOf(newer.data.playlists[0]), [itemId(1, 2), itemId(1, 1)]);
  });
});
