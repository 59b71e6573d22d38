/**
 * The real app for the RSS, feed and gateway tests: `:memory:` KV, fake clock,
 * ALLOW_PRIVATE_FEEDS=1 (fixture origins are on 127.0.0.1), short feed timeouts, and the
 * gateway processor driven by hand. Also a user with an app, a user token and
 * subscriptions set up without HTTP.
 */
import { createUserToken } from "../../src/auth/user_tokens.ts";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import type { FeedServiceOptions } from "../../src/rss/feed_service.ts";
import { saveFeedMeta } from "../../src/store/feed_meta.ts";
import { buildTestApp } from "../_support/app.ts";
import { type AuthTestApp, userWithApp } from "../_support/auth_app.ts";
import { type AppKeys, generateAppKeys, requestJwt } from "../_support/jwt.ts";

/** Options of {@linkcode buildFeedApp}. */
export interface FeedAppOptions {
  env?: Record<string, string>;
  feedOptions?: FeedServiceOptions;
}

/**
 * The app with feed-friendly defaults; `close()` waits for background feed work, the
 * gateway processor, actors and projector, then closes KV. Close fixture servers first so
 * that fetches still waiting on them end.
 */
export async function buildFeedApp(options: FeedAppOptions = {}): Promise<AuthTestApp> {
  const t = await buildTestApp({
    env: { ALLOW_PRIVATE_FEEDS: "1", ...options.env },
    feedOptions: {
      timeoutMs: 2_000,
      deadlineMs: 1_000,
      resolve: () => Promise.reject(new Error("no DNS in tests")),
      ...options.feedOptions,
    },
  });
  return { app: t.app, deps: t.deps, kv: t.deps.kv, clock: t.clock, close: t.close };
}

/** A user with an approved app (scope `*`), a user token and a JWT maker. */
export interface Reader {
  readonly userId: string;
  readonly token: string;
  readonly keys: AppKeys;
  readonly appId: string;
  /** A fresh request JWT at the app's current (fake) time. */
  jwt(): Promise<string>;
}

let keysOnce: Promise<AppKeys> | undefined;

/** Creates (or reuses, by name) a user with an app and a fresh user token. */
export async function reader(t: AuthTestApp, username = "alice"): Promise<Reader> {
  const keys = await (keysOnce ??= generateAppKeys("ES256"));
  const { user, appId } = await userWithApp(t, keys, { username, scopes: ["*"] });
  const { token } = await createUserToken(t.deps, user.id, "test reader");
  return {
    userId: user.id,
    token,
    keys,
    appId,
    jwt: () => requestJwt(keys, { appId, sub: user.id, nowMs: t.clock.now() }),
  };
}

/** Subscribes the user to feed URLs through their actor (no HTTP); returns the feed ids. */
export async function subscribe(t: AuthTestApp, userId: string, ...urls: string[]) {
  const feeds: string[] = [];
  for (const url of urls) {
    const feed = encodeFeedId(url);
    await t.deps.registry.execute(userId, { type: "Subscribe", data: { feed } });
    feeds.push(feed);
  }
  return feeds;
}

/** The canonical item id of a guid and enclosure. */
export function itemId(guid: string, enclosureUrl: string): string {
  return encodeItemId(guid, enclosureUrl);
}

/** Keys under a prefix, to show what a request left in KV. */
export async function keysUnder(kv: Deno.Kv, prefix: Deno.KvKey): Promise<Deno.KvKey[]> {
  const out: Deno.KvKey[] = [];
  for await (const e of kv.list({ prefix })) out.push(e.key);
  return out;
}

/** The episode 26 of `podcast_rss.xml`. */
export const EP26 = {
  guid: "0x1A",
  enclosure: "https://cdn.example.com/audio/ep26.mp3?src=rss&v=2",
} as const;

/**
 * Records, without any fetch, that a feed lists these episodes (as its metadata would after
 * a fetch): the gateway only redirects to audio the feed lists.
 */
export async function feedLists(
  t: AuthTestApp,
  feedUrl: string,
  episodes: readonly { guid: string; enclosure: string }[],
): Promise<void> {
  await saveFeedMeta(t.kv, {
    feed: encodeFeedId(feedUrl),
    feedUrl,
    title: "Fixture",
    episodes: episodes.map((e) => ({ item: encodeItemId(e.guid, e.enclosure), title: e.guid })),
  }, { now: t.clock.now(), wanted: true });
}
