import assert from "node:assert/strict";
import { createUser } from "../../src/auth/users.ts";
import { basic, expectError, REALM, withGp } from "./_client.ts";

Deno.test("Login Flow polls with garbage tokens are 404 and never give credentials", async () => {
  await withGp(async (gp) => {
    const start = await gp.call("POST", "/index.php/login/v2", { auth: "none" });
    assert.equal(start.status, 200, start.text);
    const form = { "Content-Type": "application/x-www-form-urlencoded" };
    const garbage: [BodyInit, Record<string, string>][] = [
      ["", form],
      ["token=", form],
      ["token=garbage", form],
      [`token=${"A".repeat(43)}`, form],
      [`token=${start.body.poll.token}x`, form],
      [`token=${"%FF".repeat(20)}`, form],
      [`token=${"B".repeat(100_000)}`, form],
      ['{"token": 5}', {}],
      ['{"token": {"a": 1}}', {}],
      ['{"token": ', {}],
      ["[1,2,3]", {}],
      [new Uint8Array([0xff, 0xfe, 0x00]), form],
    ];
    for (const [raw, headers] of garbage) {
      const r = await gp.call("POST", "/index.php/login/v2/poll", { raw, headers, auth: "none" });
      assert.ok(r.status === 404 || r.status === 400, `${String(raw).slice(0, 40)}: ${r.text}`);
      expectError(r, r.status, `poll ${String(raw).slice(0, 40)}`);
    }
    // The real token, not yet approved: 404 too.
    const real = await gp.call("POST", "/index.php/login/v2/poll", {
      raw: `token=${start.body.poll.token}`,
      headers: form,
      auth: "none",
    });
    expectError(real, 404, "not approved yet");
  });
});

Deno.test("wrong or missing credentials are 401 with the realm; repeated failures are 429", async () => {
  await withGp(async (gp) => {
    const path = "/api/2/devices/alice.json";
    const none = await gp.get(path, { auth: "none" });
    expectError(none, 401, "no credentials");
    const headers = [
      basic("nobody", "whatever"),
      "Basic !!!not-base64!!!",
      `Basic ${btoa("no-colon")}`,
      `Basic ${btoa(":empty-user")}`,
      "Bearer abc",
      "Basic",
    ];
    for (const h of headers) {
      expectError(await gp.get(path, { auth: "none", headers: { Authorization: h } }), 401, h);
    }
    for (const cookie of ["sessionid=garbage", `sessionid=${"A".repeat(43)}`, "sessionid="]) {
      expectError(await gp.get(path, { auth: "none", headers: { Cookie: cookie } }), 401, cookie);
    }
    // Failed Basic log-ins count against the log-in limits (5 per username per window).
    await createUser(gp.t.deps, { username: "bob", password: "bob's password" });
    const wrong = { Authorization: basic("bob", "wrong password") };
    let limited = null;
    for (let i = 0; i < 10 && !limited; i++) {
      const r = await gp.get("/api/2/devices/bob.json", { auth: "none", headers: wrong });
      if (r.status === 429) limited = r;
      else expectError(r, 401, `wrong password ${i}`);
    }
    assert.ok(limited, "no 429 after 10 wrong passwords");
    expectError(limited, 429, "rate limited");
    assert.equal(limited.body.error.code, "rate_limited");
    assert.ok(Number(limited.headers.get("retry-after")) > 0, "Retry-After");
    // While limited, even the right password waits …
    const right = { Authorization: basic("bob", "bob's password") };
    const r = await gp.get("/api/2/devices/bob.json", { auth: "none", headers: right });
    expectError(r, 429, "right password while limited");
    // … and the window passes.
    gp.t.clock.advance(Number(limited.headers.get("retry-after")) * 1000);
    const later = await gp.get("/api/2/devices/bob.json", { auth: "none", headers: right });
    assert.equal(later.status, 200, later.text);
    // Someone guessing alice's password does not lock out alice's apps: a session keeps
    // syncing, and so do credentials this process already checked.
    const guess = { Authorization: basic("alice", "guess") };
    for (let i = 0; i < 6; i++) await gp.get(path, { auth: "none", headers: guess });
    const withCookie = await gp.get(path);
    assert.equal(withCookie.status, 200, withCookie.text);
    assert.equal(none.headers.get("www-authenticate"), REALM);
  });
});
