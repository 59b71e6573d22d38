/**
 * Hostile and careless input for `DELETE /api/v1/history` and `DELETE /api/v1/account`:
 * every refusal is the SPEC §2.6 error for it and erases nothing.
 */
import assert from "node:assert/strict";
import * as keys from "../../src/store/keys.ts";
import { type ApiClient, expectError, feedId, itemId, type Reply, stdBase64 } from "../api/_api.ts";
import { buildSite, client, type Site } from "./_lifecycle.ts";

/** Alice has played one episode; nothing is to be erased by a refused request. */
async function played(site: Site): Promise<void> {
  const [alice] = site.users;
  await alice.post("/subscriptions", { rss_source_feed: feedId(1) });
  const r = await alice.post("/play", {
    rss_source_feed: feedId(1),
    rss_source_item: itemId(1, 1),
    position: 10,
  });
  assert.equal(r.status, 200, r.text);
}

/** Alice's stream and data are as `played` left them. */
async function untouched(site: Site, api: ApiClient): Promise<void> {
  assert.equal((await site.t.deps.store.head(api.userId)).seq, 2, "no event was appended");
  assert.deepEqual(
    await Array.fromAsync(site.t.kv.list({ prefix: keys.erasePrefix(api.userId) })),
    [],
  );
  assert.equal((await site.t.deps.store.load(api.userId)).plays.size, 1);
}

Deno.test("DELETE /history: bad ids, wrong types and bodies that are not a JSON object erase nothing", async () => {
  const site = await buildSite(["alice"]);
  try {
    await played(site);
    const [alice] = site.users;
    const del = (body: unknown) => alice.call("DELETE", "/history", body);
    const raw = (text: string) =>
      alice.call("DELETE", "/history", undefined, {
        raw: text,
        headers: { "Content-Type": "application/json" },
      });
    const cases: [string, () => Promise<Reply>, number, string][] = [
      ["feed not base64", () => del({ feed: "%%%not-an-id" }), 400, "invalid_feed_id"],
      [
        "feed of an ftp URL",
        () => del({ feed: stdBase64("ftp://x.org/f") }),
        400,
        "invalid_feed_id",
      ],
      ["feed empty", () => del({ feed: "" }), 400, "invalid_feed_id"],
      ["item not an item", () => del({ item: stdBase64("just a guid") }), 400, "invalid_item_id"],
      ["bad item, good feed", () => del({ feed: feedId(1), item: "x" }), 400, "invalid_item_id"],
      ["bad feed in the query", () => alice.delete("/history?feed=%25%25"), 400, "invalid_feed_id"],
      ["feed a number", () => del({ feed: 42 }), 422, "validation_failed"],
      ["feed an object", () => del({ feed: { url: "https://x.org/" } }), 422, "validation_failed"],
      [
        "item an array",
        () => del({ feed: feedId(1), item: [itemId(1, 1)] }),
        422,
        "validation_failed",
      ],
      ["item true", () => del({ item: true }), 422, "validation_failed"],
      ["not JSON", () => raw("feed=abc"), 400, "invalid_json"],
      ["truncated JSON", () => raw('{"feed": "'), 400, "invalid_json"],
      ["a JSON array", () => raw("[]"), 422, "validation_failed"],
      ["a JSON string", () => raw('"everything"'), 422, "validation_failed"],
      [
        "too large",
        () => raw(JSON.stringify({ pad: "x".repeat(1_100_000) })),
        413,
        "payload_too_large",
      ],
    ];
    for (const [what, call, status, code] of cases) {
      expectError(await call(), status, code, what);
      await untouched(site, alice);
    }
  } finally {
    await site.t.close();
  }
});

Deno.test("DELETE /history of an episode without its feed erases that episode", async () => {
  const site = await buildSite(["alice"]);
  try {
    await played(site);
    const [alice] = site.users;
    await alice.post("/play", {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 2),
      position: 3,
    });
    const r = await alice.call("DELETE", "/history", { item: itemId(1, 1) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.scope, "item");
    assert.equal(r.body.rss_source_item, itemId(1, 1));
    const plays = (await alice.get("/play")).body.play_statuses;
    assert.deepEqual(plays.map((p: { rss_source_item: string }) => p.rss_source_item), [
      itemId(1, 2),
    ]);
    // An episode never heard of: recorded, nothing else to erase.
    const again = await alice.call("DELETE", "/history", { item: itemId(9, 9) });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.events_deleted, 0);
  } finally {
    await site.t.close();
  }
});

Deno.test("DELETE /history and /account need their scopes; /export needs user.read", async () => {
  const site = await buildSite(["alice"], { scopes: ["user"] });
  try {
    await played(site);
    const [alice] = site.users;
    // `user.sync` covers much, but not erasing history or reading everything…
    const sync = await client(site, "alice", { appId: "sync-only", scopes: ["user.sync"] });
    expectError(await sync.call("DELETE", "/history", {}), 403, "insufficient_scope", "history");
    expectError(await sync.get("/export"), 403, "insufficient_scope", "export");
    // …and only `*` may delete the account (`user` may erase history).
    expectError(await alice.delete("/account"), 403, "insufficient_scope", "account with user");
    expectError(await sync.delete("/account"), 403, "insufficient_scope", "account with sync");
    await untouched(site, alice);
    assert.equal((await alice.get("/me")).status, 200);
  } finally {
    await site.t.close();
  }
});

Deno.test("DELETE /account twice: the second is refused as unauthorized, nothing else happens", async () => {
  const site = await buildSite(["alice", "bob"], { scopes: ["*"] });
  try {
    await played(site);
    const [alice, bob] = site.users;
    const first = await alice.delete("/account");
    assert.equal(first.status, 200, first.text);
    expectError(await alice.delete("/account"), 401, "unauthorized", "second delete");
    expectError(await alice.call("DELETE", "/history", {}), 401, "unauthorized", "history");
    assert.equal((await bob.get("/me")).status, 200);
    assert.equal((await bob.delete("/account")).status, 200, "bob can still leave");
  } finally {
    await site.t.close();
  }
});
