import assert from "node:assert/strict";
import { type ApiClient, feedId, feedUrl, itemId, type Json, stdBase64, withApi } from "./_api.ts";

const T = (n: number) => new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString();

async function sync(api: ApiClient, body: unknown, device?: string): Promise<Json> {
  const r = await api.post("/sync", body, { device });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.status, "success");
  return r.body;
}

function subOf(reply: Json, feed: string): Json {
  return reply.data.subscriptions.find((s: Json) => s.rss_source_feed === feed);
}

async function eventTypes(api: ApiClient): Promise<string[]> {
  return (await api.t.deps.store.readEvents(api.userId, 0)).map((e) => e.type);
}

Deno.test("POST /sync subscribes to an unknown feed with the client's subscribed_at", async () => {
  await withApi({}, async ({ api }) => {
    const r = await sync(api, {
      subscriptions: [{ rss_source_feed: feedId(1), rss_source_id: "c-1", subscribed_at: T(1) }],
    }, "phone");
    assert.equal(r.events_appended, 1);
    assert.deepEqual(subOf(r, feedId(1)), {
      rss_source_feed: feedId(1),
      feed_url: feedUrl(1),
      rss_source_id: "c-1",
      subscribed_at: T(1),
      unsubscribed_at: null,
      device_id: "phone",
    });
    assert.deepEqual(await eventTypes(api), ["subscribed"]);
  });
});

Deno.test("POST /sync of an unknown feed the client says is unsubscribed records subscribed then unsubscribed", async () => {
  await withApi({}, async ({ api }) => {
    const r = await sync(api, {
      subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: T(1), unsubscribed_at: T(2) }],
    });
    assert.deepEqual(await eventTypes(api), ["subscribed", "unsubscribed"]);
    const s = subOf(r, feedId(1));
    assert.equal(s.subscribed_at, T(1));
    assert.equal(s.unsubscribed_at, T(2));
    assert.deepEqual((await api.get("/subscriptions")).body.subscriptions, []);
    const all = (await api.get("/subscriptions?include=all")).body.subscriptions;
    assert.equal(all.length, 1);
    assert.equal(all[0].unsubscribed_at, T(2));
  });
});

Deno.test("POST /sync with a newer subscribed_at on a subscribed feed updates its date and device", async () => {
  await withApi({}, async ({ api }) => {
    await sync(api, { subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: T(1) }] }, "a");
    const r = await sync(
      api,
      { subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: T(5) }] },
      "b",
    );
    assert.equal(r.events_appended, 1);
    assert.equal(subOf(r, feedId(1)).subscribed_at, T(5));
    assert.equal(subOf(r, feedId(1)).device_id, "b");
    assert.deepEqual(await eventTypes(api), ["subscribed", "subscribed"]);
  });
});

Deno.test("POST /sync with a subscribed_at newer than the server's unsubscription resubscribes", async () => {
  await withApi({}, async ({ api }) => {
    await sync(api, {
      subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: T(1), unsubscribed_at: T(2) }],
    });
    const r = await sync(api, {
      subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: T(3), unsubscribed_at: T(2) }],
    });
    assert.equal(r.events_appended, 1);
    assert.equal(subOf(r, feedId(1)).subscribed_at, T(3));
    const active = (await api.get("/subscriptions")).body.subscriptions;
    assert.deepEqual(active.map((s: Json) => s.rss_source_feed), [feedId(1)]);
  });
});

Deno.test("POST /sync with a newer unsubscribed_at on an unsubscribed feed updates the date", async () => {
  await withApi({}, async ({ api }) => {
    await sync(api, {
      subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: T(1), unsubscribed_at: T(2) }],
    });
    const r = await sync(api, {
      subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: T(1), unsubscribed_at: T(9) }],
    });
    assert.equal(r.events_appended, 1);
    assert.equal(subOf(r, feedId(1)).unsubscribed_at, T(9));
    assert.equal(subOf(r, feedId(1)).subscribed_at, T(1));
    assert.deepEqual(await eventTypes(api), ["subscribed", "unsubscribed", "unsubscribed"]);
  });
});

Deno.test("POST /sync with an unsubscribed_at newer than the server's subscription unsubscribes", async () => {
  await withApi({}, async ({ api }) => {
    await sync(api, { subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: T(1) }] });
    const r = await sync(api, {
      subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: T(1), unsubscribed_at: T(4) }],
    });
    assert.equal(r.events_appended, 1);
    assert.equal(subOf(r, feedId(1)).unsubscribed_at, T(4));
    assert.deepEqual((await api.get("/subscriptions")).body.subscriptions, []);
  });
});

Deno.test("POST /sync with an older client state changes nothing and returns the server's state", async () => {
  await withApi({}, async ({ api }) => {
    await sync(api, {
      subscriptions: [
        { rss_source_feed: feedId(1), subscribed_at: T(5) },
        { rss_source_feed: feedId(2), subscribed_at: T(1), unsubscribed_at: T(6) },
        { rss_source_feed: feedId(3), subscribed_at: T(5) },
      ],
    });
    const head = await api.t.deps.store.head(api.userId);
    const r = await sync(api, {
      subscriptions: [
        { rss_source_feed: feedId(1), subscribed_at: T(2) }, // older subscription
        { rss_source_feed: feedId(1), subscribed_at: T(1), unsubscribed_at: T(4) }, // older unsub
        { rss_source_feed: feedId(2), subscribed_at: T(6) }, // equal to the server's unsub
        { rss_source_feed: feedId(3), subscribed_at: T(3), unsubscribed_at: T(5) }, // equal
      ],
    });
    assert.equal(r.events_appended, 0);
    assert.deepEqual(await api.t.deps.store.head(api.userId), head);
    assert.equal(subOf(r, feedId(1)).subscribed_at, T(5));
    assert.equal(subOf(r, feedId(1)).unsubscribed_at, null);
    assert.equal(subOf(r, feedId(2)).unsubscribed_at, T(6));
    assert.equal(subOf(r, feedId(3)).subscribed_at, T(5));
    assert.equal(subOf(r, feedId(3)).unsubscribed_at, null);
  });
});

Deno.test("POST /sync treats the standard and URL-safe spellings of a feed id as one feed", async () => {
  await withApi({}, async ({ api }) => {
    const url = "https://feeds.example.org/a?b=c&d=~>>>";
    assert.match(stdBase64(url), /[+/]/);
    const r = await sync(api, {
      subscriptions: [
        { rss_source_feed: stdBase64(url), subscribed_at: T(1) },
        { rss_source_feed: stdBase64(url).replace(/=+$/, ""), subscribed_at: T(1) },
      ],
    });
    assert.equal(r.events_appended, 1);
    assert.equal(r.data.subscriptions.length, 1);
    assert.equal(r.data.subscriptions[0].feed_url, url);
    assert.doesNotMatch(r.data.subscriptions[0].rss_source_feed, /[+/=]/);
  });
});

Deno.test("POST /sync play statuses: last writer wins by updated_at, the server keeps a tie", async () => {
  await withApi({}, async ({ api }) => {
    const play = (e: number, position: number, at: string, played = false) => ({
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, e),
      position,
      played,
      updated_at: at,
    });
    const first = await sync(api, { play_statuses: [play(1, 100, T(5)), play(2, 50, T(5))] });
    assert.equal(first.events_appended, 2);
    const r = await sync(api, {
      play_statuses: [play(1, 900, T(6), true), play(2, 999, T(5)), play(3, 10, T(1))],
    });
    assert.equal(r.events_appended, 2);
    const byItem = new Map(r.data.play_statuses.map((p: Json) => [p.rss_source_item, p]));
    const p1 = byItem.get(itemId(1, 1)) as Json;
    assert.equal(p1.position, 900);
    assert.equal(p1.played, true);
    assert.equal(p1.updated_at, T(6));
    assert.equal((byItem.get(itemId(1, 2)) as Json).position, 50); // tie: server's state
    assert.equal((byItem.get(itemId(1, 3)) as Json).guid, "guid-1-3");
    const older = await sync(api, { play_statuses: [play(1, 1, T(2))] });
    assert.equal(older.events_appended, 0);
    const got = (await api.get(`/play?feed=${feedId(1)}`)).body.play_statuses;
    assert.equal(got.find((p: Json) => p.rss_source_item === itemId(1, 1)).position, 900);
  });
});

Deno.test("POST /sync answers with every subscription, play status and playlist in the GET shapes", async () => {
  await withApi({}, async ({ api }) => {
    const r = await sync(api, {
      subscriptions: [
        { rss_source_feed: feedId(1), subscribed_at: T(1) },
        { rss_source_feed: feedId(2), subscribed_at: T(1), unsubscribed_at: T(3) },
      ],
      play_statuses: [{
        rss_source_feed: feedId(1),
        rss_source_item: itemId(1, 1),
        position: 30,
        played: false,
        duration: 3600,
        updated_at: T(2),
      }],
      playlists: [{ id: "later", name: "Later", updated_at: T(2), items: [] }],
      unknown_field: { ignored: true },
    });
    assert.deepEqual(Object.keys(r.data).sort(), [
      "full",
      "play_statuses",
      "playlists",
      "subscriptions",
      "sync_token",
    ]);
    assert.equal(r.data.full, true);
    assert.deepEqual(subOf(r, feedId(2)), {
      rss_source_feed: feedId(2),
      feed_url: feedUrl(2),
      rss_source_id: null,
      subscribed_at: T(1),
      unsubscribed_at: T(3),
    });
    const fromGet = (await api.get("/subscriptions?include=all")).body.subscriptions;
    assert.deepEqual(
      [...r.data.subscriptions].sort((a: Json, b: Json) => a.feed_url < b.feed_url ? -1 : 1),
      [...fromGet].sort((a: Json, b: Json) => a.feed_url < b.feed_url ? -1 : 1),
    );
    const [p] = r.data.play_statuses;
    assert.deepEqual(p, (await api.get("/play")).body.play_statuses[0]);
    assert.equal(p.feed_url, feedUrl(1));
    assert.equal(p.enclosure_url, "https://cdn.example.org/1/1.mp3");
    assert.equal(p.duration, 3600);
    const [pl] = r.data.playlists;
    assert.equal(pl.id, "later");
    assert.deepEqual(pl.items, []);
    const fromList = (await api.get("/playlists")).body.playlists[0];
    for (const k of Object.keys(fromList)) assert.deepEqual(pl[k], fromList[k], k);
  });
});

Deno.test("POST /sync with a body that changes nothing appends no event", async () => {
  await withApi({}, async ({ api }) => {
    for (const body of [{}, { subscriptions: [], play_statuses: [], playlists: [] }]) {
      const r = await sync(api, body);
      assert.equal(r.events_appended, 0);
      const { sync_token, ...state } = r.data;
      assert.equal(typeof sync_token, "string");
      assert.deepEqual(state, { subscriptions: [], play_statuses: [], playlists: [], full: true });
    }
    assert.equal((await api.t.deps.store.head(api.userId)).seq, 0);
  });
});

Deno.test("POST /sync with the same body twice appends no event the second time", async () => {
  await withApi({}, async ({ api }) => {
    const body = {
      subscriptions: [
        { rss_source_feed: feedId(1), rss_source_id: "x", subscribed_at: T(1) },
        { rss_source_feed: feedId(2), subscribed_at: T(1), unsubscribed_at: T(2) },
      ],
      play_statuses: [{
        rss_source_feed: feedId(1),
        rss_source_item: itemId(1, 1),
        position: 5,
        played: true,
        updated_at: T(3),
      }],
      playlists: [{
        name: "Queue",
        updated_at: T(4),
        items: [
          {
            rss_source_feed: feedId(1),
            rss_source_item: itemId(1, 1),
            added_at: T(4),
            position: 2,
          },
          {
            rss_source_feed: feedId(1),
            rss_source_item: itemId(1, 2),
            added_at: T(4),
            position: 1,
          },
          {
            rss_source_feed: feedId(1),
            rss_source_item: itemId(1, 3),
            added_at: T(4),
            removed_at: T(5),
          },
        ],
      }],
    };
    const first = await sync(api, body);
    assert.ok(first.events_appended > 0);
    const head = await api.t.deps.store.head(api.userId);
    const second = await sync(api, body);
    assert.equal(second.events_appended, 0);
    assert.deepEqual(await api.t.deps.store.head(api.userId), head);
    assert.deepEqual(second.data, first.data);
  });
});

Deno.test("POST /sync of 1,000 subscriptions and 5,000 play statuses lands whole over several commits", async () => {
  await withApi({}, async ({ api }) => {
    const subscriptions = Array.from({ length: 1000 }, (_, i) => ({
      rss_source_feed: feedId(i),
      subscribed_at: T(1),
    }));
    const play_statuses = Array.from({ length: 5000 }, (_, i) => ({
      rss_source_feed: feedId(i % 1000),
      rss_source_item: itemId(i % 1000, i),
      position: i,
      played: i % 2 === 0,
      updated_at: T(2),
    }));
    const body = { subscriptions, play_statuses };
    const r = await sync(api, body);
    assert.equal(r.events_appended, 6000);
    assert.equal(r.data.subscriptions.length, 1000);
    assert.equal(r.data.play_statuses.length, 5000);
    assert.equal((await api.t.deps.store.head(api.userId)).seq, 6000);
    const events = await api.t.deps.store.readEvents(api.userId, 0);
    assert.deepEqual(events.map((e) => e.seq), Array.from({ length: 6000 }, (_, i) => i + 1));
    let markers = 0;
    for await (const _ of api.t.kv.list({ prefix: ["outbox", api.userId] })) markers++;
    assert.ok(markers > 1, `expected several commits, saw ${markers}`);
    assert.equal((await api.get("/subscriptions")).body.subscriptions.length, 1000);
    const page = (await api.get("/play?limit=500&played=false")).body;
    assert.equal(page.play_statuses.length, 500);
    assert.ok(page.next_cursor);

    const again = await sync(api, body);
    assert.equal(again.events_appended, 0);
    assert.equal((await api.t.deps.store.head(api.userId)).seq, 6000);
  });
});

Deno.test("POST /sync that fails between two commits can be retried: everything lands once", async () => {
  await withApi({}, async ({ api, t }) => {
    const body = {
      play_statuses: Array.from({ length: 1200 }, (_, i) => ({
        rss_source_feed: feedId(1),
        rss_source_item: itemId(1, i),
        position: i,
        played: false,
        updated_at: T(1),
      })),
    };
    const committer = t.deps.committer;
    const submit = committer.submit.bind(committer);
    let commits = 0;
    committer.submit = (op) => {
      if (++commits === 3) return Promise.reject(new Error("KV went away"));
      return submit(op);
    };
    const failed = await api.post("/sync", body);
    assert.equal(failed.status, 500);
    assert.equal(failed.body.error.code, "internal_error");
    assert.doesNotMatch(failed.text, /KV went away|at /);
    const partial = (await t.deps.store.head(api.userId)).seq;
    assert.ok(partial > 0 && partial < 1200, `partial: ${partial}`);

    const retried = await sync(api, body);
    assert.equal(retried.events_appended, 1200 - partial);
    assert.equal(retried.data.play_statuses.length, 1200);
    const events = await t.deps.store.readEvents(api.userId, 0);
    assert.equal(events.length, 1200);
    assert.equal(new Set(events.map((e) => e.item)).size, 1200);
  });
});
