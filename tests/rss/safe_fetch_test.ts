/**
 * safeFetch() with an injected resolver and fetch: no test here opens a socket. The fake
 * fetch records every "connection" so a refusal can be shown to happen before one.
 */
import assert from "node:assert/strict";
import type { Resolver } from "../../src/rss/address.ts";
import {
  FeedTooLargeError,
  ForbiddenAddressError,
  InvalidUrlError,
  UpstreamError,
  UpstreamTimeoutError,
} from "../../src/rss/errors.ts";
import { HostLimiter } from "../../src/rss/host_limiter.ts";
import { type FetchInit, safeFetch, USER_AGENT } from "../../src/rss/safe_fetch.ts";

const FEED = "<rss><channel><title>t</title></channel></rss>";

type Route = (init: FetchInit) => Response | Promise<Response>;

function network(routes: Record<string, Route>, dns: Record<string, string[]> = {}) {
  const calls: Array<{ url: string; init: FetchInit }> = [];
  const lookups: string[] = [];
  const fetch = (url: string, init: FetchInit) => {
    calls.push({ url, init });
    const route = routes[url];
    return route ? Promise.resolve(route(init)) : Promise.reject(new TypeError(`no ${url}`));
  };
  const resolve: Resolver = (host) => {
    lookups.push(host);
    const found = dns[host];
    return found ? Promise.resolve(found) : Promise.reject(new Error(`NXDOMAIN ${host}`));
  };
  return { fetch, resolve, calls, lookups, hostLimiter: new HostLimiter(4) };
}

const redirect = (location: string, status = 302) => () =>
  new Response(null, { status, headers: { location } });
const ok = (body = FEED, headers: HeadersInit = {}) => () => new Response(body, { headers });
const PUBLIC = { "feeds.example.com": ["93.184.216.34"], "cdn.example.net": ["2606:4700::1"] };

Deno.test("safeFetch() refuses a redirect hop to the metadata address before connecting", async () => {
  const net = network({
    "https://feeds.example.com/feed": redirect("https://cdn.example.net/hop2"),
    "https://cdn.example.net/hop2": redirect("https://meta.example.org/latest/meta-data"),
  }, { ...PUBLIC, "meta.example.org": ["169.254.169.254"] });
  await assert.rejects(safeFetch("https://feeds.example.com/feed", net), ForbiddenAddressError);
  assert.deepEqual(net.calls.map((c) => c.url), [
    "https://feeds.example.com/feed",
    "https://cdn.example.net/hop2",
  ]);
  assert.deepEqual(net.lookups, ["feeds.example.com", "cdn.example.net", "meta.example.org"]);
});

Deno.test("safeFetch() refuses hop 3 resolving to 10.0.0.1 and literal internal hops", async () => {
  for (
    const last of [
      "https://db.example.org/x",
      "https://10.0.0.1/x",
      "https://0xa.1/x",
      "https://[::ffff:a9fe:a9fe]/x",
      "https://[64:ff9b::a9fe:a9fe]/",
      "https://metadata.google.internal/",
    ]
  ) {
    const net = network({
      "https://feeds.example.com/feed": redirect("/hop2"),
      "https://feeds.example.com/hop2": redirect(last, 301),
    }, { ...PUBLIC, "db.example.org": ["93.184.216.35", "10.0.0.1"] });
    await assert.rejects(safeFetch("https://feeds.example.com/feed", net), ForbiddenAddressError);
    assert.equal(net.calls.length, 2, last);
    assert.ok(net.calls.every((c) => c.url.startsWith("https://feeds.example.com/")));
  }
});

Deno.test("safeFetch() refuses an https to http downgrade", async () => {
  const net = network({
    "https://feeds.example.com/feed": redirect("http://feeds.example.com/feed"),
  }, PUBLIC);
  await assert.rejects(safeFetch("https://feeds.example.com/feed", net), (e: unknown) => {
    assert.ok(e instanceof UpstreamError);
    assert.equal(e.code, "upstream_error");
    assert.match(e.message, /https to http/);
    return true;
  });
  assert.equal(net.calls.length, 1);
});

Deno.test("safeFetch() follows 5 redirects and refuses a 6th", async () => {
  const routes: Record<string, Route> = { "https://feeds.example.com/r0": ok() };
  for (let i = 1; i <= 6; i++) routes[`https://feeds.example.com/r${i}`] = redirect(`r${i - 1}`);
  const five = network(routes, PUBLIC);
  const result = await safeFetch("https://feeds.example.com/r5", five);
  assert.equal(result.finalUrl, "https://feeds.example.com/r0");
  assert.equal(five.calls.length, 6);
  const six = network(routes, PUBLIC);
  await assert.rejects(safeFetch("https://feeds.example.com/r6", six), /more than 5/);
  assert.equal(six.calls.length, 6);
});

Deno.test("safeFetch() refuses non-http(s) URLs and credentials as invalid_url", async () => {
  const net = network({}, PUBLIC);
  for (
    const url of [
      "file:///etc/passwd",
      "data:text/xml,<rss/>",
      "ftp://feeds.example.com/feed.xml",
      "javascript:alert(1)",
      "gopher://feeds.example.com/",
      "not a url",
      "//feeds.example.com/feed",
      "https://user:secret@feeds.example.com/feed",
    ]
  ) {
    await assert.rejects(safeFetch(url, net), (e: unknown) => {
      assert.ok(e instanceof InvalidUrlError, url);
      assert.equal(e.code, "invalid_url");
      return true;
    });
  }
  assert.equal(net.calls.length + net.lookups.length, 0);
});

Deno.test("safeFetch() sends no credentials, a User-Agent and conditional headers", async () => {
  const net = network({
    "https://feeds.example.com/feed": () =>
      new Response(null, { status: 304, headers: { etag: '"v2"' } }),
  }, PUBLIC);
  const result = await safeFetch("https://feeds.example.com/feed#top", {
    ...net,
    etag: '"v1"',
    lastModified: "Wed, 14 Jan 2026 08:00:00 GMT",
  });
  assert.equal(result.status, 304);
  assert.equal(result.body.byteLength, 0);
  assert.equal(result.etag, '"v2"');
  assert.equal(result.lastModified, "Wed, 14 Jan 2026 08:00:00 GMT");
  const { url, init } = net.calls[0];
  assert.equal(url, "https://feeds.example.com/feed");
  assert.equal(init.credentials, "omit");
  assert.equal(init.redirect, "manual");
  const headers = new Headers(init.headers);
  assert.equal(headers.get("user-agent"), USER_AGENT);
  assert.equal(headers.get("if-none-match"), '"v1"');
  assert.equal(headers.get("if-modified-since"), "Wed, 14 Jan 2026 08:00:00 GMT");
  assert.equal(headers.get("authorization"), null);
  assert.equal(headers.get("cookie"), null);
});

Deno.test("safeFetch() returns the body and validators, dropping userinfo from a Location", async () => {
  const net = network({
    "https://feeds.example.com/old": redirect("https://u:p@cdn.example.net/new"),
    "https://cdn.example.net/new": ok(FEED, {
      etag: '"abc"',
      "last-modified": "Wed, 14 Jan 2026 08:00:00 GMT",
      "content-type": "application/rss+xml",
    }),
  }, PUBLIC);
  const result = await safeFetch("https://feeds.example.com/old", net);
  assert.equal(result.status, 200);
  assert.equal(new TextDecoder().decode(result.body), FEED);
  assert.equal(result.etag, '"abc"');
  assert.equal(result.contentType, "application/rss+xml");
  assert.equal(result.finalUrl, "https://cdn.example.net/new");
});

Deno.test("safeFetch() maps a non-2xx answer to upstream_error without its body", async () => {
  let cancelled = false;
  const body = new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode("SECRET"));
    },
    cancel() {
      cancelled = true;
    },
  });
  const net = network({
    "https://feeds.example.com/feed": () => new Response(body, { status: 500 }),
  }, PUBLIC);
  await assert.rejects(safeFetch("https://feeds.example.com/feed", net), (e: unknown) => {
    assert.ok(e instanceof UpstreamError);
    assert.equal(e.status, 500);
    assert.doesNotMatch(e.message, /SECRET/);
    return true;
  });
  assert.ok(cancelled, "the upstream body is cancelled, not read");
});

Deno.test("safeFetch() stops reading past maxBytes and cancels the body", async () => {
  let cancelled = false;
  const chunk = new Uint8Array(1024);
  const endless = new ReadableStream<Uint8Array>({
    pull: (c) => c.enqueue(chunk),
    cancel() {
      cancelled = true;
    },
  });
  const net = network({ "https://feeds.example.com/feed": () => new Response(endless) }, PUBLIC);
  await assert.rejects(
    safeFetch("https://feeds.example.com/feed", { ...net, maxBytes: 10_000 }),
    FeedTooLargeError,
  );
  assert.ok(cancelled);
});

Deno.test("safeFetch() times out a silent origin and honours the caller's signal", async () => {
  const hang: Route = (init) =>
    new Promise((_, reject) =>
      init.signal?.addEventListener("abort", () => reject(new Error("x")))
    );
  const net = network({ "https://feeds.example.com/feed": hang }, PUBLIC);
  const started = performance.now();
  await assert.rejects(
    safeFetch("https://feeds.example.com/feed", { ...net, timeoutMs: 5_000, connectTimeoutMs: 50 }),
    UpstreamTimeoutError,
  );
  assert.ok(performance.now() - started < 2_000, "the header timer, not the total one");
  const caller = new AbortController();
  const pending = safeFetch("https://feeds.example.com/feed", { ...net, signal: caller.signal });
  const reason = new Error("client went away");
  caller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
});

Deno.test("safeFetch() maps resolver and connection failures to upstream_error", async () => {
  const net = network({}, PUBLIC);
  await assert.rejects(safeFetch("https://nowhere.example.com/", net), UpstreamError);
  await assert.rejects(safeFetch("https://feeds.example.com/none", net), (e: unknown) => {
    assert.ok(e instanceof UpstreamError);
    assert.ok(e.cause instanceof TypeError);
    return true;
  });
});

Deno.test("safeFetch() pins http hops to the checked address, not https ones", async () => {
  const pins: string[] = [];
  let closed = 0;
  const connectTo = (address: string, port: number) => {
    pins.push(`${address} ${port}`);
    return { close: () => closed++ } as unknown as Deno.HttpClient;
  };
  const net = network({
    "http://feeds.example.com:8080/feed": redirect("https://cdn.example.net/feed"),
    "https://cdn.example.net/feed": ok(),
  }, { ...PUBLIC, "feeds.example.com": ["2606:4700::2", "93.184.216.34"] });
  await safeFetch("http://feeds.example.com:8080/feed", { ...net, connectTo });
  assert.deepEqual(pins, ["93.184.216.34 8080"]);
  assert.ok(net.calls[0].init.client);
  assert.equal(net.calls[1].init.client, undefined);
  assert.equal(closed, 1);
});

Deno.test("safeFetch() lets allowPrivate lift the address rule only", async () => {
  const net = network({
    "http://10.0.0.1/feed": ok(),
    "https://10.0.0.2/feed": redirect("http://10.0.0.1/feed"),
  });
  const result = await safeFetch("http://10.0.0.1/feed", { ...net, allowPrivate: true });
  assert.equal(result.status, 200);
  assert.deepEqual(net.lookups, []);
  await assert.rejects(
    safeFetch("https://10.0.0.2/feed", { ...net, allowPrivate: true }),
    /https to http/,
  );
  await assert.rejects(safeFetch("file:///etc/passwd", { ...net, allowPrivate: true }), {
    code: "invalid_url",
  });
});

Deno.test("safeFetch() holds at most N requests per host at once", async () => {
  let inFlight = 0, peak = 0;
  const releases: Array<() => void> = [];
  const slow: Route = () => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    return new Promise((resolve) =>
      releases.push(() => {
        inFlight--;
        resolve(new Response(FEED));
      })
    );
  };
  const net = network({ "https://feeds.example.com/feed": slow }, PUBLIC);
  const all = Promise.all(
    Array.from({ length: 7 }, () => safeFetch("https://feeds.example.com/feed", net)),
  );
  while (releases.length < 4) await new Promise((r) => setTimeout(r, 1));
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(peak, 4);
  for (let done = 0; done < 7; await new Promise((r) => setTimeout(r, 1))) {
    const next = releases.shift();
    if (next) done++, next();
  }
  assert.equal((await all).length, 7);
  assert.equal(peak, 4);
  assert.equal(net.hostLimiter.busyHosts, 0);
});
