import assert from "node:assert/strict";
import { BASIC_MEMO_MS, parseBasic } from "../../src/auth/basic.ts";
import { createUser } from "../../src/auth/users.ts";
import { expectError, withApi } from "../api/_api.ts";

Deno.test("app passwords: created once with the password, listed without it, revoked at once", async () => {
  await withApi({ scopes: ["user"] }, async ({ t, api }) => {
    const created = await api.post("/app-passwords", { name: "AntennaPod" });
    assert.equal(created.status, 201, created.text);
    assert.match(created.body.password, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(created.body.name, "AntennaPod");
    const list = await api.get("/app-passwords");
    assert.equal(list.body.app_passwords.length, 1);
    assert.ok(!list.text.includes(created.body.password));
    assert.ok(!list.text.includes("hash"));

    const ok = await t.deps.basicAuth.check("alice", created.body.password, "10.0.0.1");
    assert.equal(ok.ok, true);
    assert.equal(
      (await api.get("/app-passwords")).body.app_passwords[0].last_used_at !== null,
      true,
    );

    expectError(await api.post("/app-passwords", { name: "antennapod" }), 409, "conflict", "dup");
    expectError(await api.post("/app-passwords", { name: "" }), 422, "validation_failed", "empty");
    expectError(await api.post("/app-passwords", { name: 5 }), 422, "validation_failed", "type");
    expectError(await api.delete("/app-passwords/nope"), 404, "not_found", "unknown id");

    assert.equal((await api.delete(`/app-passwords/${created.body.id}`)).status, 200);
    const after = await t.deps.basicAuth.check("alice", created.body.password, "10.0.0.1");
    assert.equal(after.ok, false, "a revoked app password stops working at once");
  });
});

Deno.test("Basic checks: the account password works, a success is remembered, a password change is not", async () => {
  await withApi({}, async ({ t }) => {
    await createUser(t.deps, { username: "bob", password: "correct horse" });
    const first = await t.deps.basicAuth.check("Bob", "correct horse", "10.0.0.2");
    assert.equal(first.ok, true);
    // Remembered: a second check costs no password hash (the user record is unchanged).
    const again = await t.deps.basicAuth.check("bob", "correct horse", "10.0.0.2");
    assert.equal(again.ok, true);
    // Another process changed the password: the memo is re-validated against KV.
    const user = await t.deps.kv.get<{ password_hash: string }>([
      "user",
      first.ok ? first.user.id : "",
    ]);
    await t.deps.kv.set(user.key, { ...user.value!, password_hash: "pbkdf2$changed" });
    assert.equal((await t.deps.basicAuth.check("bob", "correct horse", "10.0.0.2")).ok, false);
    t.clock.advance(BASIC_MEMO_MS);
  });
});

Deno.test("Basic checks: failures count like log-ins and end in a wait", async () => {
  await withApi({}, async ({ t }) => {
    await createUser(t.deps, { username: "carol", password: "correct horse" });
    let last = { ok: true } as { ok: boolean; retryAfter?: number };
    for (let i = 0; i < 6; i++) last = await t.deps.basicAuth.check("carol", "wrong", "10.0.0.3");
    assert.equal(last.ok, false);
    assert.ok((last.retryAfter ?? 0) > 0, "the sixth failure is told to wait");
  });
});

Deno.test("parseBasic reads a Basic header and refuses anything else", () => {
  assert.deepEqual(parseBasic(`Basic ${btoa("alice:pa:ss")}`), {
    username: "alice",
    password: "pa:ss",
  });
  assert.equal(parseBasic("Bearer x"), null);
  assert.equal(parseBasic("Basic !!!"), null);
  assert.equal(parseBasic(`Basic ${btoa("nocolon")}`), null);
  assert.equal(parseBasic(undefined), null);
});
