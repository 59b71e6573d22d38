import assert from "node:assert/strict";
import {
  createUserToken,
  listUserTokens,
  resolveUserToken,
  revokeUserToken,
} from "../../src/auth/user_tokens.ts";
import { createUser, getUserByUsername } from "../../src/auth/users.ts";
import {
  Browser,
  buildAuthApp,
  callApi,
  csrfOf,
  kvSnapshot,
  userWithApp,
} from "../_support/auth_app.ts";
import { generateAppKeys, requestJwt } from "../_support/jwt.ts";

Deno.test("user tokens API: create shows the token once, list shows prefixes, revoke is immediate", async () => {
  const t = await buildAuthApp();
  try {
    const keys = await generateAppKeys("ES256");
    const { user, appId } = await userWithApp(t, keys, { scopes: ["user"] });
    const jwt = () => requestJwt(keys, { appId, sub: user.id, nowMs: t.clock.now() });

    const created = await callApi(t, "/api/v1/tokens", await jwt(), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "My RSS Reader", ignored: true }),
    });
    assert.equal(created.status, 201);
    const body = await created.json();
    assert.match(body.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(body.name, "My RSS Reader");
    assert.equal(body.user_id, user.id);
    assert.equal(typeof body.created_at, "string");
    assert.equal(await resolveUserToken(t.deps, body.token), user.id);

    const list = await callApi(t, "/api/v1/tokens", await jwt());
    const listed = await list.json();
    assert.equal(listed.tokens.length, 1);
    assert.equal(listed.tokens[0].prefix, body.token.slice(0, 8));
    assert.ok(!JSON.stringify(listed).includes(body.token));
    const stored = JSON.stringify(await Array.fromAsync(t.kv.list({ prefix: [] })));
    assert.ok(!stored.includes(body.token), "the token itself is never stored");

    const del = await callApi(t, `/api/v1/tokens/${listed.tokens[0].prefix}`, await jwt(), {
      method: "DELETE",
    });
    assert.equal(del.status, 200);
    assert.equal((await del.json()).revoked, true);
    assert.equal(await resolveUserToken(t.deps, body.token), null);
    const again = await callApi(t, `/api/v1/tokens/${listed.tokens[0].id}`, await jwt(), {
      method: "DELETE",
    });
    assert.equal(again.status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("user tokens API: bad bodies are 400 invalid_json or 422 validation_failed, never 500", async () => {
  const t = await buildAuthApp();
  try {
    const keys = await generateAppKeys("ES256");
    const { user, appId } = await userWithApp(t, keys, { scopes: ["*"] });
    const cases: [string, number, string][] = [
      ["{oops", 400, "invalid_json"],
      ["", 422, "validation_failed"],
      ["[]", 422, "validation_failed"],
      ['"name"', 422, "validation_failed"],
      ['{"name": 5}', 422, "validation_failed"],
      ['{"name": ""}', 422, "validation_failed"],
      [JSON.stringify({ name: "x".repeat(101) }), 422, "validation_failed"],
    ];
    const before = await kvSnapshot(t.kv);
    for (const [raw, status, code] of cases) {
      const jwt = await requestJwt(keys, { appId, sub: user.id, nowMs: t.clock.now() });
      const res = await callApi(t, "/api/v1/tokens", jwt, { method: "POST", body: raw });
      const out = await res.json();
      assert.equal(res.status, status, raw);
      assert.equal(out.error.code, code, raw);
    }
    const unchanged = (await kvSnapshot(t.kv)).filter((k) => !k.startsWith('["app"'));
    assert.deepEqual(unchanged, before.filter((k) => !k.startsWith('["app"')));
  } finally {
    await t.close();
  }
});

Deno.test("user tokens: resolveUserToken() refuses unknown and malformed tokens", async () => {
  const t = await buildAuthApp();
  try {
    for (const bad of ["", "short", "x".repeat(43), "x".repeat(10_000), "../../etc/passwd"]) {
      assert.equal(await resolveUserToken(t.deps, bad), null);
    }
  } finally {
    await t.close();
  }
});

Deno.test("user tokens: revoking needs the own token's id or a prefix of at least 4 characters", async () => {
  const t = await buildAuthApp();
  try {
    const a = await createUserToken(t.deps, "u-1", "one");
    const b = await createUserToken(t.deps, "u-1", "two");
    assert.equal(await revokeUserToken(t.deps, "u-1", "x"), false); // too short to match
    assert.equal(await revokeUserToken(t.deps, "u-2", a.id), false); // someone else's
    assert.equal(await revokeUserToken(t.deps, "u-1", b.id), true);
    assert.deepEqual((await listUserTokens(t.deps, "u-1")).map((x) => x.name), ["one"]);
  } finally {
    await t.close();
  }
});

Deno.test("user tokens page: create shows the token once, the list only its prefix, revoke works", async () => {
  const t = await buildAuthApp();
  try {
    const b = new Browser(t.app);
    await b.register("alice");
    const alice = (await getUserByUsername(t.deps, "alice"))!;
    const res = await b.submit("/users/tokens", "/users/tokens", { name: "Feeder" });
    assert.equal(res.status, 303);
    const html = await (await b.get(res.headers.get("Location")!)).text();
    const token = /<code class="token">([A-Za-z0-9_-]{43})<\/code>/.exec(html)![1];
    assert.match(html, new RegExp(`http://localhost:8000/rss/${token}/subscriptions`));
    assert.equal(await resolveUserToken(t.deps, token), alice.id);

    const again = await (await b.get("/users/tokens")).text();
    assert.ok(!again.includes(token));
    assert.match(again, new RegExp(`${token.slice(0, 8)}…`));

    const [{ id }] = await listUserTokens(t.deps, alice.id);
    const revoke = await b.post(`/users/tokens/${id}/revoke`, { csrf: csrfOf(again) });
    assert.equal(revoke.status, 303);
    assert.equal(await resolveUserToken(t.deps, token), null);
  } finally {
    await t.close();
  }
});

Deno.test("user tokens: use is noted at most once a minute", async () => {
  const t = await buildAuthApp();
  try {
    const user = await createUser(t.deps, { username: "reader1", password: "correct horse" });
    const { token } = await createUserToken(t.deps, user.id, "reader");
    await resolveUserToken(t.deps, token);
    const [first] = await listUserTokens(t.deps, user.id);
    assert.ok(first.last_used_at);
    t.clock.advance(30_000);
    await resolveUserToken(t.deps, token);
    assert.equal((await listUserTokens(t.deps, user.id))[0].last_used_at, first.last_used_at);
    t.clock.advance(31_000);
    await resolveUserToken(t.deps, token);
    assert.notEqual((await listUserTokens(t.deps, user.id))[0].last_used_at, first.last_used_at);
  } finally {
    await t.close();
  }
});

Deno.test("user tokens: a second token with the same name, in any case, is a conflict", async () => {
  const t = await buildAuthApp();
  try {
    await createUserToken(t.deps, "u-1", "Feeder");
    await assert.rejects(
      () => createUserToken(t.deps, "u-1", " FEEDER "),
      (err: Error & { code?: string }) => err.code === "conflict",
    );
    await createUserToken(t.deps, "u-2", "Feeder"); // another user's names are theirs
    assert.deepEqual((await listUserTokens(t.deps, "u-1")).map((x) => x.name), ["Feeder"]);
  } finally {
    await t.close();
  }
});
