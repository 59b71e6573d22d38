import assert from "node:assert/strict";
import { HostLimiter } from "../../src/rss/host_limiter.ts";

Deno.test("HostLimiter queues past the cap and hands permits over in order", async () => {
  const limiter = new HostLimiter(2);
  const a = await limiter.acquire("feeds.example.com");
  const b = await limiter.acquire("FEEDS.example.com");
  const other = await limiter.acquire("cdn.example.net");
  const order: string[] = [];
  const c = limiter.acquire("feeds.example.com").then((r) => (order.push("c"), r));
  const d = limiter.acquire("feeds.example.com").then((r) => (order.push("d"), r));
  await new Promise((r) => setTimeout(r, 1));
  assert.deepEqual(order, []);
  a();
  a(); // releasing twice gives back one permit only
  (await c)();
  b();
  (await d)();
  other();
  assert.deepEqual(order, ["c", "d"]);
  assert.equal(limiter.busyHosts, 0);
});

Deno.test("HostLimiter drops a waiter whose signal aborts", async () => {
  const limiter = new HostLimiter(1);
  const held = await limiter.acquire("feeds.example.com");
  const giveUp = new AbortController();
  const waiting = limiter.acquire("feeds.example.com", giveUp.signal);
  giveUp.abort(new Error("timeout"));
  await assert.rejects(waiting, /timeout/);
  held();
  assert.equal(limiter.busyHosts, 0);
  (await limiter.acquire("feeds.example.com"))();
});
