/**
 * The real app for the listener's page tests: `:memory:` KV, fake clock, fixture feeds on
 * 127.0.0.1 allowed (ALLOW_PRIVATE_FEEDS=1 unless told otherwise), short feed timeouts, no
 * DNS, and a logged-in browser.
 */
import { getUserByUsername } from "../../src/auth/users.ts";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import { buildTestApp } from "../_support/app.ts";
import { type AuthTestApp, Browser } from "../_support/auth_app.ts";

export const PW = "correct horse battery";

/** The fixture feed's title as it appears in a page (escaped). */
export const SHOW = "Tech &amp; Tea — The Feed Fixture Show";
export const SHOW_COVER = "https://cdn.example.com/art/tech-and-tea-3000.jpg";

/** Episodes of `podcast_rss.xml`. */
export const EPISODES = {
  ep26: { guid: "0x1A", enclosure: "https://cdn.example.com/audio/ep26.mp3?src=rss&v=2" },
  ep25: { guid: "007", enclosure: "https://cdn.example.com/audio/ep25.mp3" },
  ep24a: { guid: "dup-guid", enclosure: "https://cdn.example.com/audio/ep24a.mp3" },
  ep23: {
    guid: "https://tech-and-tea.example.com/episodes/23,https://x",
    enclosure: "https://cdn.example.com/audio/ep23.mp3",
  },
} as const;

/** The item id of a fixture episode. */
export function itemOf(e: { guid: string; enclosure: string }): string {
  return encodeItemId(e.guid, e.enclosure);
}

/** The fixture feed's URL and id on a running fixture server. */
export function fixtureFeed(origin: string): { url: string; feed: string } {
  const url = `${origin}/fixtures/podcast_rss.xml`;
  return { url, feed: encodeFeedId(url) };
}

/** The app for page tests; `env` overrides configuration. */
export async function buildPageApp(env: Record<string, string> = {}): Promise<AuthTestApp> {
  const t = await buildTestApp({
    env: { ALLOW_PRIVATE_FEEDS: "1", ...env },
    feedOptions: { timeoutMs: 2_000, deadlineMs: 1_000 },
  });
  return { app: t.app, deps: t.deps, kv: t.deps.kv, clock: t.clock, close: t.close };
}

/** A browser logged in as a new user; returns it with the user's id. */
export async function loggedIn(
  t: AuthTestApp,
  username = "alice",
): Promise<{ b: Browser; userId: string }> {
  const b = new Browser(t.app);
  const res = await b.register(username, PW);
  if (res.status !== 303) throw new Error(`register failed: ${res.status}`);
  const user = await getUserByUsername(t.deps, username);
  return { b, userId: user!.id };
}

/** The page's session CSRF token (every logged-in page carries it in the header's form). */
export async function csrfFrom(b: Browser, path = "/history"): Promise<string> {
  const html = await (await b.get(path)).text();
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error("no csrf field in page");
  return m[1];
}

/** Undoes the HTML escaping of text and attribute values. */
export function unescapeHtml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** The `<li>` of a list item holding `needle`, to check what is said next to it. */
export function itemWith(html: string, needle: string): string {
  const at = html.indexOf(needle);
  if (at < 0) throw new Error(`${needle} not in page`);
  const start = html.lastIndexOf("<li", at);
  const end = html.indexOf("</li>", at);
  return html.slice(start, end);
}

/** How many events the user has (to prove a request wrote nothing). */
export async function seqOf(t: AuthTestApp, userId: string): Promise<number> {
  return (await t.deps.store.head(userId)).seq;
}
