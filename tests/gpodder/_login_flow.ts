/**
 * AntennaPod's Nextcloud set-up (`NextcloudLoginFlow.java`, read, never copied): start a
 * Login Flow v2 with an empty form body, open the login URL in a browser (here the test
 * `Browser`, which logs in on the web form and approves), poll with `token=…` until 200.
 */
import assert from "node:assert/strict";
import type { Hono } from "hono";
import type { AppEnv } from "../../routes/context.ts";
import { Browser, csrfOf } from "../_support/auth_app.ts";
import type { FakeClock } from "../_support/clock.ts";
import { orgJson } from "./_readers.ts";

/** The in-process app and its clock. */
export interface InProcess {
  readonly app: Hono<AppEnv>;
  readonly clock: FakeClock;
}

const UA = "AntennaPod/3.7.0";
const FORM = { "Content-Type": "application/x-www-form-urlencoded", "User-Agent": UA };

/** `NextcloudLoginFlow.start()`: the login URL and a poll function. */
export async function startLoginFlow(
  t: InProcess,
): Promise<{ loginUrl: string; endpoint: URL; poll: () => Promise<Response> }> {
  const start = await t.app.request("/index.php/login/v2", {
    method: "POST",
    headers: FORM,
    body: "",
  });
  assert.equal(start.status, 200);
  const flow = orgJson.object(await start.text());
  const loginUrl = orgJson.getString(flow, "login");
  const token = orgJson.getString(flow.poll, "token");
  const endpoint = new URL(orgJson.getString(flow.poll, "endpoint"));
  const poll = () =>
    Promise.resolve(t.app.request(endpoint.pathname, {
      method: "POST",
      headers: FORM,
      body: `token=${token}`,
    }));
  return { loginUrl, endpoint, poll };
}

/** Opens the login URL: logs in on the web form (sent there and back), then approves. */
export async function approveInBrowser(
  t: InProcess,
  loginUrl: string,
  account: { username: string; password: string },
): Promise<Browser> {
  const b = new Browser(t.app);
  const path = new URL(loginUrl).pathname;
  const first = await b.get(path);
  assert.equal(first.status, 303, "not logged in: sent to the log-in page");
  const logInPage = first.headers.get("Location")!;
  assert.match(logInPage, /^\/users\/log_in\?return_to=/);
  const form = await (await b.get(logInPage)).text();
  const loggedIn = await b.post("/users/log_in", {
    csrf: csrfOf(form),
    ...account,
    return_to: path,
  });
  assert.equal(loggedIn.status, 303);
  assert.equal(loggedIn.headers.get("Location"), path, "and back to the approval page");
  const page = await b.get(path);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /AntennaPod\/3\.7\.0<\/strong> wants an app password/);
  const approved = await b.post(`${path}/approve`, { csrf: csrfOf(html) });
  assert.equal(approved.status, 200);
  assert.match(await approved.text(), /Access granted/);
  return b;
}

/** The whole set-up: the credentials AntennaPod stores, and the browser that approved. */
export async function nextcloudLogin(
  t: InProcess,
  account: { username: string; password: string },
): Promise<{ server: string; loginName: string; appPassword: string; browser: Browser }> {
  const { loginUrl, poll } = await startLoginFlow(t);
  const browser = await approveInBrowser(t, loginUrl, account);
  const done = await poll();
  assert.equal(done.status, 200);
  const creds = orgJson.object(await done.text());
  return {
    server: orgJson.getString(creds, "server"),
    loginName: orgJson.getString(creds, "loginName"),
    appPassword: orgJson.getString(creds, "appPassword"),
    browser,
  };
}
