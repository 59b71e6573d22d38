/**
 * The account pages in real Chromium: sign-up with the keyboard alone, log out and in, an
 * app authorized through /authorize and revoked on /apps, user tokens, app passwords with a
 * gpodder device, the Nextcloud login flow, and the HTML error pages. Every page is checked
 * (`checkPage`: axe in light and dark, 390 px, CSP) in its fullest state — a form with its
 * errors, a list with a row, a secret just shown — which holds everything its plainer states
 * show; each check costs about a second of a loaded CI machine.
 */
import assert from "node:assert/strict";
import { authorizationJwt, generateAppKeys, requestJwt } from "../_support/jwt.ts";
import {
  BROWSER_PASSWORD,
  checkPage,
  focusState,
  logInInBrowser,
  type Page,
  startBrowserHarness,
} from "./_browser.ts";

const USER = "alice";

/** Presses Tab until `id` has the focus; every stop on the way must show a focus outline. */
async function tabTo(page: Page, id: string, maxStops = 15): Promise<void> {
  for (let i = 0; i < maxStops; i++) {
    await page.keyboard.press("Tab");
    const focus = await focusState(page);
    assert.ok(
      focus.focusVisible && focus.outline !== "none",
      `focus on ${focus.tag}#${focus.id} "${focus.text}" has no visible outline`,
    );
    if (focus.id === id) return;
  }
  throw new Error(`#${id} was not reached with ${maxStops} presses of Tab`);
}

/** The text of the first `code.token` on the page (a secret shown once). */
async function shownSecret(page: Page): Promise<string> {
  return (await page.locator("code.token").first().textContent() ?? "").trim();
}

Deno.test("account pages work in a real browser, accessibly and at 390 px", async (t) => {
  await using h = await startBrowserHarness();
  const page = await h.newPage();
  const api = (path: string, init?: RequestInit) => fetch(`${h.baseUrl}${path}`, init);

  await h.step(t, "a register form error is shown at the field it concerns", page, async () => {
    await page.goto("/users/register");
    await page.getByLabel("Username").fill("No Spaces!");
    await page.getByLabel("Password", { exact: true }).fill("short");
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.getByRole("button", { name: "Create account" }).click(),
    ]);
    assert.equal(res.status(), 422);
    await page.getByRole("alert").filter({ hasText: "Please correct the fields below." })
      .waitFor();
    const username = page.getByLabel("Username");
    assert.equal(await username.getAttribute("aria-invalid"), "true");
    assert.equal((await focusState(page)).id, "username", "the first field in error has focus");
    assert.equal(await username.inputValue(), "No Spaces!", "what was typed is kept");
    await checkPage(page);
  });

  await h.step(
    t,
    "the register form can be filled and sent with the keyboard alone",
    page,
    async () => {
      await page.goto("/users/register");
      await page.keyboard.press("Tab");
      const skip = await focusState(page);
      assert.equal(skip.text, "Skip to content", "the skip link comes first");
      assert.ok(skip.focusVisible && skip.outline !== "none", "the skip link shows its focus");
      const box = await page.getByRole("link", { name: "Skip to content" }).boundingBox();
      assert.ok(box && box.x >= 0, "the focused skip link is on screen");
      await tabTo(page, "username");
      await page.keyboard.type(USER);
      await tabTo(page, "email", 1);
      await page.keyboard.type("alice@example.com");
      await tabTo(page, "password", 1);
      await page.keyboard.type(BROWSER_PASSWORD);
      await page.keyboard.press("Tab");
      const button = await focusState(page);
      assert.equal(button.text, "Create account");
      assert.ok(button.focusVisible && button.outline !== "none", "the button shows its focus");
      await page.keyboard.press("Shift+Tab");
      assert.equal((await focusState(page)).id, "password");
      await page.keyboard.press("Enter");
      await page.waitForURL("**/apps");
      await page.getByRole("button", { name: `Log out ${USER}` }).waitFor();
      assert.equal(await page.title(), "Authorized apps · Balados Sync");
    },
  );

  await h.step(t, "log out, a wrong password is refused, the right one logs in", page, async () => {
    await page.getByRole("button", { name: `Log out ${USER}` }).click();
    await page.waitForURL("**/users/log_in");
    await page.getByRole("link", { name: "Log in" }).waitFor();
    await page.getByLabel("Username").fill(USER);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Log in", exact: true }).click();
    await page.getByRole("alert").filter({ hasText: "Wrong username or password." }).waitFor();
    await checkPage(page);
    await logInInBrowser(page, USER);
    assert.match(page.url(), /\/apps$/);
  });

  await h.step(
    t,
    "an app is authorized via log-in and back, used, then revoked",
    page,
    async () => {
      const keys = await generateAppKeys("ES256");
      const appId = "com.example.podapp";
      const token = await authorizationJwt(keys, {
        appId,
        nowMs: Date.now(),
        name: "Pod App",
        url: "https://podapp.example/about",
        scopes: ["user.subscriptions.read", "user.plays.write"],
      });
      await page.getByRole("button", { name: `Log out ${USER}` }).click();
      await page.goto(`/authorize?token=${token}`);
      await page.waitForURL("**/users/log_in?return_to=*");
      await logInInBrowser(page, USER, { here: true });
      await page.waitForURL("**/authorize?token=*");
      await page.getByRole("heading", { name: "Pod App" }).waitFor();
      await page.getByText("See the podcasts you subscribe to").waitFor();
      await checkPage(page);
      await page.getByRole("button", { name: "Approve" }).click();
      await page.getByRole("heading", { name: "App authorized" }).waitFor();
      await checkPage(page);
      const me = async () => {
        const jwt = await requestJwt(keys, { appId, sub: USER, nowMs: Date.now() });
        return await api("/api/v1/me", { headers: { authorization: `Bearer ${jwt}` } });
      };
      const ok = await me();
      assert.equal(ok.status, 200);
      assert.equal((await ok.json()).username, USER);

      await page.getByRole("link", { name: "apps page" }).click();
      await page.getByRole("region", { name: "Pod App" }).waitFor();
      // Known, reported: routes/web/apps.tsx labels its "Revoke access" button "Revoke Pod
      // App", so the visible words are not in the accessible name (WCAG 2.5.3).
      await checkPage(page, { allow: ["label-content-name-mismatch"] });
      await page.getByRole("button", { name: /^Revoke .*Pod App$/ }).click();
      await page.getByText("No app can use your account yet.").waitFor();
      const revoked = await me();
      assert.equal(revoked.status, 401);
      await revoked.body?.cancel();
    },
  );

  await h.step(t, "a user token is shown once, opens the feed, and is revoked", page, async () => {
    await page.goto("/users/tokens");
    await page.getByText("None yet.").waitFor();
    await page.getByLabel("Name").fill("My RSS reader");
    await page.getByRole("button", { name: "Create token" }).click();
    await page.getByRole("status").filter({ hasText: "Copy it now" }).waitFor();
    const token = await shownSecret(page);
    assert.match(token, /^[A-Za-z0-9_-]{22,}$/);
    await checkPage(page);
    const feed = await api(`/rss/${token}/subscriptions`);
    assert.equal(feed.status, 200);
    await feed.body?.cancel();
    await page.getByRole("button", { name: "Revoke My RSS reader" }).click();
    await page.getByText("None yet.").waitFor();
    const gone = await api(`/rss/${token}/subscriptions`);
    assert.ok(gone.status === 401 || gone.status === 404, `status ${gone.status}`);
    await gone.body?.cancel();
  });

  await h.step(
    t,
    "an app password signs a gpodder app in; its device is listed",
    page,
    async () => {
      await page.goto("/app-passwords");
      await page.getByLabel("Name").fill("AntennaPod on my phone");
      await page.getByRole("button", { name: "Create app password" }).click();
      await page.getByRole("status").filter({ hasText: "Copy it now" }).waitFor();
      const password = await shownSecret(page);
      await checkPage(page);
      const basic = { authorization: `Basic ${btoa(`${USER}:${password}`)}` };
      const device = await api(`/api/2/devices/${USER}/phone.json`, {
        method: "POST",
        headers: basic,
        body: JSON.stringify({ caption: "My phone", type: "mobile" }),
      });
      assert.equal(device.status, 200, await device.text());

      await page.goto("/devices");
      const row = page.getByRole("row").filter({ hasText: "My phone" });
      await row.waitFor();
      assert.doesNotMatch(await row.textContent() ?? "", /never/, "its last contact is shown");
      await checkPage(page);
      await page.getByRole("button", { name: "Forget My phone" }).click();
      await page.getByText("No device has synced yet.").waitFor();

      await page.goto("/app-passwords");
      await page.getByRole("button", { name: "Revoke AntennaPod on my phone" }).click();
      await page.getByText("None yet.").waitFor();
      const refused = await api(`/api/2/devices/${USER}.json`, { headers: basic });
      assert.equal(refused.status, 401);
      await refused.body?.cancel();
    },
  );

  await h.step(t, "a Nextcloud login flow is approved in the browser", page, async () => {
    const start = await api("/index.php/login/v2", {
      method: "POST",
      headers: { "user-agent": "AntennaPod" },
    });
    const flow = await start.json() as { login: string; poll: { token: string } };
    await page.goto(flow.login);
    await page.getByText("AntennaPod wants an app password").waitFor();
    await checkPage(page);
    await page.getByRole("button", { name: "Grant access" }).click();
    await page.getByRole("heading", { name: "App connected" }).waitFor();
    const poll = await api("/index.php/login/v2/poll", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `token=${flow.poll.token}`,
    });
    assert.equal(poll.status, 200);
    assert.equal((await poll.json()).loginName, USER);
  });

  await h.step(
    t,
    "a stale form token gets the HTML 403 page and writes nothing",
    page,
    async () => {
      await page.goto("/users/tokens");
      await page.locator('form[action="/users/tokens"] input[name="csrf"]')
        .evaluate((input) => input.setAttribute("value", "stale"));
      await page.getByLabel("Name").fill("Never created");
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === "POST"),
        page.getByRole("button", { name: "Create token" }).click(),
      ]);
      assert.equal(res.status(), 403);
      await page.getByRole("heading", { name: "Not allowed" }).waitFor();
      assert.equal(await page.title(), "Not allowed · Balados Sync");
      await checkPage(page);
      await page.goto("/users/tokens");
      await page.getByText("None yet.").waitFor();
    },
  );

  await h.step(t, "an unknown page is the site's HTML 404, logged in or not", page, async () => {
    const res = await page.goto("/no/such/page");
    assert.equal(res?.status(), 404);
    assert.match(res?.headers()["content-type"] ?? "", /^text\/html/);
    assert.equal(await page.title(), "Page not found · Balados Sync");
    await page.getByRole("link", { name: "Balados Sync" }).waitFor();
    await page.getByRole("button", { name: `Log out ${USER}` }).waitFor();
    await checkPage(page);
    const visitor = await h.newPage();
    try {
      const anon = await visitor.goto("/nothing-here");
      assert.equal(anon?.status(), 404);
      await visitor.getByRole("navigation", { name: "Main" })
        .getByRole("link", { name: "Log in" }).waitFor();
      await checkPage(visitor);
    } finally {
      await visitor.context().close();
    }
  });
});
