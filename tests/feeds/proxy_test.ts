import assert from "node:assert/strict";
import { encodeFeedId } from "../../src/domain/ids.ts";
import { parseFeed } from "../../src/rss/parse.ts";
import { startFeedServer } from "../_support/feed_server.ts";
import { buildFeedApp, EP26, itemId } from "./_app.ts";

const PROXY = "/api/v1/rss/proxy";

function b64(text: string): string {
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function assertProxyHeaders(res: Response): void {
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.equal(res.headers.get("cache-control"), "public, max-age=300");
  assert.equal(res.headers.get("content-type"), "application/xml");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("content-security-policy"), "default-src 'none'; sandbox");
}

Deno.test("proxy answers the feed byte for byte with the SPEC headers, no JWT needed", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp();
  const feed = encodeFeedId(`${server.origin}/fixtures/podcast_rss.xml`);
  const res = await t.app.request(`${PROXY}/${feed}`);
  assert.equal(res.status, 200);
  assertProxyHeaders(res);
  const fixture = await Deno.readFile(
    new URL("../_support/fixtures/podcast_rss.xml", import.meta.url),
  );
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), fixture);
  const head = await t.app.request(`${PROXY}/${feed}`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(
    head.headers.get("content-length"),
    String(fixture.byteLength),
    "HEAD tells the size",
  );
  assertProxyHeaders(head);
  await head.body?.cancel();
  await server.close();
  await t.close();
});

Deno.test("proxy /{feed}/{item} keeps only that episode; an unknown one is 404", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp();
  const feed = encodeFeedId(`${server.origin}/fixtures/podcast_rss.xml`);
  const res = await t.app.request(`${PROXY}/${feed}/${itemId(EP26.guid, EP26.enclosure)}`);
  assert.equal(res.status, 200);
  assertProxyHeaders(res);
  const one = parseFeed(new Uint8Array(await res.arrayBuffer()));
  assert.equal(one.title, "Tech & Tea — The Feed Fixture Show");
  assert.deepEqual(one.items.map((i) => i.guid), ["0x1A"]);
  const none = await t.app.request(
    `${PROXY}/${feed}/${itemId("0x1A", "https://cdn.example.com/x.mp3")}`,
  );
  assert.equal(none.status, 404);
  assert.equal(none.headers.get("access-control-allow-origin"), "*");
  assert.equal((await none.json()).error.code, "not_found");
  assert.equal(server.requests.length, 1, "the second request was a cache hit");
  await server.close();
  await t.close();
});

Deno.test("proxy refuses bad ids and non-http schemes with 400 before any connection", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp();
  const cases: [string, string][] = [
    [`${PROXY}/not*base64`, "invalid_feed_id"],
    [`${PROXY}/${b64("file:///etc/passwd")}`, "invalid_feed_id"],
    [`${PROXY}/${b64("data:text/xml,<rss/>")}`, "invalid_feed_id"],
    [`${PROXY}/${b64(`ftp://127.0.0.1:${server.port}/feed.xml`)}`, "invalid_feed_id"],
    [`${PROXY}/${b64("http://user:pw@127.0.0.1/feed.xml")}`, "invalid_url"],
    [`${PROXY}/${b64(`${server.origin}/feed.xml`)}/${b64("no-enclosure")}`, "invalid_item_id"],
    [`${PROXY}/${"A".repeat(5000)}`, "invalid_feed_id"],
  ];
  for (const [path, code] of cases) {
    const res = await t.app.request(path);
    assert.equal(res.status, 400, path);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.equal((await res.json()).error.code, code, path);
  }
  assert.equal(server.connections, 0);
  await server.close();
  await t.close();
});

Deno.test("proxy answers 403 forbidden_address for a loopback feed when private feeds are off", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp({ env: { ALLOW_PRIVATE_FEEDS: "0" } });
  for (const host of ["127.0.0.1", "0x7f.1", "2130706433", "[::ffff:7f00:1]", "localhost."]) {
    const res = await t.app.request(
      `${PROXY}/${encodeFeedId(`http://${host}:${server.port}/feed.xml`)}`,
    );
    assert.equal(res.status, 403, host);
    assert.equal((await res.json()).error.code, "forbidden_address");
  }
  assert.equal(server.connections, 0, "no connection was made");
  await server.close();
  await t.close();
});

Deno.test("proxy maps a stalling origin to 504 and failing ones to 502, never echoing them", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp({ feedOptions: { timeoutMs: 300 } });
  const get = (path: string) => t.app.request(`${PROXY}/${encodeFeedId(server.origin + path)}`);
  const stalled = await get("/stall");
  assert.equal(stalled.status, 504);
  assert.equal((await stalled.json()).error.code, "upstream_timeout");
  const cases: [string, number, string][] = [
    ["/status/500", 502, "upstream_error"],
    ["/status/404", 502, "upstream_error"],
    ["/fixtures/malformed.xml", 502, "invalid_feed"],
    ["/fixtures/billion_laughs.xml", 502, "invalid_feed"],
  ];
  for (const [path, status, code] of cases) {
    const res = await get(path);
    const text = await res.text();
    assert.equal(res.status, status, path);
    assert.equal(JSON.parse(text).error.code, code, path);
    assert.ok(!text.includes("SECRET-UPSTREAM-BODY"));
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
  }
  await server.close();
  await t.close();
});

Deno.test("proxy makes one upstream fetch for 10 concurrent requests of a cold feed", async () => {
  const server = await startFeedServer({ latencyMs: 100 });
  const t = await buildFeedApp();
  const path = `${PROXY}/${encodeFeedId(`${server.origin}/fixtures/podcast_rss.xml`)}`;
  const all = await Promise.all(Array.from({ length: 10 }, () => t.app.request(path)));
  const bodies = await Promise.all(all.map((r) => r.text()));
  assert.ok(all.every((r) => r.status === 200));
  assert.ok(bodies.every((b) => b === bodies[0]));
  assert.equal(server.requests.length, 1);
  const metrics =
    await (await t.app.request("/metrics", {}, { remoteAddr: { hostname: "127.0.0.1" } })).text();
  assert.match(metrics, /^balados_feed_cache_misses_total 1$/m);
  assert.match(metrics, /^balados_feed_cache_coalesced_total 9$/m);
  assert.match(metrics, /^balados_feed_cache_entries 1$/m);
  assert.match(metrics, /^balados_feed_cache_bytes \d+$/m);
  await server.close();
  await t.close();
});

Deno.test("proxy rate-limits cache misses per client IP with 429 and Retry-After", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp({
    env: { TRUSTED_PROXIES: "10.0.0.1" },
    feedOptions: { missBurst: 2, missPerMinute: 1 },
  });
  const get = (path: string, ip: string, xff?: string) =>
    t.app.request(
      `${PROXY}/${encodeFeedId(server.origin + path)}`,
      { headers: xff ? { "X-Forwarded-For": xff } : {} },
      { remoteAddr: { hostname: ip } },
    );
  assert.equal((await get("/feed.xml", "198.51.100.7")).status, 200);
  assert.equal((await get("/status/500", "198.51.100.7")).status, 502);
  const limited = await get("/status/503", "198.51.100.7");
  assert.equal(limited.status, 429);
  assert.equal((await limited.json()).error.code, "rate_limited");
  assert.equal(limited.headers.get("retry-after"), "60");
  assert.equal(limited.headers.get("access-control-allow-origin"), "*");
  // A cached feed costs nothing; another client has its own bucket.
  assert.equal((await get("/feed.xml", "198.51.100.7")).status, 200);
  assert.equal((await get("/status/503", "198.51.100.8")).status, 502);
  // X-Forwarded-For counts only from a trusted proxy.
  assert.equal((await get("/status/502", "198.51.100.7", "192.0.2.50")).status, 429);
  assert.equal((await get("/status/502", "10.0.0.1", "192.0.2.50")).status, 502);
  t.clock.advance(60_000);
  assert.equal((await get("/status/503", "198.51.100.7")).status, 502, "a token came back");
  await server.close();
  await t.close();
});

Deno.test("proxy answers a CORS preflight", async () => {
  const t = await buildFeedApp();
  const res = await t.app.request(`${PROXY}/${encodeFeedId("http://127.0.0.1:9/feed.xml")}`, {
    method: "OPTIONS",
    headers: { Origin: "https://app.example", "Access-Control-Request-Method": "GET" },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.match(res.headers.get("access-control-allow-methods") ?? "", /GET/);
  await t.close();
});

Deno.test("a proxied feed leaves its title and episode titles in the metadata cache", async () => {
  const server = await startFeedServer();
  const t = await buildFeedApp();
  const { feedMetas, episodeTitle } = await import("../../src/store/feed_meta.ts");
  const feed = encodeFeedId(`${server.origin}/fixtures/podcast_rss.xml`);
  await (await t.app.request(`${PROXY}/${feed}`)).body?.cancel();
  await t.deps.feeds.settled();
  const meta = (await feedMetas(t.kv, [feed])).get(feed);
  assert.equal(meta?.title, "Tech & Tea — The Feed Fixture Show");
  assert.equal(meta?.author, "Ada & Grace");
  assert.equal(meta?.cover, "https://cdn.example.com/art/tech-and-tea-3000.jpg");
  assert.equal(
    await episodeTitle(meta, itemId(EP26.guid, EP26.enclosure)),
    "Episode 26: Hex & the <guid>",
  );
  assert.equal(meta?.refresh_at, undefined, "an anonymous proxy fetch does not keep it refreshed");
  await server.close();
  await t.close();
});
