import assert from "node:assert/strict";
import type { UserEvent } from "../../src/domain/events.ts";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import { EMPTY_STATE, evolveAll, isInPlaylist, type UserState } from "../../src/domain/state.ts";
import { decideSync, type SyncInput } from "../../src/domain/sync.ts";
import { META, stored } from "../_support/decider.ts";

const FEED = encodeFeedId("https://example.org/feed.xml");
const ITEM = encodeItemId("ep-1", "https://cdn.example.org/ep1.mp3");
const T = (day: number) => `2026-01-${String(day).padStart(2, "0")}T00:00:00.000Z`;

function sync(state: UserState, input: Partial<SyncInput>) {
  return decideSync(state, { subscriptions: [], play_statuses: [], playlists: [], ...input }, META);
}

function after(events: readonly UserEvent[], base = EMPTY_STATE): UserState {
  return evolveAll(base, stored(events, base.seq + 1));
}

const subscribedOn = (day: number) =>
  after(sync(EMPTY_STATE, { subscriptions: [{ feed: FEED, subscribed_at: T(day) }] }));
const unsubscribedOn = (sub: number, unsub: number) =>
  after(sync(EMPTY_STATE, {
    subscriptions: [{ feed: FEED, subscribed_at: T(sub), unsubscribed_at: T(unsub) }],
  }));

Deno.test("sync: an unknown feed the client subscribes to emits subscribed with the client's date", () => {
  const events = sync(EMPTY_STATE, { subscriptions: [{ feed: FEED, subscribed_at: T(3) }] });
  assert.deepEqual(events.map((e) => [e.type, e.ts]), [["subscribed", T(3)]]);
});

Deno.test("sync: an unknown feed the client says is unsubscribed emits subscribed then unsubscribed", () => {
  const events = sync(EMPTY_STATE, {
    subscriptions: [{ feed: FEED, subscribed_at: T(3), unsubscribed_at: T(5) }],
  });
  assert.deepEqual(events.map((e) => e.type), ["subscribed", "unsubscribed"]);
  const sub = after(events).subscriptions.get(FEED)!;
  assert.equal(sub.subscribed_at, T(3));
  assert.equal(sub.unsubscribed_at, T(5));
});

Deno.test("sync: server subscribed and a newer client subscribed_at emits subscribed", () => {
  const events = sync(subscribedOn(3), { subscriptions: [{ feed: FEED, subscribed_at: T(4) }] });
  assert.deepEqual(events.map((e) => e.type), ["subscribed"]);
});

Deno.test("sync: server unsubscribed and a client subscribed_at newer than it resubscribes", () => {
  const events = sync(unsubscribedOn(3, 5), {
    subscriptions: [{ feed: FEED, subscribed_at: T(6) }],
  });
  assert.deepEqual(events.map((e) => e.type), ["subscribed"]);
});

Deno.test("sync: server unsubscribed and a newer client unsubscribed_at emits unsubscribed", () => {
  const events = sync(unsubscribedOn(3, 5), {
    subscriptions: [{ feed: FEED, subscribed_at: T(3), unsubscribed_at: T(7) }],
  });
  assert.deepEqual(events.map((e) => e.type), ["unsubscribed"]);
});

Deno.test("sync: server subscribed and a client unsubscribed_at newer than it unsubscribes", () => {
  const events = sync(subscribedOn(3), {
    subscriptions: [{ feed: FEED, subscribed_at: T(2), unsubscribed_at: T(4) }],
  });
  assert.deepEqual(events.map((e) => e.type), ["unsubscribed"]);
});

Deno.test("sync ignores an older unsubscribe", () => {
  const events = sync(subscribedOn(5), {
    subscriptions: [{ feed: FEED, subscribed_at: T(1), unsubscribed_at: T(4) }],
  });
  assert.deepEqual(events, []);
});

Deno.test("sync ignores an older subscribe when the server unsubscribed later", () => {
  assert.deepEqual(
    sync(unsubscribedOn(3, 5), { subscriptions: [{ feed: FEED, subscribed_at: T(4) }] }),
    [],
  );
});

Deno.test("sync: a newer play status wins, an older or equal one is ignored", () => {
  const first = sync(EMPTY_STATE, {
    play_statuses: [{ feed: FEED, item: ITEM, position: 10, played: false, updated_at: T(5) }],
  });
  const state = after(first);
  const newer = sync(state, {
    play_statuses: [{ feed: FEED, item: ITEM, position: 99, played: true, updated_at: T(6) }],
  });
  assert.deepEqual(newer.map((e) => [e.type, e.ts]), [["played", T(6)]]);
  for (const day of [4, 5]) {
    assert.deepEqual(
      sync(state, {
        play_statuses: [{ feed: FEED, item: ITEM, position: 1, played: true, updated_at: T(day) }],
      }),
      [],
    );
  }
});

Deno.test("sync: the same body twice emits nothing the second time", () => {
  const input: Partial<SyncInput> = {
    subscriptions: [{ feed: FEED, subscribed_at: T(1), unsubscribed_at: T(2) }],
    play_statuses: [{ feed: FEED, item: ITEM, position: 5, played: false, updated_at: T(3) }],
    playlists: [{
      name: "Commute",
      updated_at: T(4),
      items: [{ feed: FEED, item: ITEM, added_at: T(4), position: 0 }],
    }],
  };
  const state = after(sync(EMPTY_STATE, input));
  assert.deepEqual(sync(state, input), []);
});

Deno.test("sync: playlist metadata is last-writer-wins by updated_at", () => {
  const state = after(
    sync(EMPTY_STATE, { playlists: [{ id: "p1", name: "A", updated_at: T(5), items: [] }] }),
  );
  assert.deepEqual(
    sync(state, { playlists: [{ id: "p1", name: "Old", updated_at: T(4), items: [] }] }),
    [],
  );
  const renamed = after(
    sync(state, { playlists: [{ id: "p1", name: "B", updated_at: T(6), items: [] }] }),
    state,
  );
  assert.equal(renamed.playlists.get("p1")!.name, "B");
});

Deno.test("sync: playlist items merge by their own add and remove times", () => {
  const state = after(sync(EMPTY_STATE, {
    playlists: [{
      id: "p1",
      name: "A",
      updated_at: T(1),
      items: [{ feed: FEED, item: ITEM, added_at: T(2) }],
    }],
  }));
  // Another device removed it later; an older removal would not count.
  const older = sync(state, {
    playlists: [{
      id: "p1",
      name: "A",
      updated_at: T(1),
      items: [{ feed: FEED, item: ITEM, added_at: T(1), removed_at: T(1) }],
    }],
  });
  assert.ok(isInPlaylist(after(older, state).playlists.get("p1")!.items.get(ITEM)!), "still in");
  const removed = after(
    sync(state, {
      playlists: [{
        id: "p1",
        name: "A",
        updated_at: T(1),
        items: [{ feed: FEED, item: ITEM, added_at: T(2), removed_at: T(3) }],
      }],
    }),
    state,
  );
  const it = removed.playlists.get("p1")!.items.get(ITEM)!;
  assert.ok(
    Date.parse(it.removed_at!) > Date.parse(it.added_at),
    "latest remove is newer than latest add",
  );
});

Deno.test("sync: a playlist without id is matched by name on re-send", () => {
  const input: Partial<SyncInput> = { playlists: [{ name: "Later", updated_at: T(1), items: [] }] };
  const state = after(sync(EMPTY_STATE, input));
  assert.equal(state.playlists.size, 1);
  assert.deepEqual(sync(state, input), []);
});

Deno.test("sync: a newer unsubscribe also brings the client's newer subscription date", () => {
  const state = unsubscribedOn(3, 5);
  const events = sync(state, {
    subscriptions: [{ feed: FEED, subscribed_at: T(6), unsubscribed_at: T(7) }],
  });
  assert.deepEqual(events.map((e) => e.type), ["unsubscribed"]);
  const sub = after(events, state).subscriptions.get(FEED)!;
  assert.deepEqual([sub.subscribed_at, sub.unsubscribed_at], [T(6), T(7)]);
});

Deno.test("sync: a play status without played keeps the server's played flag", () => {
  const state = after(sync(EMPTY_STATE, {
    play_statuses: [{ feed: FEED, item: ITEM, position: 3000, played: true, updated_at: T(5) }],
  }));
  const events = sync(state, {
    play_statuses: [{ feed: FEED, item: ITEM, position: 10, updated_at: T(6) }],
  });
  assert.deepEqual(events.map((e) => e.data), [{ position: 10, played: true }]);
});

Deno.test("sync refuses to grow a playlist past its 500 episodes, like the REST API", () => {
  const items = Array.from({ length: 501 }, (_, i) => ({
    feed: FEED,
    item: encodeItemId(`ep-${i}`, `https://cdn.example.org/ep${i}.mp3`),
    added_at: T(2),
  }));
  assert.throws(
    () => sync(EMPTY_STATE, { playlists: [{ id: "p1", name: "Big", updated_at: T(1), items }] }),
    (e: { code?: string }) => e.code === "conflict",
  );
  const ok = sync(EMPTY_STATE, {
    playlists: [{ id: "p1", name: "Big", updated_at: T(1), items: items.slice(0, 500) }],
  });
  assert.equal(after(ok).playlists.get("p1")!.items.size, 500);
});
