/**
 * The real app with "alice" logged in twice: in a cookie-keeping browser (the web pages)
 * and through an approved app (the REST API, to check what the pages wrote).
 */
import assert from "node:assert/strict";
import { saveFeedMeta } from "../../src/store/feed_meta.ts";
import { type ApiClient, type ApiTest, feedId, feedUrl, itemId, withApi } from "../api/_api.ts";
import { Browser, csrfOf } from "../_support/auth_app.ts";

export { csrfOf, feedId, itemId };
export const PASSWORD = "correct horse battery";

/** What a web test gets. */
export interface WebTest extends ApiTest {
  /** Alice's browser, logged in. */
  readonly b: Browser;
}

/** Runs `fn` with alice logged in on the web and in the API (scope `*`). */
export async function withWeb(
  fn: (x: WebTest) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  await withApi({ scopes: ["*"], env }, async (x) => {
    const b = new Browser(x.t.app);
    assert.equal((await b.logIn("alice", PASSWORD)).status, 303);
    await fn({ ...x, b });
  });
}

/** A page as a browser asks for it (so errors come back as HTML pages). */
export async function page(b: Browser, path: string): Promise<{ status: number; html: string }> {
  const res = await b.request(path, { headers: { Accept: "text/html" } });
  return { status: res.status, html: await res.text() };
}

/** Posts a form as a browser does (Accept: text/html), without following the redirect. */
export function send(b: Browser, path: string, fields: Record<string, string>) {
  return b.request(path, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Accept: "text/html",
    },
    body: new URLSearchParams(fields).toString(),
  });
}

/** GETs `formPage` for its CSRF token, then posts `fields` to `action`. */
export async function submit(
  b: Browser,
  formPage: string,
  action: string,
  fields: Record<string, string>,
): Promise<Response> {
  const { html } = await page(b, formPage);
  return await send(b, action, { csrf: csrfOf(html), ...fields });
}

/** Stores titles and a cover for test feed `n` and its episodes 1–3, as a fetch would. */
export async function knownFeed(api: ApiClient, n: number, cover?: string): Promise<void> {
  await saveFeedMeta(api.t.kv, {
    feed: feedId(n),
    feedUrl: feedUrl(n),
    title: `Podcast ${n}`,
    author: `Author ${n}`,
    cover,
    episodes: [1, 2, 3].map((e) => ({ item: itemId(n, e), title: `Episode ${n}.${e}` })),
  }, { now: api.t.clock.now() });
}

/** Where a 303 goes. */
export function location(res: Response): string {
  assert.equal(res.status, 303, `expected a redirect, got ${res.status}`);
  return res.headers.get("Location")!;
}
