import assert from "node:assert/strict";
import { createUser, getUserByUsername } from "../../src/auth/users.ts";
import { Browser, buildAuthApp, csrfOf, kvSnapshot } from "../_support/auth_app.ts";

const PW = "correct horse battery";

Deno.test("register page: a new visitor registers and is logged in by an HttpOnly, Lax cookie", async () => {
  const t = await buildAuthApp();
  try {
    const b = new Browser(t.app);
    const page = await b.get("/users/register");
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<label for="username">Username<\/label>/);
    const res = await b.post("/users/register", {
      csrf: csrfOf(html),
      username: "Alice",
      password: PW,
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/apps");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("bs_session="))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/);
    const apps = await b.get("/apps");
    assert.equal(apps.status, 200);
    assert.match(await apps.text(), /Log out alice/);
  } finally {
    await t.close();
  }
});

Deno.test("register page: a https BASE_URL makes the session cookie Secure", async () => {
  const t = await buildAuthApp({ BASE_URL: "https://sync.example.org" });
  try {
    const res = await new Browser(t.app).register("alice");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("bs_session="))!;
    assert.match(cookie, /Secure/);
  } finally {
    await t.close();
  }
});

Deno.test("register page: the first user is admin and the second is a plain user", async () => {
  const t = await buildAuthApp();
  try {
    assert.equal((await new Browser(t.app).register("first")).status, 303);
    assert.equal((await new Browser(t.app).register("second")).status, 303);
    assert.equal((await getUserByUsername(t.deps, "first"))?.role, "admin");
    assert.equal((await getUserByUsername(t.deps, "second"))?.role, "user");
  } finally {
    await t.close();
  }
});

Deno.test("register page: invalid fields come back on the form with messages, nothing stored", async () => {
  const t = await buildAuthApp();
  try {
    const before = await kvSnapshot(t.kv);
    const res = await new Browser(t.app).register("x", "short");
    assert.equal(res.status, 422);
    const html = await res.text();
    assert.match(html, /id="username-error"/);
    assert.match(html, /id="password-error"/);
    assert.deepEqual(await kvSnapshot(t.kv), before);
    await new Browser(t.app).register("taken");
    const dup = await new Browser(t.app).register("TAKEN");
    assert.equal(dup.status, 409);
    assert.match(await dup.text(), /username is taken/);
  } finally {
    await t.close();
  }
});

Deno.test("register page: REGISTRATION=closed still lets the operator create the first admin", async () => {
  const t = await buildAuthApp({ REGISTRATION: "closed" });
  try {
    const b = new Browser(t.app);
    const res = await b.register("operator");
    assert.equal(res.status, 303);
    assert.equal((await getUserByUsername(t.deps, "operator"))?.role, "admin");
  } finally {
    await t.close();
  }
});

Deno.test("register page: REGISTRATION=closed shows a notice and refuses the form with 403", async () => {
  const t = await buildAuthApp({ REGISTRATION: "closed" });
  try {
    await createUser(t.deps, { username: "operator", password: PW });
    const b = new Browser(t.app);
    const page = await b.get("/users/register");
    const html = await page.text();
    assert.match(html, /Registration is closed/);
    assert.doesNotMatch(html, /name="password"/);
    const res = await b.post("/users/register", { username: "mallory", password: PW, csrf: "x" });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error.code, "forbidden");
    assert.equal(await getUserByUsername(t.deps, "mallory"), null);
  } finally {
    await t.close();
  }
});

Deno.test("forms without the right CSRF token are refused with 403 and the form again", async () => {
  const t = await buildAuthApp();
  try {
    const b = new Browser(t.app);
    await b.get("/users/register");
    for (const csrf of [undefined, "", "wrong-token"]) {
      const fields: Record<string, string> = { username: "alice", password: PW };
      if (csrf !== undefined) fields.csrf = csrf;
      const res = await b.post("/users/register", fields);
      assert.equal(res.status, 403);
      assert.match(await res.text(), /This form had expired/);
    }
    assert.equal(await getUserByUsername(t.deps, "alice"), null);
    // A logged-in user's forms check the session's own token.
    await b.register("alice");
    const res = await b.post("/users/log_out", { csrf: b.cookie("bs_csrf")! });
    assert.equal(res.status, 403);
    const tokens = await b.post("/users/tokens", { name: "reader" });
    assert.equal(tokens.status, 403);
  } finally {
    await t.close();
  }
});

Deno.test("log-in page: right password logs in, wrong one answers 401 with the form again", async () => {
  const t = await buildAuthApp();
  try {
    await new Browser(t.app).register("alice");
    const b = new Browser(t.app);
    const bad = await b.logIn("alice", "wrong password");
    assert.equal(bad.status, 401);
    assert.match(await bad.text(), /Wrong username or password/);
    const good = await b.logIn("ALICE");
    assert.equal(good.status, 303);
    assert.equal((await b.get("/apps")).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("log-out ends the session: the old cookie no longer opens pages", async () => {
  const t = await buildAuthApp();
  try {
    const b = new Browser(t.app);
    await b.register("alice");
    const session = b.cookie("bs_session")!;
    const csrf = csrfOf(await (await b.get("/apps")).text());
    const res = await b.post("/users/log_out", { csrf });
    assert.equal(res.status, 303);
    const replay = await t.app.request("/apps", { headers: { Cookie: `bs_session=${session}` } });
    assert.equal(replay.status, 303);
    assert.match(replay.headers.get("Location")!, /^\/users\/log_in\?return_to=%2Fapps$/);
  } finally {
    await t.close();
  }
});

Deno.test("log-in page: the sixth failure from one address for a username is 429 with Retry-After", async () => {
  const t = await buildAuthApp();
  try {
    await new Browser(t.app).register("alice");
    const guesser = new Browser(t.app, { ip: "203.0.113.9" });
    for (let i = 0; i < 5; i++) {
      assert.equal((await guesser.logIn("alice", "nope-nope")).status, 401);
    }
    const limited = await guesser.logIn("alice"); // even the right password, from there
    assert.equal(limited.status, 429);
    assert.match(await limited.text(), /Too many failed log-ins/);
    const retry = Number(limited.headers.get("Retry-After"));
    assert.ok(retry > 0 && retry <= 15 * 60, String(retry));
    t.clock.advance(15 * 60_000 + 1_000);
    assert.equal((await guesser.logIn("alice")).status, 303);
  } finally {
    await t.close();
  }
});

Deno.test("log-in page: failures from other addresses never lock the owner out", async () => {
  const t = await buildAuthApp();
  try {
    await new Browser(t.app).register("alice");
    // 5 wrong passwords from one address, then more from many: the owner still gets in.
    for (let i = 0; i < 5; i++) {
      await (await new Browser(t.app, { ip: "203.0.113.1" }).logIn("alice", "nope-nope")).body
        ?.cancel();
    }
    for (let i = 0; i < 12; i++) {
      const ip = `198.18.0.${i}`;
      assert.equal((await new Browser(t.app, { ip }).logIn("alice", "nope-nope")).status, 401);
    }
    const owner = new Browser(t.app, { ip: "198.51.100.7" });
    assert.equal((await owner.logIn("alice")).status, 303);
  } finally {
    await t.close();
  }
});

Deno.test("log-in page: concurrent wrong guesses from one address get no more password checks than the limit", async () => {
  const t = await buildAuthApp();
  try {
    await new Browser(t.app).register("carol");
    const guesses = await Promise.all(
      Array.from(
        { length: 30 },
        (_, i) => new Browser(t.app, { ip: "203.0.113.50" }).logIn("carol", `guess-${i}-wrong`),
      ),
    );
    const statuses = guesses.map((r) => r.status);
    await Promise.all(guesses.map((r) => r.body?.cancel()));
    assert.equal(statuses.filter((s) => s === 401).length, 5, statuses.join(","));
    assert.equal(statuses.filter((s) => s === 429).length, 25);
  } finally {
    await t.close();
  }
});

Deno.test("register page: sign-ups from one address are limited", async () => {
  const t = await buildAuthApp();
  try {
    for (let i = 0; i < 5; i++) {
      const res = await new Browser(t.app, { ip: "192.0.2.77" }).register(`bulk${i}`);
      assert.equal(res.status, 303);
    }
    const sixth = await new Browser(t.app, { ip: "192.0.2.77" }).register("bulk5");
    assert.equal(sixth.status, 429);
    assert.ok(Number(sixth.headers.get("Retry-After")) > 0);
    await sixth.body?.cancel();
    const elsewhere = await new Browser(t.app, { ip: "192.0.2.78" }).register("bulk6");
    assert.equal(elsewhere.status, 303);
  } finally {
    await t.close();
  }
});

Deno.test("log-in page: one address failing on 20 usernames is limited for every username", async () => {
  const t = await buildAuthApp();
  try {
    await new Browser(t.app).register("alice");
    const b = new Browser(t.app, { ip: "192.0.2.9" });
    for (let i = 0; i < 20; i++) {
      assert.equal((await b.logIn(`guess${i}`, "nope-nope")).status, 401);
    }
    assert.equal((await b.logIn("alice")).status, 429);
    assert.equal((await new Browser(t.app, { ip: "192.0.2.10" }).logIn("alice")).status, 303);
  } finally {
    await t.close();
  }
});

Deno.test("log-in page: return_to brings the user back only to a local path", async () => {
  const t = await buildAuthApp();
  try {
    await new Browser(t.app).register("alice");
    const cases: [string, string][] = [
      ["/users/tokens", "/users/tokens"],
      ["https://evil.example/", "/apps"],
      ["//evil.example/", "/apps"],
      ["/\\evil.example", "/apps"],
      ["/.//evil.example/x", "/apps"],
      ["/..//evil.example/x", "/apps"],
      ["/a/..//evil.example", "/apps"],
      ["/%2e//evil.example", "/apps"],
      ["javascript:alert(1)", "/apps"],
      ["/%0d%0aLocation:x", "/%0d%0aLocation:x"],
    ];
    for (const [returnTo, expected] of cases) {
      const b = new Browser(t.app);
      const page = await b.get(`/users/log_in?return_to=${encodeURIComponent(returnTo)}`);
      const csrf = csrfOf(await page.text());
      const res = await b.post("/users/log_in", {
        csrf,
        username: "alice",
        password: PW,
        return_to: returnTo,
      });
      assert.equal(res.status, 303, returnTo);
      assert.equal(res.headers.get("Location"), expected, returnTo);
    }
  } finally {
    await t.close();
  }
});

Deno.test("web pages refuse to be framed and are not cached", async () => {
  const t = await buildAuthApp();
  try {
    const res = await t.app.request("/users/log_in");
    assert.equal(res.headers.get("X-Frame-Options"), "DENY");
    assert.match(res.headers.get("Content-Security-Policy")!, /frame-ancestors 'none'/);
    assert.equal(res.headers.get("Cache-Control"), "no-store");
  } finally {
    await t.close();
  }
});

Deno.test("web forms with a garbage body never answer 500", async () => {
  const t = await buildAuthApp();
  try {
    const b = new Browser(t.app);
    await b.get("/users/log_in");
    const bodies: [string, string][] = [
      ["multipart/form-data; boundary=zzz", "--zzz\r\ngarbage"],
      ["application/json", "{not json"],
      ["application/x-www-form-urlencoded", "%%%=%%&&=="],
    ];
    for (const [type, body] of bodies) {
      for (const path of ["/users/log_in", "/users/register", "/authorize", "/users/log_out"]) {
        const res = await b.request(path, {
          method: "POST",
          headers: { "Content-Type": type },
          body,
        });
        assert.ok(res.status < 500, `${path} ${type} → ${res.status}`);
      }
    }
  } finally {
    await t.close();
  }
});
