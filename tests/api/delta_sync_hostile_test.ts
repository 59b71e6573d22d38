/**
 * Hostile `since` and `page` values (SPEC §4.1): a garbled, forged or another user's token
 * is a 400 JSON error that writes nothing and never answers someone else's data.
 */
import assert from "node:assert/strict";
import { expectError, feedId, itemId, type Json, noEvents, withApi } from "./_api.ts";
import { base64url } from "../../src/store/hash.ts";
import { pageToken, syncToken } from "../../src/store/sync_changes.ts";

const T = (n: number) => new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString();
const b64 = (v: unknown) => base64url(new TextEncoder().encode(JSON.stringify(v)));

const PLAY = {
  rss_source_feed: feedId(1),
  rss_source_item: itemId(1, 1),
  position: 5,
  played: false,
  updated_at: T(1),
};

const GARBLED: unknown[] = [
  "",
  "!!!",
  "abc",
  "a".repeat(5_000),
  "eyJ2IjoxfQ", // {"v":1}
  b64({ v: 1, k: "s", u: "x", s: -1, t: 0 }),
  b64({ v: 1, k: "s", u: "x", s: 1.5, t: 0 }),
  b64({ v: 2, k: "s", u: "x", s: 1, t: 0 }),
  b64([1, 2, 3]),
  b64(null),
  btoa("\xff\xfe"),
  42,
  true,
  ["token"],
  { v: 1 },
];

Deno.test("a garbled since is refused with 400 invalid_sync_token and writes nothing", async () => {
  await withApi({}, async ({ api }) => {
    for (const since of GARBLED) {
      const r = await api.post("/sync", { since, play_statuses: [PLAY] });
      expectError(r, 400, "invalid_sync_token", `since ${JSON.stringify(since).slice(0, 40)}`);
    }
    await noEvents(api);
  });
});

Deno.test("another user's sync token is refused and never answers their data", async () => {
  await withApi({}, async ({ api, user }) => {
    const bob = await user("bob");
    const r = await bob.post("/sync", { play_statuses: [PLAY] });
    assert.equal(r.status, 200);
    const bobs = r.body.data.sync_token;
    for (const since of [bobs, await syncToken(bob.userId, { seq: 0, at: 0 })]) {
      const mine = await api.post("/sync", { since });
      expectError(mine, 400, "invalid_sync_token", "bob's token");
      assert.doesNotMatch(mine.text, new RegExp(itemId(1, 1)));
      const got = await api.get(`/play?since=${since}`);
      expectError(got, 400, "invalid_sync_token", "bob's token on GET /play");
      const subs = await api.get(`/subscriptions?since=${since}`);
      expectError(subs, 400, "invalid_sync_token", "bob's token on GET /subscriptions");
    }
    const page = await pageToken(bob.userId, {
      kind: "full",
      seq: 1,
      at: 0,
      afterHash: "a".repeat(22),
    });
    expectError(await api.post("/sync", { page }), 400, "invalid_page", "bob's page token");
    await noEvents(api);
  });
});

Deno.test("a token from the future is refused; the user's own token with a forged seq answers the whole state", async () => {
  await withApi({}, async ({ api, t }) => {
    const future = await syncToken(api.userId, { seq: 0, at: t.clock.now() + 10 * 86_400_000 });
    expectError(await api.post("/sync", { since: future }), 400, "invalid_sync_token", "future");
    const forged = await syncToken(api.userId, { seq: 9_999, at: t.clock.now() });
    const r = await api.post("/sync", { since: forged, play_statuses: [PLAY] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.data.full, true);
    assert.equal(r.body.data.play_statuses.length, 1);
  });
});

Deno.test("a page request is refused when garbled or when it carries state, and writes nothing", async () => {
  await withApi({}, async ({ api }) => {
    for (const page of GARBLED.filter((p) => p !== "")) {
      const r = await api.post("/sync", { page });
      expectError(r, 400, "invalid_page", `page ${JSON.stringify(page).slice(0, 40)}`);
    }
    // A sync token is not a page token.
    const token = (await api.post("/sync", {})).body.data.sync_token;
    expectError(await api.post("/sync", { page: token }), 400, "invalid_page", "a sync token");
    const page = await pageToken(api.userId, {
      kind: "full",
      seq: 0,
      at: 0,
      afterHash: "A".repeat(22),
    });
    const mixed = await api.post("/sync", { page, play_statuses: [PLAY], since: token });
    expectError(mixed, 422, "validation_failed", "page with a body");
    assert.deepEqual(Object.keys(mixed.body.error.details).sort(), ["play_statuses", "since"]);
    await noEvents(api);
  });
});

Deno.test("GET /play and /subscriptions refuse a garbled since or cursor with a 400", async () => {
  await withApi({}, async ({ api }) => {
    for (const bad of ["!!!", "abc", "eyJ2IjoxfQ", "a".repeat(600)]) {
      const q = encodeURIComponent(bad);
      expectError(await api.get(`/play?since=${q}`), 400, "invalid_sync_token", `play ${bad}`);
      expectError(
        await api.get(`/subscriptions?since=${q}`),
        400,
        "invalid_sync_token",
        `subscriptions ${bad}`,
      );
    }
    const since = (await api.get("/play")).body.sync_token;
    const r = await api.get(`/play?since=${since}&cursor=garbage`);
    expectError(r, 400, "invalid_cursor", "a cursor that is not a token");
    const body: Json = (await api.get(`/play?since=${since}`)).body;
    assert.deepEqual(body.play_statuses, []);
  });
});
