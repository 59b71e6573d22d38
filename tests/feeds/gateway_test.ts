import assert from "node:assert/strict";
import { cronJobs, handleQueueMessage } from "../../jobs/mod.ts";
import { encodeFeedId } from "../../src/domain/ids.ts";
import { GATEWAY_DEDUPE_MS } from "../../src/rss/gateway.ts";
import { gatewayPlayPrefix, userKey } from "../../src/store/keys.ts";
import type { AuthTestApp } from "../_support/auth_app.ts";
import { callApi } from "../_support/auth_app.ts";
import {
  buildFeedApp,
  EP26,
  feedLists,
  itemId,
  keysUnder,
  type Reader,
  reader,
  subscribe,
} from "./_app.ts";

// Feed URLs only: the gateway never fetches the feed, and tests never follow redirects.
const FEED_URL = "http://127.0.0.1:9/fixtures/podcast_rss.xml";
const EP26_ID = itemId(EP26.guid, EP26.enclosure);

async function plays(t: AuthTestApp, r: Reader) {
  const res = await callApi(t, "/api/v1/play", await r.jwt());
  assert.equal(res.status, 200);
  return (await res.json()).play_statuses as Array<Record<string, unknown>>;
}

async function pending(t: AuthTestApp): Promise<number> {
  return (await keysUnder(t.kv, gatewayPlayPrefix())).length;
}

Deno.test("the gateway redirects a subscribed episode and the play shows in GET /play", async () => {
  const t = await buildFeedApp();
  const r = await reader(t);
  const [feed] = await subscribe(t, r.userId, FEED_URL);
  await feedLists(t, FEED_URL, [EP26]);
  const res = await t.app.request(`/play/${r.token}/${feed}/${EP26_ID}`);
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), EP26.enclosure);
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  assert.equal(await pending(t), 1, "the play is durable before any event is written");
  assert.deepEqual(await plays(t, r), []);
  assert.deepEqual(await t.deps.gateway.drainAll(), { recorded: 1, failed: 0 });
  assert.equal(await pending(t), 0);
  const [play] = await plays(t, r);
  assert.equal(play.rss_source_feed, feed);
  assert.equal(play.rss_source_item, EP26_ID);
  assert.equal(play.position, 0);
  assert.equal(play.played, false);
  assert.equal(play.updated_at, new Date(t.clock.now()).toISOString());
  await t.close();
});

Deno.test("the gateway keeps the known position and records one play per 10 minutes", async () => {
  const t = await buildFeedApp();
  const r = await reader(t);
  const [feed] = await subscribe(t, r.userId, FEED_URL);
  await feedLists(t, FEED_URL, [EP26]);
  await t.deps.registry.execute(r.userId, {
    type: "RecordPlay",
    data: { feed, item: EP26_ID, position: 125, played: true },
  });
  t.clock.advance(1_000);
  const path = `/play/${r.token}/${feed}/${EP26_ID}`;
  const hits = await Promise.all(Array.from({ length: 5 }, () => t.app.request(path)));
  assert.ok(hits.every((h) => h.status === 302), "every range request is redirected");
  t.clock.advance(GATEWAY_DEDUPE_MS - 1_000);
  assert.equal((await t.app.request(path)).status, 302);
  assert.equal(await pending(t), 1, "one play for repeated hits within 10 minutes");
  const before = (await t.deps.store.head(r.userId)).seq;
  await t.deps.gateway.drainAll();
  const seq = (await t.deps.store.head(r.userId)).seq;
  assert.equal(seq, before + 1, "the listen is a played event");
  const [play] = await plays(t, r);
  assert.equal(play.position, 125, "the position is kept");
  assert.equal(play.played, true, "listening again keeps the played flag");
  t.clock.advance(2_000);
  assert.equal((await t.app.request(path)).status, 302);
  assert.equal(await pending(t), 1, "a hit after 10 minutes is a new play");
  await t.deps.gateway.drainAll();
  await t.deps.gateway.drainAll(); // a second drain (another wake-up) records nothing more
  assert.equal((await t.deps.store.head(r.userId)).seq, seq + 1, "and it is recorded too");
  await t.close();
});

Deno.test("the gateway answers 404 and records nothing for a bad token or an unsubscribed feed", async () => {
  const t = await buildFeedApp();
  const r = await reader(t);
  const [feed] = await subscribe(t, r.userId, FEED_URL);
  await feedLists(t, FEED_URL, [EP26]);
  const other = encodeFeedId("http://127.0.0.1:9/other.xml");
  const evil = itemId("x", "https://evil.example/steal");
  const cases = [
    `/play/${"x".repeat(43)}/${feed}/${EP26_ID}`,
    `/play/nope/${feed}/${EP26_ID}`,
    `/play/${r.token}/${other}/${EP26_ID}`,
    // No open redirect: an item id pointing elsewhere, under a feed the user does not have.
    `/play/${r.token}/${other}/${evil}`,
  ];
  const bodies = new Set<string>();
  for (const path of cases) {
    const res = await t.app.request(path);
    assert.equal(res.status, 404, path);
    assert.equal(res.headers.get("location"), null);
    bodies.add(await res.text());
  }
  assert.equal(bodies.size, 1);
  for (const path of [`/play/${r.token}/!!/${EP26_ID}`, `/play/${r.token}/${feed}/bad`]) {
    assert.equal((await t.app.request(path)).status, 400, path);
  }
  await t.deps.registry.execute(r.userId, { type: "Unsubscribe", data: { feed } });
  assert.equal((await t.app.request(`/play/${r.token}/${feed}/${EP26_ID}`)).status, 404);
  assert.equal(await pending(t), 0);
  assert.deepEqual(await plays(t, r), []);
  await t.close();
});

Deno.test("the gateway redirects an episode of a playlist without a subscription", async () => {
  const t = await buildFeedApp();
  const r = await reader(t);
  const feed = encodeFeedId(FEED_URL);
  await feedLists(t, FEED_URL, [EP26]);
  await t.deps.registry.execute(r.userId, {
    type: "CreatePlaylist",
    data: { id: "pl", name: "P" },
  });
  await t.deps.registry.execute(r.userId, {
    type: "AddPlaylistItem",
    data: { id: "pl", feed, item: EP26_ID },
  });
  const res = await t.app.request(`/play/${r.token}/${feed}/${EP26_ID}`);
  assert.equal(res.status, 302);
  const other = itemId("x", "https://evil.example/steal");
  assert.equal((await t.app.request(`/play/${r.token}/${feed}/${other}`)).status, 404);
  await t.deps.gateway.drainAll();
  assert.equal((await plays(t, r)).length, 1);
  await t.close();
});

Deno.test("a play left pending by a crash is recorded by the cron sweep", async () => {
  const t = await buildFeedApp();
  const r = await reader(t);
  const [feed] = await subscribe(t, r.userId, FEED_URL);
  await feedLists(t, FEED_URL, [EP26]);
  assert.equal((await t.app.request(`/play/${r.token}/${feed}/${EP26_ID}`)).status, 302);
  // The process "dies" here: no kick, no queue. The next process's cron finds the record.
  const sweep = cronJobs(t.deps).find((j) => j.name === "gateway sweep");
  assert.ok(sweep, "a gateway sweep cron job exists");
  assert.equal(sweep.schedule, "* * * * *");
  await sweep.handler();
  assert.equal(await pending(t), 0);
  assert.equal((await plays(t, r)).length, 1);
  await t.close();
});

Deno.test("a KV queue pointer drains pending plays through the one queue handler", async () => {
  const t = await buildFeedApp();
  const r = await reader(t);
  const [feed] = await subscribe(t, r.userId, FEED_URL);
  await feedLists(t, FEED_URL, [EP26]);
  await t.app.request(`/play/${r.token}/${feed}/${EP26_ID}`);
  await handleQueueMessage(t.deps, { kind: "gateway", id: "whatever" });
  assert.equal(await pending(t), 0);
  assert.equal((await plays(t, r)).length, 1);
  await handleQueueMessage(t.deps, { kind: "project", userId: r.userId, toSeq: 1 });
  await handleQueueMessage(t.deps, { kind: "bogus" });
  await t.close();
});

Deno.test("the PLAY_HOST form works on the play host only", async () => {
  const t = await buildFeedApp({ env: { PLAY_HOST: "play.example.org" } });
  const r = await reader(t);
  const [feed] = await subscribe(t, r.userId, FEED_URL);
  await feedLists(t, FEED_URL, [EP26]);
  const path = `/${r.token}/${feed}/${EP26_ID}`;
  const res = await t.app.request(`http://play.example.org${path}`);
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), EP26.enclosure);
  const elsewhere = await t.app.request(`http://localhost:8000${path}`);
  assert.equal(elsewhere.status, 404);
  assert.equal((await elsewhere.json()).error.code, "not_found");
  // Other routes with three segments still work off the play host.
  const health = await t.app.request("http://localhost:8000/api/v1/me");
  assert.equal(health.status, 401);
  await health.body?.cancel();
  await t.deps.gateway.drainAll();
  await t.close();
});

Deno.test("with KV queues on, the gateway's commit enqueues a pointer the listener drains", async () => {
  const t = await buildFeedApp({ env: { KV_QUEUES: "on" } });
  const r = await reader(t);
  const [feed] = await subscribe(t, r.userId, FEED_URL);
  await feedLists(t, FEED_URL, [EP26]);
  const drained = Promise.withResolvers<void>();
  const listening = t.kv.listenQueue(async (msg) => {
    await handleQueueMessage(t.deps, msg);
    if ((msg as { kind?: string }).kind === "gateway") drained.resolve();
  });
  assert.equal((await t.app.request(`/play/${r.token}/${feed}/${EP26_ID}`)).status, 302);
  await drained.promise;
  assert.equal(await pending(t), 0);
  assert.equal((await plays(t, r)).length, 1);
  await t.close();
  await listening;
});

Deno.test("hostile gateway and feed paths never answer 500", async () => {
  const t = await buildFeedApp({ env: { PLAY_HOST: "play.example.org" } });
  const r = await reader(t);
  const [feed] = await subscribe(t, r.userId, FEED_URL);
  await feedLists(t, FEED_URL, [EP26]);
  const long = "A".repeat(20_000);
  const paths = [
    `/play/%ZZ/%ZZ/%ZZ`,
    `/play/${r.token}/%ZZ/${EP26_ID}`,
    `/play/${r.token}/${feed}/${long}`,
    `/play/${r.token}/${long}/${EP26_ID}`,
    `/play/${r.token}/${feed}/${itemId("g", "https://exa mple.com/a")}`,
    `/play/${r.token}/${feed}/${btoa("g,https://\u0000x/")}`,
    `/rss/%ZZ/subscriptions`,
    `/rss/${r.token}/playlists/%00`,
    `/rss/${r.token}/playlists/${long}`,
    `/api/v1/rss/proxy/%ZZ`,
    `/api/v1/rss/proxy/${long}`,
    `/api/v1/rss/proxy/${feed}/%ZZ`,
    `http://play.example.org/%ZZ/%ZZ/%ZZ`,
    `http://play.example.org/${r.token}/${feed}/${long}`,
  ];
  for (const path of paths) {
    const res = await t.app.request(path);
    assert.ok(res.status < 500, `${path.slice(0, 80)} → ${res.status}`);
    await res.body?.cancel();
  }
  assert.equal(await pending(t), 0);
  await t.close();
});

Deno.test("a pending play of a deleted account is dropped, not replayed", async () => {
  const t = await buildFeedApp();
  const r = await reader(t);
  const [feed] = await subscribe(t, r.userId, FEED_URL);
  await feedLists(t, FEED_URL, [EP26]);
  assert.equal((await t.app.request(`/play/${r.token}/${feed}/${EP26_ID}`)).status, 302);
  await t.kv.delete(userKey(r.userId));
  assert.deepEqual(await t.deps.gateway.drainAll(), { recorded: 0, failed: 1 });
  assert.equal(await pending(t), 0);
  assert.equal((await t.deps.registry.state(r.userId)).plays.size, 0);
  await t.close();
});

Deno.test("the gateway is no open redirect: an item id naming another URL under a subscribed feed is a 404", async () => {
  const t = await buildFeedApp();
  const r = await reader(t);
  const [feed] = await subscribe(t, r.userId, FEED_URL);
  await feedLists(t, FEED_URL, [EP26]);
  // What the attack sends: any guid with the phishing page as the "enclosure".
  const phishing = itemId("x", "https://phishing.example/login");
  const sameGuid = itemId(EP26.guid, "https://phishing.example/login");
  for (const item of [phishing, sameGuid]) {
    const res = await t.app.request(`/play/${r.token}/${feed}/${item}`);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get("location"), null);
    await res.body?.cancel();
  }
  assert.equal(await pending(t), 0, "nothing recorded");
  await t.close();
});
