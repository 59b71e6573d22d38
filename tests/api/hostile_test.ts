import assert from "node:assert/strict";
import { expectError, feedId, itemId, noEvents, type Reply, withApi } from "./_api.ts";

Deno.test("wrong types are 422 validation_failed with per-field details", async () => {
  await withApi({}, async ({ api }) => {
    const play = { rss_source_feed: feedId(1), rss_source_item: itemId(1, 1) };
    const cases: [string, () => Promise<Reply>, string][] = [
      ["position string", () => api.post("/play", { ...play, position: "10" }), "position"],
      ["position negative", () => api.post("/play", { ...play, position: -1 }), "position"],
      ["position fraction", () => api.post("/play", { ...play, position: 1.5 }), "position"],
      ["position huge", () => api.post("/play", { ...play, position: 1e300 }), "position"],
      ["position missing", () => api.post("/play", play), "position"],
      ["played string", () => api.post("/play", { ...play, position: 1, played: "yes" }), "played"],
      [
        "duration negative",
        () => api.post("/play", { ...play, position: 1, duration: -5 }),
        "duration",
      ],
      [
        "feed number",
        () => api.post("/play", { ...play, rss_source_feed: 42, position: 1 }),
        "rss_source_feed",
      ],
      ["feed missing", () => api.post("/subscriptions", {}), "rss_source_feed"],
      [
        "feed object",
        () => api.post("/subscriptions", { rss_source_feed: { a: 1 } }),
        "rss_source_feed",
      ],
      [
        "source id number",
        () => api.post("/subscriptions", { rss_source_feed: feedId(1), rss_source_id: 5 }),
        "rss_source_id",
      ],
      [
        "source id too long",
        () =>
          api.post("/subscriptions", {
            rss_source_feed: feedId(1),
            rss_source_id: "x".repeat(257),
          }),
        "rss_source_id",
      ],
      [
        "position put",
        () => api.put(`/play/${itemId(1, 1)}/position`, { position: -3 }),
        "position",
      ],
      ["sync not an array", () => api.post("/sync", { subscriptions: {} }), "subscriptions"],
      [
        "sync entry not an object",
        () => api.post("/sync", { play_statuses: [1] }),
        "play_statuses[0]",
      ],
      [
        "sync bad date",
        () =>
          api.post("/sync", {
            subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: "yesterday" }],
          }),
        "subscriptions[0].subscribed_at",
      ],
      [
        "sync missing date",
        () => api.post("/sync", { subscriptions: [{ rss_source_feed: feedId(1) }] }),
        "subscriptions[0].subscribed_at",
      ],
      [
        "sync missing item",
        () =>
          api.post("/sync", {
            play_statuses: [{
              rss_source_feed: feedId(1),
              position: 1,
              updated_at: "2025-01-01T00:00:00Z",
            }],
          }),
        "play_statuses[0].rss_source_item",
      ],
      [
        "sync negative position",
        () =>
          api.post("/sync", {
            play_statuses: [{ ...play, position: -1, updated_at: "2025-01-01T00:00:00Z" }],
          }),
        "play_statuses[0].position",
      ],
      [
        "sync playlist bad id",
        () =>
          api.post("/sync", {
            playlists: [{ id: "../x", name: "n", updated_at: "2025-01-01T00:00:00Z" }],
          }),
        "playlists[0].id",
      ],
      ["playlist name", () => api.post("/playlists", { name: 7 }), "name"],
      ["privacy level", () => api.put("/privacy", { privacy: true }), "privacy"],
      ["limit", () => api.get("/play?limit=0"), "limit"],
      ["played query", () => api.get("/play?played=maybe"), "played"],
    ];
    for (const [what, call, field] of cases) {
      const r = await call();
      expectError(r, 422, "validation_failed", what);
      assert.ok(field in (r.body.error.details ?? {}), `${what}: ${JSON.stringify(r.body.error)}`);
    }
    await noEvents(api);
  });
});

Deno.test("invalid JSON is 400 and a body that is not an object is 422, on every JSON endpoint", async () => {
  await withApi({}, async ({ api }) => {
    const pl = (await api.post("/playlists", { name: "Q" })).body.id;
    const before = (await api.t.deps.store.head(api.userId)).seq;
    const endpoints: [string, string][] = [
      ["POST", "/sync"],
      ["POST", "/subscriptions"],
      ["POST", "/play"],
      ["PUT", `/play/${itemId(1, 1)}/position`],
      ["PUT", "/privacy"],
      ["POST", "/playlists"],
      ["PATCH", `/playlists/${pl}`],
      ["POST", `/playlists/${pl}/items`],
      ["PUT", `/playlists/${pl}/order`],
    ];
    for (const [method, path] of endpoints) {
      for (const raw of ["{", "{'a':1}", "nul", '{"a":1}}', "\u0000"]) {
        const r = await api.call(method, path, undefined, { raw });
        expectError(r, 400, "invalid_json", `${method} ${path} ${JSON.stringify(raw)}`);
      }
      for (const raw of ["[]", "null", '"text"', "42", "true"]) {
        const r = await api.call(method, path, undefined, { raw });
        expectError(r, 422, "validation_failed", `${method} ${path} ${raw}`);
      }
    }
    assert.equal((await api.t.deps.store.head(api.userId)).seq, before);
  });
});

Deno.test("an empty body is a no-op sync and a validation error elsewhere", async () => {
  await withApi({}, async ({ api }) => {
    const sync = await api.post("/sync", undefined, { raw: "" });
    assert.equal(sync.status, 200);
    assert.equal(sync.body.events_appended, 0);
    expectError(
      await api.post("/subscriptions", undefined, { raw: "" }),
      422,
      "validation_failed",
      "subscribe",
    );
    expectError(await api.post("/play", undefined, { raw: "" }), 422, "validation_failed", "play");
    expectError(
      await api.post("/playlists", undefined, { raw: "" }),
      422,
      "validation_failed",
      "playlist",
    );
    expectError(
      await api.put("/privacy", undefined, { raw: "" }),
      422,
      "validation_failed",
      "privacy",
    );
    const imp = await api.post("/subscriptions/import", undefined, { raw: "" });
    assert.equal(imp.status, 400);
    await noEvents(api);
  });
});

Deno.test("deeply nested and prototype-polluting JSON is refused or ignored, never a 500", async () => {
  await withApi({}, async ({ api }) => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    for (
      const raw of [
        `{"subscriptions": ${deep}}`,
        `{"play_statuses": [{"position": ${deep}}]}`,
        deep,
        '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}',
      ]
    ) {
      const r = await api.post("/sync", undefined, { raw });
      assert.ok(r.status < 500, `${raw.slice(0, 40)} → ${r.status}`);
      assert.ok(r.body?.error || r.body?.status === "success");
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    await noEvents(api);
  });
});

Deno.test("bodies over 1 MiB are 413, except /sync which takes up to 10 MiB", async () => {
  await withApi({}, async ({ api }) => {
    const twoMb = JSON.stringify({ rss_source_feed: feedId(1), pad: "x".repeat(2 * 1024 * 1024) });
    for (
      const [method, path] of [["POST", "/subscriptions"], ["POST", "/play"], ["PUT", "/privacy"], [
        "POST",
        "/playlists",
      ]]
    ) {
      const r = await api.call(method, path, undefined, { raw: twoMb });
      expectError(r, 413, "payload_too_large", `${method} ${path}`);
    }
    const opml = `<opml version="2.0"><body>${"<outline text='x'/>".repeat(120_000)}</body></opml>`;
    expectError(
      await api.post("/subscriptions/import", undefined, { raw: opml }),
      413,
      "payload_too_large",
      "import",
    );
    const okSync = await api.post("/sync", undefined, {
      raw: JSON.stringify({ pad: "x".repeat(5 * 1024 * 1024) }),
    });
    assert.equal(okSync.status, 200, okSync.text.slice(0, 200));
    const bigSync = JSON.stringify({ pad: "x".repeat(11 * 1024 * 1024) });
    expectError(
      await api.post("/sync", undefined, { raw: bigSync }),
      413,
      "payload_too_large",
      "sync",
    );
    // Also when the client announces its length up front.
    const announced = await api.post("/play", undefined, {
      raw: twoMb,
      headers: { "Content-Length": String(twoMb.length) },
    });
    expectError(announced, 413, "payload_too_large", "with Content-Length");
    await noEvents(api);
  });
});

Deno.test("another user's feed, play status and playlist are invisible: 404, nothing changed", async () => {
  await withApi({}, async ({ api, user }) => {
    const bob = await user("bob");
    await bob.post("/subscriptions", { rss_source_feed: feedId(1) });
    await bob.post("/play", {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 1),
      position: 5,
    });
    const pl = (await bob.post("/playlists", { name: "Bob" })).body.id;
    expectError(await api.delete(`/subscriptions/${feedId(1)}`), 404, "not_found", "unsubscribe");
    expectError(
      await api.put(`/play/${itemId(1, 1)}/position`, { position: 1 }),
      404,
      "not_found",
      "position",
    );
    expectError(await api.patch(`/playlists/${pl}`, { name: "x" }), 404, "not_found", "playlist");
    // A sync naming Bob's playlist id creates Alice's own playlist, it never touches Bob's.
    await api.post("/sync", {
      playlists: [{ id: pl, name: "Alice's", updated_at: "2030-01-01T00:00:00Z" }],
    });
    assert.equal((await bob.get(`/playlists/${pl}`)).body.name, "Bob");
    assert.deepEqual((await api.get("/subscriptions")).body.subscriptions, []);
    assert.deepEqual((await api.get("/play")).body.play_statuses, []);
    assert.equal((await bob.get("/subscriptions")).body.subscriptions.length, 1);
    assert.equal((await bob.get("/play")).body.play_statuses[0].position, 5);
  });
});

Deno.test("POST /sync refuses times more than a day ahead of the server with 422 naming the field", async () => {
  await withApi({}, async ({ api }) => {
    const r = await api.post("/sync", {
      subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: "9999-01-01T00:00:00Z" }],
    });
    expectError(r, 422, "validation_failed", "far-future subscribed_at");
    assert.match(JSON.stringify(r.body.error.details), /subscriptions\[0\]\.subscribed_at/);
    const ok = await api.post("/sync", {
      subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: "2026-01-15T12:00:00Z" }],
    });
    assert.equal(ok.status, 200, "a clock a couple of hours ahead is fine");
  });
});
