/** The defects a new user found in the account pages (web-app issue, defect 5). */
import assert from "node:assert/strict";
import { createAppPassword } from "../../src/auth/app_passwords.ts";
import { listUserTokens } from "../../src/auth/user_tokens.ts";
import { createUser, getUserByUsername } from "../../src/auth/users.ts";
import { Browser, buildAuthApp, csrfOf } from "../_support/auth_app.ts";
import { authorizationJwt, generateAppKeys } from "../_support/jwt.ts";
import { location, page, PASSWORD, send, submit, withWeb } from "./_settings.ts";

/** Whether every form posting to an action matching `action` sits inside a confirmation. */
function allInsideConfirm(html: string, action: RegExp): number {
  let found = 0;
  for (const m of html.matchAll(new RegExp(`action="${action.source}"`, "g"))) {
    const before = html.slice(0, m.index);
    const opened = before.lastIndexOf('<details class="confirm"');
    assert.ok(opened >= 0 && opened > before.lastIndexOf("</details>"), `${m[0]} unconfirmed`);
    found++;
  }
  return found;
}

Deno.test("defect 5.1: creating a user token then reloading the page creates no second token", async () => {
  await withWeb(async ({ b, t }) => {
    const res = await submit(b, "/users/tokens", "/users/tokens", { name: "Feeder" });
    const to = location(res);
    assert.equal(to, "/users/tokens", "POST-redirect-GET");
    assert.doesNotMatch(to, /[A-Za-z0-9_-]{43}/, "never the token in the URL");
    const stored = await Array.fromAsync(t.kv.list({ prefix: [] }), (e) => JSON.stringify(e));
    const shown = (await page(b, to)).html;
    const token = /<code class="token">([A-Za-z0-9_-]{43})<\/code>/.exec(shown)![1];
    assert.ok(!stored.join("\n").includes(token), "waiting in KV, the token is sealed");
    assert.match(shown, new RegExp(`http://localhost:8000/rss/${token}/subscriptions`));
    const reloaded = (await page(b, to)).html;
    assert.ok(!reloaded.includes(token), "shown once");
    const alice = (await getUserByUsername(t.deps, "alice"))!;
    assert.equal((await listUserTokens(t.deps, alice.id)).length, 1);
  });
});

Deno.test("defect 5.1: the new token is shown only to the session that made it", async () => {
  await withWeb(async ({ b, t }) => {
    const other = new Browser(t.app);
    await other.logIn("alice", PASSWORD);
    await submit(b, "/users/tokens", "/users/tokens", { name: "Feeder" });
    assert.doesNotMatch((await page(other, "/users/tokens")).html, /<code class="token">/);
    assert.match((await page(b, "/users/tokens")).html, /<code class="token">/);
  });
});

Deno.test("defect 5.1: a duplicate token name is refused with a message", async () => {
  await withWeb(async ({ b, t }) => {
    await submit(b, "/users/tokens", "/users/tokens", { name: "Feeder" });
    const dup = await submit(b, "/users/tokens", "/users/tokens", { name: " feeder " });
    assert.equal(dup.status, 409);
    const html = await dup.text();
    assert.match(html, /id="name-error">You already have a token with this name\./);
    assert.match(html, /value="feeder"/, "what was typed stays in the field");
    const alice = (await getUserByUsername(t.deps, "alice"))!;
    assert.equal((await listUserTokens(t.deps, alice.id)).length, 1);
  });
});

Deno.test("defect 5.1: a token name over 100 characters is said to be too long", async () => {
  await withWeb(async ({ b }) => {
    const res = await submit(b, "/users/tokens", "/users/tokens", { name: "n".repeat(101) });
    assert.equal(res.status, 422);
    const html = await res.text();
    assert.match(html, /id="name-error">The name is too long: use at most 100 characters\./);
    assert.doesNotMatch(html, /needs a name/);
    const empty = await submit(b, "/users/tokens", "/users/tokens", { name: "  " });
    assert.match(await empty.text(), /The token needs a name\./);
  });
});

Deno.test("defect 5.2: a log-in without its CSRF cookie gets the form again with a fresh token, not JSON", async () => {
  const t = await buildAuthApp();
  try {
    await createUser(t.deps, { username: "alice", password: PASSWORD });
    const b = new Browser(t.app); // never saw the form: no bs_csrf cookie
    const res = await send(b, "/users/log_in", {
      csrf: "a".repeat(43),
      username: "alice",
      password: PASSWORD,
    });
    assert.equal(res.status, 403);
    assert.match(res.headers.get("Content-Type")!, /text\/html/);
    const html = await res.text();
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /This form had expired/);
    assert.match(html, /value="alice"/);
    const fresh = csrfOf(html);
    assert.equal(fresh, b.cookie("bs_csrf"), "a new cookie goes with the new token");
    const again = await send(b, "/users/log_in", {
      csrf: fresh,
      username: "alice",
      password: PASSWORD,
    });
    assert.equal(location(again), "/apps");
  } finally {
    await t.close();
  }
});

Deno.test("defect 5.2: a stale CSRF token on the register form re-renders it with a clear message", async () => {
  const t = await buildAuthApp();
  try {
    const old = csrfOf(await (await new Browser(t.app).get("/users/register")).text());
    const b = new Browser(t.app);
    await b.get("/users/register"); // another cookie: the old page's token no longer matches
    const res = await send(b, "/users/register", {
      csrf: old,
      username: "newbie",
      password: PASSWORD,
    });
    assert.equal(res.status, 403);
    const html = await res.text();
    assert.match(html, /role="alert"[^>]*autofocus[^>]*>This form had expired/);
    assert.match(html, /value="newbie"/);
    assert.doesNotMatch(html, new RegExp(PASSWORD), "the password is never echoed");
    assert.equal(await getUserByUsername(t.deps, "newbie"), null);
    const ok = await send(b, "/users/register", {
      csrf: csrfOf(html),
      username: "newbie",
      password: PASSWORD,
    });
    assert.equal(ok.status, 303);
  } finally {
    await t.close();
  }
});

Deno.test("defect 5.3: every page starts with <!doctype html>", async () => {
  await withWeb(async ({ b, t }) => {
    const visitor = new Browser(t.app);
    for (const path of ["/users/log_in", "/users/register", "/no/such/page"]) {
      assert.match((await page(visitor, path)).html, /^<!doctype html>\n<html/, path);
    }
    for (
      const path of [
        "/apps",
        "/users/tokens",
        "/app-passwords",
        "/devices",
        "/saved",
        "/playlists",
        "/privacy",
        "/account",
      ]
    ) {
      const { status, html } = await page(b, path);
      assert.equal(status, 200, path);
      assert.match(html, /^<!doctype html>\n<html lang="en">/, path);
    }
  });
});

Deno.test("defect 5.3: the tokens table stacks at 390 px and has no fixed widths", async () => {
  await withWeb(async ({ b }) => {
    await submit(b, "/users/tokens", "/users/tokens", { name: "A reader with a long name" });
    const html = (await page(b, "/users/tokens")).html;
    assert.match(html, /<table class="responsive">/);
    assert.match(html, /<td data-label="Starts with">/);
    assert.match(html, /<td data-label="Last used">/);
    const table = html.slice(html.indexOf("<table"), html.indexOf("</table>"));
    assert.doesNotMatch(table, /\swidth=|style=/);
    const css = await (await b.get("/assets/app.css")).text();
    assert.match(css, /@media \(max-width:40rem\)\{\s*table\.responsive thead/);
  });
});

Deno.test("defect 5.3: Log out sits in the navigation list with the links", async () => {
  await withWeb(async ({ b }) => {
    const html = (await page(b, "/account")).html;
    const nav = html.slice(html.indexOf('<ul class="nav">'), html.indexOf("</ul>"));
    assert.match(
      nav,
      /<li><form method="post" action="\/users\/log_out">.*<button type="submit">Log out alice<\/button><\/form><\/li>$/,
    );
  });
});

Deno.test("defect 5.3: with REGISTRATION=closed the header does not offer Register", async () => {
  const closed = await buildAuthApp({ REGISTRATION: "closed" });
  const open = await buildAuthApp();
  try {
    await createUser(closed.deps, { username: "operator", password: PASSWORD });
    const html = (await page(new Browser(closed.app), "/users/log_in")).html;
    assert.doesNotMatch(html, /href="\/users\/register/);
    assert.doesNotMatch(html, />Register</);
    const openHtml = (await page(new Browser(open.app), "/users/log_in")).html;
    assert.match(openHtml, /<a href="\/users\/register"\s*>Register<\/a>/);
  } finally {
    await closed.close();
    await open.close();
  }
});

Deno.test("defect 5.4: revoking an app, a token, an app password or a device asks for confirmation", async () => {
  await withWeb(async ({ b, t, api }) => {
    await submit(b, "/users/tokens", "/users/tokens", { name: "Feeder" });
    await createAppPassword(t.deps, api.userId, "AntennaPod", t.deps.newId);
    await t.deps.registry.execute(api.userId, {
      type: "UpdateDevice",
      data: { id: "phone", caption: "My phone" },
    });
    const pages: [string, RegExp][] = [
      ["/apps", /\/apps\/[^"]+\/revoke/],
      ["/users/tokens", /\/users\/tokens\/[^"]+\/revoke/],
      ["/app-passwords", /\/app-passwords\/[^"]+\/revoke/],
      ["/devices", /\/devices\/[^"]+\/forget/],
    ];
    for (const [path, action] of pages) {
      const html = (await page(b, path)).html;
      assert.equal(allInsideConfirm(html, action), 1, path);
    }
    const devices = (await page(b, "/devices")).html;
    assert.match(devices, /<summary aria-label="Forget My phone">Forget<\/summary>/);
    assert.match(devices, />Forget device<\/button>/);
    const tokens = (await page(b, "/users/tokens")).html;
    assert.match(tokens, /<summary aria-label="Revoke Feeder">Revoke<\/summary>/);
    const apps = (await page(b, "/apps")).html;
    assert.match(apps, /<summary aria-label="Revoke access of [^"]+">Revoke access<\/summary>/);
  });
});

Deno.test("defect 5.4: after a form error the focus moves to the error", async () => {
  await withWeb(async ({ b, t }) => {
    const token = await submit(b, "/users/tokens", "/users/tokens", { name: "" });
    assert.match(await token.text(), /<input id="name"[^>]*autofocus[^>]*aria-invalid="true"/);
    const pw = await submit(b, "/app-passwords", "/app-passwords", { name: "" });
    assert.match(await pw.text(), /<input id="name"[^>]*autofocus[^>]*aria-invalid="true"/);
    const login = await new Browser(t.app).logIn("alice", "wrong password");
    assert.equal(login.status, 401);
    assert.match(
      await login.text(),
      /<p class="alert error" role="alert" id="form-error" tabindex="-1" autofocus>Wrong username or password/,
    );
    const taken = await new Browser(t.app).register("alice");
    assert.equal(taken.status, 409);
    assert.match(await taken.text(), /<input id="username"[^>]*autofocus/);
  });
});

Deno.test("defect 5.4: Approve and Deny on /authorize look different", async () => {
  await withWeb(async ({ b, t }) => {
    const keys = await generateAppKeys("ES256");
    const jwt = await authorizationJwt(keys, { appId: "podapp", nowMs: t.clock.now() });
    const html = (await page(b, `/authorize?token=${jwt}`)).html;
    assert.match(html, /<button type="submit" name="decision" value="approve">Approve<\/button>/);
    assert.match(
      html,
      /<button type="submit" name="decision" value="deny" class="secondary">Deny<\/button>/,
    );
  });
});

Deno.test("user tokens hostile: someone else's token id or a stale form revokes nothing", async () => {
  await withWeb(async ({ b, t, user }) => {
    const bob = await user("bob", { scopes: ["*"] });
    const theirs = (await bob.post("/tokens", { name: "Bob's reader" })).body;
    const csrf = csrfOf((await page(b, "/users/tokens")).html);
    const foreign = await send(b, `/users/tokens/${theirs.id}/revoke`, { csrf });
    assert.equal(foreign.status, 404);
    assert.match(await foreign.text(), /<!doctype html>/);
    const bad = await send(b, `/users/tokens/${"x".repeat(500)}/revoke`, { csrf });
    assert.equal(bad.status, 404);
    await submit(b, "/users/tokens", "/users/tokens", { name: "Mine" });
    const alice = (await getUserByUsername(t.deps, "alice"))!;
    const [mine] = await listUserTokens(t.deps, alice.id);
    const stale = await send(b, `/users/tokens/${mine.id}/revoke`, { csrf: "stale" });
    assert.equal(stale.status, 403);
    assert.equal((await listUserTokens(t.deps, alice.id)).length, 1);
    assert.equal((await bob.get("/tokens")).body.tokens.length, 1);
  });
});
