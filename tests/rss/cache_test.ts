import assert from "node:assert/strict";
import { type CacheLoader, LruCache } from "../../src/rss/cache.ts";
import { FakeClock } from "../_support/clock.ts";

const MIN = 60_000;

function textCache(options: { maxEntries?: number; maxBytes?: number; clock?: FakeClock } = {}) {
  return new LruCache<string>({ sizeOf: (s) => s.length, ...options });
}

function counting(value: string, extra: { etag?: string } = {}) {
  const seen: Array<string | undefined> = [];
  const loader: CacheLoader<string> = (stale) => {
    seen.push(stale?.etag ?? (stale ? "stale" : undefined));
    return Promise.resolve({ value, ...extra });
  };
  return Object.assign(loader, { seen });
}

Deno.test("LruCache evicts the least recently used entry past maxEntries", async () => {
  const cache = textCache({ maxEntries: 3 });
  for (const k of ["a", "b", "c"]) await cache.get(k, counting(k));
  await cache.get("a", counting("not called")); // a is now the most recent
  await cache.get("d", counting("d"));
  assert.equal(cache.peek("b"), undefined, "b was the least recently used");
  assert.deepEqual(["a", "c", "d"].map((k) => cache.peek(k)?.value), ["a", "c", "d"]);
  await cache.get("e", counting("e"));
  assert.equal(cache.peek("c"), undefined);
  assert.equal(cache.stats.evictions, 2);
  assert.equal(cache.stats.entries, 3);
});

Deno.test("LruCache expires entries after the TTL on the injected clock", async () => {
  const clock = new FakeClock();
  const cache = textCache({ clock });
  assert.equal(await cache.get("k", counting("v1")), "v1");
  clock.advance(5 * MIN - 1);
  const second = counting("v2");
  assert.equal(await cache.get("k", second), "v1");
  assert.equal(second.seen.length, 0);
  clock.advance(1);
  assert.equal(await cache.get("k", second), "v2");
  assert.equal(second.seen.length, 1);
  assert.deepEqual(
    { hits: cache.stats.hits, misses: cache.stats.misses },
    { hits: 1, misses: 2 },
  );
});

Deno.test("LruCache keeps the total bytes under budget, oldest out first", async () => {
  const cache = textCache({ maxBytes: 10 });
  await cache.get("a", counting("aaaa"));
  await cache.get("b", counting("bbbb"));
  assert.equal(cache.stats.bytes, 8);
  await cache.get("c", counting("cccc"));
  assert.equal(cache.peek("a"), undefined);
  assert.equal(cache.stats.bytes, 8);
  await cache.get("d", counting("dddddddddd"));
  assert.deepEqual([cache.stats.entries, cache.stats.bytes], [1, 10]);
  assert.equal(await cache.get("huge", counting("x".repeat(11))), "x".repeat(11));
  assert.equal(cache.peek("huge"), undefined, "too big to keep, still served");
  assert.equal(cache.peek("d")?.value, "dddddddddd");
});

Deno.test("LruCache makes one loader call for 10 concurrent gets of a cold key", async () => {
  const cache = textCache();
  let calls = 0;
  let finish = (_: string) => {};
  const loader: CacheLoader<string> = () => {
    calls++;
    return new Promise((resolve) => finish = (value) => resolve({ value }));
  };
  const all = Promise.all(Array.from({ length: 10 }, () => cache.get("cold", loader)));
  finish("feed");
  assert.deepEqual(await all, new Array(10).fill("feed"));
  assert.equal(calls, 1);
  assert.equal(cache.stats.coalesced, 9);
  assert.equal(await cache.get("cold", loader), "feed");
  assert.equal(calls, 1);
});

Deno.test("LruCache rejects every waiter of a failed load and caches nothing", async () => {
  const cache = textCache();
  let calls = 0;
  const failing: CacheLoader<string> = async () => {
    calls++;
    await Promise.resolve();
    throw new Error("origin down");
  };
  const results = await Promise.allSettled(
    Array.from({ length: 5 }, () => cache.get("k", failing)),
  );
  assert.ok(results.every((r) => r.status === "rejected" && /origin down/.test(`${r.reason}`)));
  assert.equal(calls, 1);
  assert.equal(cache.peek("k"), undefined);
  assert.equal(await cache.get("k", counting("back")), "back");
});

Deno.test("LruCache revalidates an expired entry with its validators", async () => {
  const clock = new FakeClock();
  const cache = textCache({ clock });
  await cache.get("k", counting("v1", { etag: '"e1"' }));
  clock.advance(6 * MIN);
  const seen: Array<string | undefined> = [];
  const notModified: CacheLoader<string> = (stale) => {
    seen.push(stale?.etag);
    return Promise.resolve({ notModified: true });
  };
  assert.equal(await cache.get("k", notModified), "v1");
  assert.deepEqual(seen, ['"e1"']);
  assert.equal(cache.stats.revalidated, 1);
  clock.advance(4 * MIN);
  assert.equal(await cache.get("k", notModified), "v1", "the 304 refreshed the TTL");
  assert.equal(seen.length, 1);
  clock.advance(2 * MIN);
  const failing: CacheLoader<string> = () => Promise.reject(new Error("down"));
  await assert.rejects(cache.get("k", failing), /down/);
  assert.equal(cache.peek("k")?.etag, '"e1"', "a failed revalidation keeps the stale entry");
});

Deno.test("LruCache refuses a not-modified answer with nothing cached", async () => {
  const cache = textCache();
  await assert.rejects(cache.get("k", () => Promise.resolve({ notModified: true })));
  assert.equal(cache.stats.entries, 0);
});
