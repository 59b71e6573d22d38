/**
 * Hostile input on every public endpoint: each is a clear 4xx JSON error
 * (`{error: {code, message}}`), never a 500, with CORS headers on errors too.
 */
import assert from "node:assert/strict";
import type { AuthTestApp } from "../_support/auth_app.ts";
import { feedId, itemId, type Json, stdBase64, withApi } from "../api/_api.ts";
import { settle } from "./_public.ts";

const ORIGIN = "https://elsewhere.example";

/** URL-safe base64 without padding, of any text. */
function b64(text: string): string {
  return stdBase64(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function request(t: AuthTestApp, path: string, method = "GET") {
  const res = await t.app.request(`/api/v1/public${path}`, { method, headers: { Origin: ORIGIN } });
  const text = await res.text();
  let body: Json;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** Asserts a JSON error with this status and code, CORS open and not cached. */
async function expectRefused(
  t: AuthTestApp,
  path: string,
  status: number,
  code: string,
  method = "GET",
): Promise<Json> {
  const r = await request(t, path, method);
  const what = `${method} ${path.slice(0, 120)}: ${r.status} ${r.text.slice(0, 160)}`;
  assert.equal(r.status, status, what);
  assert.equal(r.body?.error?.code, code, what);
  assert.equal(typeof r.body.error.message, "string", what);
  assert.ok(r.body.error.message.length > 0, what);
  assert.match(r.headers.get("content-type") ?? "", /^application\/json/, what);
  assert.equal(r.headers.get("access-control-allow-origin"), "*", `${what}: CORS on errors`);
  assert.equal(r.headers.get("cache-control"), "no-store", what);
  return r.body;
}

/** An app with a little public activity, so that lists and cursors are not empty. */
async function withActivity(
  fn: (t: AuthTestApp, cursors: Record<string, string>) => Promise<void>,
) {
  await withApi({ env: { RATE_LIMIT_ANON: "100000" } }, async ({ t, api }) => {
    for (let e = 1; e <= 4; e++) {
      const play = { rss_source_feed: feedId(1), rss_source_item: itemId(1, e), position: e };
      assert.equal((await api.post("/play", play)).status, 200);
      t.clock.advance(1_000);
    }
    await settle(t);
    const cursors: Record<string, string> = {};
    for (const q of ["", "&event_type=play", `&feed=${feedId(1)}`]) {
      const r = await request(t, `/timeline?limit=1${q}`);
      assert.equal(r.status, 200);
      cursors[q] = r.body.next_cursor;
      assert.ok(cursors[q], `a next cursor for "${q}"`);
    }
    await fn(t, cursors);
  });
}

const BAD_FEEDS: [string, string][] = [
  ["not base64", "not-base64!!"],
  ["not a URL", b64("hello")],
  ["not http(s)", b64("ftp://files.example.org/feed.xml")],
  ["a javascript: URL", b64("javascript:alert(1)")],
  ["over 2,048 bytes", b64(`https://feeds.example.org/${"a".repeat(3000)}.xml`)],
  ["huge", "A".repeat(100_000)],
  ["invalid UTF-8", b64("\xff\xfe")],
  ["undecodable percent-escape", "%FF"],
  ["a NUL", "%00"],
];

const BAD_ITEMS: [string, string][] = [
  ["not base64", "***"],
  ["no enclosure", b64("just-a-guid")],
  ["non-http enclosure", b64("guid,ftp://cdn.example.org/1.mp3")],
  ["huge", "A".repeat(100_000)],
  ["undecodable percent-escape", "%FF"],
];

Deno.test("bad or undecodable feed and item ids are 400 invalid_feed_id / invalid_item_id on every endpoint", async () => {
  await withActivity(async (t) => {
    for (const [what, feed] of BAD_FEEDS) {
      const paths = [
        `/feed/${feed}/popularity`,
        `/trending/episodes?feed=${feed}`,
        `/timeline?feed=${feed}`,
        `/timeline?event_type=play&feed=${feed}`,
        `/episode/${itemId(1, 1)}/popularity?feed=${feed}`,
      ];
      for (const p of paths) {
        const body = await expectRefused(t, p, 400, "invalid_feed_id");
        assert.ok(!JSON.stringify(body).includes("A".repeat(1000)), `${what}: not echoed back`);
      }
    }
    for (const [, item] of BAD_ITEMS) {
      await expectRefused(t, `/episode/${item}/popularity`, 400, "invalid_item_id");
      await expectRefused(
        t,
        `/episode/${item}/popularity?feed=${feedId(1)}`,
        400,
        "invalid_item_id",
      );
    }
  });
});

Deno.test("limits and offsets out of range are 422 validation_failed naming the parameter", async () => {
  await withActivity(async (t) => {
    const limits = ["1000000000", "0", "-1", "abc", "1.5", "1e3", " 5", "%D9%A3", "9".repeat(5000)];
    for (const path of ["/trending/podcasts", "/trending/episodes", "/timeline"]) {
      for (const limit of limits) {
        const body = await expectRefused(t, `${path}?limit=${limit}`, 422, "validation_failed");
        assert.ok("limit" in body.error.details, `${path}?limit=${limit}`);
      }
    }
    for (const offset of ["-1", "10001", "1000000000", "abc", "1e2", "0x10"]) {
      const body = await expectRefused(t, `/timeline?offset=${offset}`, 422, "validation_failed");
      assert.ok("offset" in body.error.details);
    }
    // The bounds themselves are fine.
    for (
      const ok of ["/trending/podcasts?limit=100", "/timeline?limit=200", "/timeline?offset=10000"]
    ) {
      assert.equal((await request(t, ok)).status, 200, ok);
    }
    assert.deepEqual((await request(t, "/timeline?offset=10000")).body.events, []);
  });
});

Deno.test("forged or foreign timeline cursors are 400 invalid_cursor", async () => {
  await withActivity(async (t, cursors) => {
    const json = (v: unknown) => b64(JSON.stringify(v));
    const forged = [
      "garbage!!",
      "abc",
      b64("\u0000\u0001"),
      "A".repeat(600),
      json(null),
      json([1, 2]),
      json("k"),
      json({ k: "x", f: "*|*" }),
      json({ k: [-1, "a"], f: "*|*" }),
      json({ k: [1.5, "a"], f: "*|*" }),
      json({ k: [1e300, "a"], f: "*|*" }),
      json({ k: [1, "a/b"], f: "*|*" }),
      json({ k: [1, ""], f: "*|*" }),
      json({ k: [1, "a".repeat(65)], f: "*|*" }),
      json({ k: [1, { a: 1 }], f: "*|*" }),
      json({ k: [1, "a", "b"], f: "*|*" }),
      json({ k: [1, "a"], f: { toString: 1 } }),
      json({ k: [1, "a"] }),
      // A real cursor in the standard alphabet with padding is not one we made.
      stdBase64(JSON.stringify({ k: [1, "a"], f: "*|*" })),
    ];
    for (const cursor of forged) {
      await expectRefused(
        t,
        `/timeline?cursor=${encodeURIComponent(cursor)}`,
        400,
        "invalid_cursor",
      );
    }
    // Another query's cursor: each filter's cursor only fits that filter.
    const foreign: [string, string][] = [
      ["", cursors["&event_type=play"]],
      ["", cursors[`&feed=${feedId(1)}`]],
      ["&event_type=play", cursors[""]],
      ["&event_type=save", cursors["&event_type=play"]],
      [`&feed=${feedId(2)}`, cursors[`&feed=${feedId(1)}`]],
      [`&feed=${feedId(1)}&event_type=play`, cursors[`&feed=${feedId(1)}`]],
    ];
    for (const [q, cursor] of foreign) {
      await expectRefused(t, `/timeline?cursor=${cursor}${q}`, 400, "invalid_cursor");
    }
    // A well-formed cursor is only a position: far past the end, an empty page.
    const past = json({ k: [Number.MAX_SAFE_INTEGER, "zz"], f: "*|*" });
    assert.deepEqual((await request(t, `/timeline?cursor=${past}`)).body, {
      events: [],
      next_cursor: null,
    });
  });
});

Deno.test("an unknown event_type is 422, Object.prototype's names included", async () => {
  await withActivity(async (t) => {
    const names = [
      "bogus",
      "constructor",
      "Constructor",
      "__proto__",
      "toString",
      "hasOwnProperty",
      "valueOf",
      "play;drop",
      "plays",
      "p".repeat(10_000),
    ];
    for (const name of names) {
      const body = await expectRefused(t, `/timeline?event_type=${name}`, 422, "validation_failed");
      assert.ok("event_type" in body.error.details);
      await expectRefused(
        t,
        `/timeline?event_type=${name}&feed=${feedId(1)}`,
        422,
        "validation_failed",
      );
    }
    for (const name of ["PLAY", "played", "liked", "Share"]) {
      assert.equal((await request(t, `/timeline?event_type=${name}`)).status, 200, name);
    }
  });
});

Deno.test("odd usernames and playlist ids get the same plain 404 as an unknown listener", async () => {
  await withApi({}, async ({ t, api, user }) => {
    await user("bob");
    const shown = (await api.post("/playlists", { name: "Shown", is_public: true })).body.id;
    const hidden = (await api.post("/playlists", { name: "Hidden", is_public: false })).body.id;
    const gone = (await api.post("/playlists", { name: "Gone", is_public: true })).body.id;
    assert.equal((await api.delete(`/playlists/${gone}`)).status, 200);
    const names = [
      "a".repeat(33),
      "a".repeat(100_000),
      "a%20b",
      "%C3%BCnicode",
      "%FF",
      "%00",
      "a%2Fb",
      "__proto__",
      "constructor",
      "al",
      "bob", // exists, but nothing public
      "%3Cscript%3E",
    ];
    for (const name of names) {
      const body = await expectRefused(t, `/users/${name}`, 404, "not_found");
      assert.ok(!JSON.stringify(body).includes("script"), "the input is not echoed");
      await expectRefused(t, `/users/${name}/playlists/${shown}`, 404, "not_found");
    }
    for (const id of [hidden, gone, "..%2F..", "x".repeat(100), "%FF", "%00", "__proto__"]) {
      await expectRefused(t, `/users/alice/playlists/${id}`, 404, "not_found");
    }
    // Alice's public playlist is hers only, whatever the spelling of her name.
    await expectRefused(t, `/users/bob/playlists/${shown}`, 404, "not_found");
    for (const name of ["alice", "ALICE", "%20alice%20"]) {
      const r = await request(t, `/users/${name}/playlists/${shown}`);
      assert.equal(r.status, 200, name);
      assert.equal(r.body.username, "alice", `${name}: the listener's own name`);
      assert.equal(r.body.playlist.name, "Shown");
    }
  });
});

Deno.test("unknown paths and methods under /api/v1/public are a JSON 404, not the API's 401", async () => {
  await withActivity(async (t) => {
    const paths = [
      "/nope",
      "/",
      "",
      "/trending",
      "/trending/podcasts/extra",
      "/timeline/",
      "/users/",
      "/feed//popularity",
      `/feed/${feedId(1)}`,
      `/episode/${itemId(1, 1)}`,
      "/..%2F..%2Fapi%2Fv1%2Fme",
    ];
    for (const p of paths) await expectRefused(t, p, 404, "not_found");
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      await expectRefused(t, "/timeline", 404, "not_found", method);
      await expectRefused(t, "/trending/podcasts", 404, "not_found", method);
    }
  });
});

Deno.test("CORS: answers allow any origin, and an OPTIONS preflight is answered", async () => {
  await withActivity(async (t) => {
    const ok = await request(t, "/trending/podcasts");
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), "*");
    assert.equal(ok.headers.get("cache-control"), "public, max-age=60");
    for (const path of ["/timeline", "/users/alice", "/nope", `/feed/x/popularity`]) {
      const res = await t.app.request(`/api/v1/public${path}`, {
        method: "OPTIONS",
        headers: { Origin: ORIGIN, "Access-Control-Request-Method": "GET" },
      });
      assert.ok(res.status === 204 || res.status === 200, `${path}: ${res.status}`);
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      assert.match(res.headers.get("access-control-allow-methods") ?? "", /GET/);
      await res.body?.cancel();
    }
  });
});
