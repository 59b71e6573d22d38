import assert from "node:assert/strict";
import type * as C from "../../src/domain/commands.ts";
import type { UserEvent } from "../../src/domain/events.ts";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import { evolveAll } from "../../src/domain/state.ts";
import { cmd, given, stored } from "../_support/decider.ts";

const FEED = encodeFeedId("https://example.org/feed.xml");
const ITEM = encodeItemId("ep-1", "https://cdn.example.org/ep1.mp3");
const T0 = "2026-01-10T08:00:00.000Z";
const T1 = "2026-01-12T08:00:00.000Z";

const subscribed = (at = T0, extra: Partial<UserEvent> = {}): UserEvent =>
  ({
    type: "subscribed",
    id: "e1",
    ts: at,
    feed: FEED,
    data: { subscribed_at: at },
    ...extra,
  }) as UserEvent;
const unsubscribed = (at = T1): UserEvent => ({
  type: "unsubscribed",
  id: "e2",
  ts: at,
  feed: FEED,
  data: { unsubscribed_at: at },
});
const played = (position: number, at = T0, isPlayed = false): UserEvent => ({
  type: "played",
  id: "p",
  ts: at,
  feed: FEED,
  item: ITEM,
  data: { position, played: isPlayed },
});

Deno.test("decide() subscribes to an unknown feed at the command's time", () => {
  given([]).when(cmd<C.Subscribe>({ type: "Subscribe", data: { feed: FEED } })).then([
    { type: "subscribed", feed: FEED, data: { subscribed_at: "2026-01-15T10:00:00.000Z" } },
  ]);
});

Deno.test("decide() ignores a duplicate subscription", () => {
  given([subscribed()]).when(cmd<C.Subscribe>({ type: "Subscribe", data: { feed: FEED } })).then(
    [],
  );
});

Deno.test("decide() resubscribes after an unsubscribe", () => {
  given([subscribed(), unsubscribed()])
    .when(cmd<C.Subscribe>({ type: "Subscribe", data: { feed: FEED } }))
    .then([{ type: "subscribed" }]);
});

Deno.test("decide() ignores a subscribe older than the unsubscribe it would undo", () => {
  given([subscribed(), unsubscribed()])
    .when(cmd<C.Subscribe>({ type: "Subscribe", data: { feed: FEED, subscribed_at: T0 } }))
    .then([]);
});

Deno.test("decide() records a new rss_source_id on an active subscription", () => {
  given([subscribed()])
    .when(cmd<C.Subscribe>({ type: "Subscribe", data: { feed: FEED, rss_source_id: "abc" } }))
    .then([{ type: "subscribed", data: { rss_source_id: "abc" } }]);
});

Deno.test("decide() unsubscribes an active subscription", () => {
  given([subscribed()])
    .when(cmd<C.Unsubscribe>({ type: "Unsubscribe", data: { feed: FEED } }))
    .then([{ type: "unsubscribed", feed: FEED }]);
});

Deno.test("decide() ignores an unsubscribe of an already unsubscribed feed", () => {
  given([subscribed(), unsubscribed()])
    .when(cmd<C.Unsubscribe>({ type: "Unsubscribe", data: { feed: FEED } }))
    .then([]);
});

Deno.test("decide() ignores an older unsubscribe", () => {
  given([subscribed(T1)])
    .when(cmd<C.Unsubscribe>({ type: "Unsubscribe", data: { feed: FEED, unsubscribed_at: T0 } }))
    .then([]);
});

Deno.test("decide() refuses to unsubscribe a feed never subscribed", () => {
  given([]).when(cmd<C.Unsubscribe>({ type: "Unsubscribe", data: { feed: FEED } }))
    .thenThrows("not_found");
});

Deno.test("decide() records a play with its position", () => {
  given([]).when(cmd<C.RecordPlay>({
    type: "RecordPlay",
    data: { feed: FEED, item: ITEM, position: 120, duration: 3600 },
  })).then([{
    type: "played",
    feed: FEED,
    item: ITEM,
    data: { position: 120, played: false, duration: 3600 },
  }]);
});

Deno.test("decide() ignores a play that changes nothing", () => {
  given([played(120)])
    .when(
      cmd<C.RecordPlay>({ type: "RecordPlay", data: { feed: FEED, item: ITEM, position: 120 } }),
    )
    .then([]);
});

Deno.test("decide() ignores a play older than the stored one (last writer wins)", () => {
  given([played(120, T1)]).when(cmd<C.RecordPlay>({
    type: "RecordPlay",
    data: { feed: FEED, item: ITEM, position: 10, updated_at: T0 },
  })).then([]);
});

Deno.test("decide() keeps the played flag when a play omits it", () => {
  given([played(3000, T0, true)])
    .when(cmd<C.RecordPlay>({ type: "RecordPlay", data: { feed: FEED, item: ITEM, position: 5 } }))
    .then([{ type: "played", data: { position: 5, played: true } }]);
});

Deno.test("decide() refuses a negative or fractional position", () => {
  for (const position of [-1, 1.5, Number.NaN]) {
    given([]).when(cmd<C.RecordPlay>({
      type: "RecordPlay",
      data: { feed: FEED, item: ITEM, position },
    })).thenThrows("validation_failed");
  }
});

Deno.test("decide() updates the position of a known episode", () => {
  given([played(120)])
    .when(cmd<C.UpdatePosition>({ type: "UpdatePosition", data: { item: ITEM, position: 300 } }))
    .then([{ type: "position_updated", feed: FEED, item: ITEM, data: { position: 300 } }]);
});

Deno.test("decide() refuses a position update for an episode without a play status", () => {
  given([]).when(
    cmd<C.UpdatePosition>({ type: "UpdatePosition", data: { item: ITEM, position: 3 } }),
  )
    .thenThrows("not_found");
});

Deno.test("decide() saves once, unsaves once, and shares once", () => {
  const save = cmd<C.SaveEpisode>({ type: "SaveEpisode", data: { feed: FEED, item: ITEM } });
  const unsave = cmd<C.UnsaveEpisode>({ type: "UnsaveEpisode", data: { feed: FEED, item: ITEM } });
  const share = cmd<C.ShareEpisode>({ type: "ShareEpisode", data: { feed: FEED, item: ITEM } });
  const [s] = given([]).when(save).then([{ type: "saved", feed: FEED, item: ITEM }]);
  given([s]).when(save).then([]);
  given([s]).when(unsave).then([{ type: "unsaved" }]);
  given([]).when(unsave).then([]);
  const [sh] = given([]).when(share).then([{ type: "shared" }]);
  given([sh]).when(share).then([]);
});

Deno.test("decide() changes privacy at each scope and ignores a repeat", () => {
  const user = cmd<C.ChangePrivacy>({
    type: "ChangePrivacy",
    data: { scope: "user", privacy: "private" },
  });
  const [e] = given([]).when(user).then([{
    type: "privacy_changed",
    data: { scope: "user", privacy: "private" },
  }]);
  given([e]).when(user).then([]);
  const feed = cmd<C.ChangePrivacy>({
    type: "ChangePrivacy",
    data: { scope: "feed", privacy: "anonymous", feed: FEED },
  });
  const [f] = given([]).when(feed).then([{ type: "privacy_changed", feed: FEED }]);
  given([f]).when(cmd<C.ChangePrivacy>({
    type: "ChangePrivacy",
    data: { scope: "feed", privacy: null, feed: FEED },
  })).then([{ type: "privacy_changed", data: { scope: "feed", privacy: null } }]);
  given([]).when(
    cmd<C.ChangePrivacy>({
      type: "ChangePrivacy",
      data: { scope: "item", privacy: "public", feed: FEED },
    }),
  )
    .thenThrows("validation_failed");
});

Deno.test("decide() puts the device on its events", () => {
  given([]).when(cmd<C.Subscribe>(
    { type: "Subscribe", data: { feed: FEED } },
    { device: { id: "phone", name: "Pixel" } },
  )).then([{ type: "subscribed", device: { id: "phone", name: "Pixel" } }]);
});

Deno.test("evolve() keeps both dates of a resubscribed feed", () => {
  const state = evolveAll(
    given([]).state,
    stored([subscribed(T0), unsubscribed(T1), subscribed("2026-01-13T00:00:00.000Z")]),
  );
  const sub = state.subscriptions.get(FEED)!;
  assert.equal(sub.subscribed_at, "2026-01-13T00:00:00.000Z");
  assert.equal(sub.unsubscribed_at, T1);
  assert.equal(state.seq, 3);
});

Deno.test("evolve() does not change the state it is given", () => {
  const before = given([played(10)]).state;
  const after = evolveAll(before, stored([played(99, T1)], 2));
  assert.equal(before.plays.get(ITEM)!.position, 10);
  assert.equal(after.plays.get(ITEM)!.position, 99);
});

Deno.test("decide() records a listen even when nothing else changes, once per listen time", () => {
  const listen = (at: string) =>
    cmd<C.RecordListen>({ type: "RecordListen", data: { feed: FEED, item: ITEM, at } });
  const [e] = given([played(300, T0, true)]).when(listen(T1)).then([
    { type: "played", ts: T1, data: { position: 300, played: true } },
  ]);
  given([played(300, T0, true), e]).when(listen(T1)).then([]);
  given([]).when(listen(T1)).then([{ type: "played", data: { position: 0, played: false } }]);
});
