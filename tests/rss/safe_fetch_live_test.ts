/**
 * safeFetch() against a real socket: the fixture origin on 127.0.0.1. Every URL here is a
 * loopback spelling; the resolver fails the test if it is ever asked, so no DNS query
 * leaves the machine either.
 */
import assert from "node:assert/strict";
import {
  FeedTooLargeError,
  ForbiddenAddressError,
  UpstreamError,
  UpstreamTimeoutError,
} from "../../src/rss/errors.ts";
import { HostLimiter } from "../../src/rss/host_limiter.ts";
import { connectToAddress, safeFetch, type SafeFetchOptions } from "../../src/rss/safe_fetch.ts";
import { FIXTURE_ETAG, SMALL_FEED, startFeedServer } from "../_support/feed_server.ts";

const noDns = (host: string): Promise<string[]> => {
  throw new Error(`unexpected DNS lookup of ${host}`);
};

function local(extra: SafeFetchOptions = {}): SafeFetchOptions {
  return { resolve: noDns, allowPrivate: true, hostLimiter: new HostLimiter(4), ...extra };
}

Deno.test("safeFetch() refuses every loopback spelling without connecting", async () => {
  await using server = await startFeedServer();
  const p = server.port;
  for (
    const url of [
      `http://127.0.0.1:${p}/feed.xml`,
      `http://0x7f.1:${p}/feed.xml`,
      `http://2130706433:${p}/feed.xml`,
      `http://127.1:${p}/feed.xml`,
      `http://017700000001:${p}/feed.xml`,
      `http://[::1]:${p}/feed.xml`,
      `http://[::ffff:7f00:1]:${p}/feed.xml`,
      `http://[::ffff:127.0.0.1]:${p}/feed.xml`,
      `http://localhost:${p}/feed.xml`,
      `http://localhost.:${p}/feed.xml`,
      `http://feeds.localhost:${p}/feed.xml`,
    ]
  ) {
    await assert.rejects(
      safeFetch(url, { resolve: noDns, allowPrivate: false }),
      ForbiddenAddressError,
      url,
    );
  }
  assert.equal(server.connections, 0);
  assert.equal(server.requests.length, 0);
});

Deno.test("safeFetch() fetches from 127.0.0.1 when private addresses are allowed", async () => {
  await using server = await startFeedServer();
  const result = await safeFetch(`${server.origin}/feed.xml`, local());
  assert.equal(result.status, 200);
  assert.equal(new TextDecoder().decode(result.body), SMALL_FEED);
  assert.match(result.contentType ?? "", /rss\+xml/);
  assert.equal(server.requests[0].headers.get("user-agent"), "BaladosSync/1.0 (+feed fetcher)");
  assert.equal(server.requests[0].headers.get("cookie"), null);
  assert.ok(server.connections >= 1);
});

Deno.test("safeFetch() times out a stalling origin, before or after the headers", async () => {
  await using server = await startFeedServer();
  for (const path of ["/stall", "/stall-body"]) {
    const started = performance.now();
    await assert.rejects(
      safeFetch(`${server.origin}${path}`, local({ timeoutMs: 300 })),
      UpstreamTimeoutError,
    );
    const took = performance.now() - started;
    assert.ok(took >= 250 && took < 2_000, `${path} took ${took} ms`);
  }
});

Deno.test("safeFetch() applies the header timeout to a slow origin", async () => {
  await using server = await startFeedServer({ latencyMs: 1_000 });
  await assert.rejects(
    safeFetch(`${server.origin}/feed.xml`, local({ timeoutMs: 5_000, connectTimeoutMs: 200 })),
    UpstreamTimeoutError,
  );
  server.latencyMs = 50;
  const result = await safeFetch(`${server.origin}/feed.xml`, local({ timeoutMs: 2_000 }));
  assert.equal(result.status, 200);
});

Deno.test("safeFetch() refuses a 20 MiB body, streamed or declared", async () => {
  await using server = await startFeedServer();
  for (const path of ["/big", "/big-declared"]) {
    await assert.rejects(
      safeFetch(`${server.origin}${path}`, local()),
      (e: unknown) => e instanceof FeedTooLargeError && e.code === "feed_too_large",
    );
  }
});

Deno.test("safeFetch() stops a gzip bomb by counting decoded bytes", async () => {
  await using server = await startFeedServer();
  await assert.rejects(safeFetch(`${server.origin}/gzip-bomb`, local()), FeedTooLargeError);
  const small = await safeFetch(`${server.origin}/gzip-bomb`, local({ maxBytes: 30 * 2 ** 20 }));
  assert.equal(small.body.byteLength, 20 * 2 ** 20);
});

Deno.test("safeFetch() revalidates with If-None-Match and gets a 304", async () => {
  await using server = await startFeedServer();
  const first = await safeFetch(`${server.origin}/etag.xml`, local());
  assert.equal(first.status, 200);
  assert.equal(first.etag, FIXTURE_ETAG);
  const second = await safeFetch(
    `${server.origin}/etag.xml`,
    local({ etag: first.etag, lastModified: first.lastModified }),
  );
  assert.equal(second.status, 304);
  assert.equal(second.body.byteLength, 0);
  assert.equal(second.etag, FIXTURE_ETAG);
  assert.equal(server.requests[1].headers.get("if-none-match"), FIXTURE_ETAG);
});

Deno.test("safeFetch() follows real redirects up to the limit", async () => {
  await using server = await startFeedServer();
  const result = await safeFetch(`${server.origin}/redirect/5`, local());
  assert.equal(result.finalUrl, `${server.origin}/feed.xml`);
  await assert.rejects(safeFetch(`${server.origin}/redirect/6`, local()), /more than 5/);
});

Deno.test("safeFetch() never echoes an upstream error body", async () => {
  await using server = await startFeedServer();
  for (const status of [403, 404, 500, 503]) {
    await assert.rejects(safeFetch(`${server.origin}/status/${status}`, local()), (e) => {
      assert.ok(e instanceof UpstreamError);
      assert.equal(e.status, status);
      assert.doesNotMatch(`${e.message} ${e.stack}`, /SECRET/);
      return true;
    });
  }
});

Deno.test("connectToAddress() sends the request to the pinned address, not the URL's", async () => {
  await using server = await startFeedServer();
  // 127.0.0.2 is loopback too: were the pin ignored, nothing would answer there.
  using client = connectToAddress("127.0.0.1", server.port);
  const res = await fetch(`http://127.0.0.2:${server.port + 1}/feed.xml`, { client });
  assert.equal(await res.text(), SMALL_FEED);
  assert.equal(server.requests[0].headers.get("host"), `127.0.0.2:${server.port + 1}`);
});
