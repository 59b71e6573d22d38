import assert from "node:assert/strict";
import { createAppPassword } from "../../src/auth/app_passwords.ts";
import { getUserByUsername } from "../../src/auth/users.ts";
import { Browser, kvSnapshot } from "../_support/auth_app.ts";
import {
  csrfOf,
  feedId,
  itemId,
  location,
  page,
  PASSWORD,
  send,
  submit,
  withWeb,
} from "./_settings.ts";

const NEW_PASSWORD = "a much longer new secret";

function basic(username: string, password: string): HeadersInit {
  return { Authorization: `Basic ${btoa(`${username}:${password}`)}` };
}

Deno.test("account page: links to both downloads and offers the three forms with their labels", async () => {
  await withWeb(async ({ b }) => {
    const { status, html } = await page(b, "/account");
    assert.equal(status, 200);
    assert.match(html, /<label for="current_password">Current password<\/label>/);
    assert.match(html, /<label for="new_password">New password<\/label>/);
    assert.match(html, /<label for="new_password_confirm">New password again<\/label>/);
    assert.match(html, /href="\/account\/export" download="">Download my data \(JSON\)/);
    assert.match(html, /href="\/subscriptions\.opml" download="">/);
    assert.match(html, /<summary\s*>Delete my account…<\/summary>/);
    assert.match(html, /<label for="delete_password">Your password<\/label>/);
  });
});

Deno.test("change password: the old one stops working, the new one works, other sessions end, this one stays", async () => {
  await withWeb(async ({ b, t }) => {
    const other = new Browser(t.app);
    assert.equal((await other.logIn("alice", PASSWORD)).status, 303);
    const res = await submit(b, "/account", "/account/password", {
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    assert.equal(location(res), "/account");
    const after = await page(b, "/account");
    assert.equal(after.status, 200, "the session that made the change stays");
    assert.match(after.html, /Your password was changed\. 1 other session was logged out\./);
    assert.equal((await other.get("/account")).status, 303, "the other browser is logged out");
    assert.equal((await new Browser(t.app).logIn("alice", PASSWORD)).status, 401);
    assert.equal((await new Browser(t.app).logIn("alice", NEW_PASSWORD)).status, 303);
  });
});

Deno.test("change password: remembered Basic checks and password gpodder sessions end; app-password ones stay", async () => {
  await withWeb(async ({ b, t }) => {
    const alice = (await getUserByUsername(t.deps, "alice"))!;
    const app = await createAppPassword(t.deps, alice.id, "AntennaPod", t.deps.newId);
    const path = "/api/2/devices/alice.json";
    assert.equal((await t.app.request(path, { headers: basic("alice", PASSWORD) })).status, 200);
    const login = await t.app.request("/api/2/auth/alice/login.json", {
      method: "POST",
      headers: basic("alice", PASSWORD),
    });
    assert.equal(login.status, 200);
    const byPassword = /sessionid=([^;]+)/.exec(login.headers.get("Set-Cookie")!)![1];
    const viaApp = await t.app.request("/api/2/auth/alice/login.json", {
      method: "POST",
      headers: basic("alice", app.password),
    });
    const byApp = /sessionid=([^;]+)/.exec(viaApp.headers.get("Set-Cookie")!)![1];
    await submit(b, "/account", "/account/password", {
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    const cookie = (id: string) => ({ headers: { Cookie: `sessionid=${id}` } });
    assert.equal((await t.app.request(path, { headers: basic("alice", PASSWORD) })).status, 401);
    assert.equal((await t.app.request(path, cookie(byPassword))).status, 401);
    assert.equal((await t.app.request(path, cookie(byApp))).status, 200);
    assert.equal(
      (await t.app.request(path, { headers: basic("alice", NEW_PASSWORD) })).status,
      200,
    );
  });
});

Deno.test("change password: a wrong current password, a mismatch or a short one say so and change nothing", async () => {
  await withWeb(async ({ b, t }) => {
    const before = (await getUserByUsername(t.deps, "alice"))!.password_hash;
    const cases: [Record<string, string>, RegExp][] = [
      [
        { current_password: "not it at all", new_password: NEW_PASSWORD },
        /id="current_password-error">This is not your current password\./,
      ],
      [
        { current_password: PASSWORD, new_password: NEW_PASSWORD, new_password_confirm: "other" },
        /id="new_password_confirm-error">The two new passwords differ\./,
      ],
      [
        { current_password: PASSWORD, new_password: "short" },
        /id="new_password-error">Use at least/,
      ],
      [
        { current_password: "x".repeat(5_000), new_password: "y".repeat(5_000) },
        /id="new_password-error">Use at most 1024 characters/,
      ],
    ];
    for (const [fields, message] of cases) {
      const res = await submit(b, "/account", "/account/password", {
        new_password_confirm: fields.new_password ?? "",
        ...fields,
      });
      assert.equal(res.status, 422);
      const html = await res.text();
      assert.match(html, message);
      assert.match(html, /autofocus/);
    }
    assert.equal((await getUserByUsername(t.deps, "alice"))!.password_hash, before);
  });
});

Deno.test("change password: wrong current passwords count against the log-in limits", async () => {
  await withWeb(async ({ b }) => {
    let last = 0;
    for (let i = 0; i < 6; i++) {
      const res = await submit(b, "/account", "/account/password", {
        current_password: `wrong guess ${i}`,
        new_password: NEW_PASSWORD,
        new_password_confirm: NEW_PASSWORD,
      });
      last = res.status;
      await res.body?.cancel();
    }
    assert.equal(last, 429);
  });
});

Deno.test("account export: the download is the same document as GET /api/v1/export", async () => {
  await withWeb(async ({ api, b }) => {
    await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    await api.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    await api.post("/playlists", { name: "Queue" });
    const fromApi = await api.get("/export");
    assert.equal(fromApi.status, 200);
    const res = await b.get("/account/export");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("Content-Type"), "application/json; charset=utf-8");
    assert.equal(
      res.headers.get("Content-Disposition"),
      fromApi.headers.get("Content-Disposition"),
    );
    assert.equal(res.headers.get("Cache-Control"), "no-store");
    assert.equal(await res.text(), fromApi.text);
  });
});

Deno.test("delete account: the wrong password deletes nothing; the right one logs out and frees the name", async () => {
  await withWeb(async ({ api, b, t }) => {
    await api.post("/playlists", { name: "Queue" });
    const wrong = await submit(b, "/account", "/account/delete", { password: "not it" });
    assert.equal(wrong.status, 422);
    const html = await wrong.text();
    assert.match(html, /id="delete_password-error">This is not your password; nothing was deleted/);
    assert.match(html, /<details class="confirm" open/);
    assert.equal((await getUserByUsername(t.deps, "alice"))?.username, "alice");
    assert.equal((await api.get("/playlists")).body.playlists.length, 1);
    const res = await submit(b, "/account", "/account/delete", { password: PASSWORD });
    assert.equal(location(res), "/account/deleted");
    assert.ok(res.headers.getSetCookie().some((c) => /^bs_session=;/.test(c)), "logged out");
    const done = await page(b, "/account/deleted");
    assert.equal(done.status, 200);
    assert.match(done.html, /<title>Your account is deleted · Balados Sync<\/title>/);
    assert.match(done.html, />Log in</, "the header is a visitor's");
    assert.equal((await b.get("/account")).status, 303);
    assert.equal((await new Browser(t.app).logIn("alice", PASSWORD)).status, 401);
    assert.equal((await new Browser(t.app).register("alice", "a brand new password")).status, 303);
  });
});

Deno.test("account hostile: stale CSRF changes and deletes nothing; visitors are sent to log in", async () => {
  await withWeb(async ({ b, t }) => {
    const csrf = csrfOf((await page(b, "/account")).html);
    assert.ok(csrf);
    const before = await kvSnapshot(t.kv);
    for (
      const [action, fields] of [
        ["/account/password", {
          current_password: PASSWORD,
          new_password: NEW_PASSWORD,
          new_password_confirm: NEW_PASSWORD,
        }],
        ["/account/delete", { password: PASSWORD }],
      ] as const
    ) {
      for (const bad of [undefined, "", "z".repeat(43)]) {
        const form: Record<string, string> = { ...fields };
        if (bad !== undefined) form.csrf = bad;
        const res = await send(b, action, form);
        assert.equal(res.status, 403, action);
        assert.match(await res.text(), /<!doctype html>[\s\S]*Not allowed/);
      }
    }
    assert.deepEqual(await kvSnapshot(t.kv), before);
    const visitor = new Browser(t.app);
    assert.equal(
      location(await visitor.get("/account/export")),
      "/users/log_in?return_to=%2Faccount",
    );
    const post = await visitor.post("/account/delete", { password: PASSWORD, csrf });
    assert.equal(location(post), "/users/log_in?return_to=%2Faccount%2Fdelete");
    assert.equal((await getUserByUsername(t.deps, "alice"))?.username, "alice");
  });
});
