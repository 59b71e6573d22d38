import assert from "node:assert/strict";
import { encodeFeedId } from "../../src/domain/ids.ts";
import { parseFeed } from "../../src/rss/parse.ts";
import { callApi } from "../_support/auth_app.ts";
import { startFeedServer } from "../_support/feed_server.ts";
import { buildFeedApp, EP26, reader } from "./_app.ts";

Deno.test("feed reader end to end: subscribe, token, personal feed, gateway, play", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp();
  const r = await reader(t);
  const feedUrl = `${server.origin}/fixtures/podcast_rss.xml`;
  const api = async (method: string, path: string, body?: unknown) =>
    await callApi(t, `/api/v1${path}`, await r.jwt(), {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
    });

  // 1. The user's app subscribes and mints a user token for an RSS reader.
  const sub = await api("POST", "/subscriptions", { rss_source_feed: encodeFeedId(feedUrl) });
  assert.equal(sub.status, 201);
  await sub.body?.cancel();
  const created = await api("POST", "/tokens", { name: "My RSS Reader" });
  assert.equal(created.status, 201);
  const { token } = await created.json();

  // 2. The reader polls the personal feed: episodes with gateway enclosures.
  const rss = await t.app.request(`/rss/${token}/subscriptions`);
  assert.equal(rss.status, 200);
  const feed = parseFeed(await rss.text());
  assert.equal(feed.items.length, 6);
  const first = feed.items[0];
  assert.equal(first.title, "[Tech & Tea — The Feed Fixture Show] Episode 26: Hex & the <guid>");
  const gateway = new URL(first.enclosure!.url);
  assert.equal(gateway.origin, "http://localhost:8000");
  assert.ok(gateway.pathname.startsWith(`/play/${token}/`));

  // 3. The reader plays it: the gateway redirects to the real file at once.
  const hit = await t.app.request(gateway.pathname);
  assert.equal(hit.status, 302);
  assert.equal(hit.headers.get("location"), EP26.enclosure);

  // 4. The play reaches the user's history (the processor runs in the background in prod).
  await t.deps.gateway.drainAll();
  await t.deps.feeds.settled();
  const plays = await api("GET", "/play");
  const [play] = (await plays.json()).play_statuses;
  assert.equal(play.enclosure_url, EP26.enclosure);
  assert.equal(play.guid, EP26.guid);
  assert.equal(play.feed_url, feedUrl);
  assert.equal(play.feed_title, "Tech & Tea — The Feed Fixture Show");
  assert.equal(play.item_title, "Episode 26: Hex & the <guid>");

  // 5. The subscription list shows the title the feed fetch left behind.
  const subs = await (await api("GET", "/subscriptions")).json();
  assert.equal(subs.subscriptions[0].feed_title, "Tech & Tea — The Feed Fixture Show");

  // 6. Revoking the token closes both the feed and the gateway at once.
  const listed = await (await api("GET", "/tokens")).json();
  const mine = listed.tokens.find((x: { name: string }) => x.name === "My RSS Reader");
  const revoke = await api("DELETE", `/tokens/${mine.id}`);
  assert.equal(revoke.status, 200);
  assert.equal((await t.app.request(`/rss/${token}/subscriptions`)).status, 404);
  assert.equal((await t.app.request(gateway.pathname)).status, 404);

  await server.close();
  await t.close();
});
