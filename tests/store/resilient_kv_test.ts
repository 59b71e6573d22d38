import assert from "node:assert/strict";
import { isTransientKvError, resilientKv } from "../../src/store/resilient_kv.ts";

/** A KV whose first `n` calls of `method` fail with "database is locked". */
function flaky(kv: Deno.Kv, method: "commit" | "get" | "list", n: number): Deno.Kv {
  let left = n;
  const fail = () => {
    if (left-- > 0) throw new TypeError("database is locked");
  };
  return new Proxy(kv, {
    get(target, prop) {
      if (prop === "atomic" && method === "commit") {
        return () => {
          const a = target.atomic();
          const commit = a.commit.bind(a);
          a.commit = () => (fail(), commit());
          return a;
        };
      }
      if (prop === "get" && method === "get") {
        return (key: Deno.KvKey) => (fail(), target.get(key));
      }
      if (prop === "list" && method === "list") {
        return (sel: Deno.KvListSelector, o?: Deno.KvListOptions) => {
          const it = target.list(sel, o);
          let yielded = 0;
          const gen = async function* () {
            for await (const e of it) {
              if (yielded++ === 2) fail();
              yield e;
            }
          };
          return Object.defineProperty(gen(), "cursor", { get: () => it.cursor });
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

Deno.test("a commit that meets 'database is locked' is retried and its checks still hold", async () => {
  const raw = await Deno.openKv(":memory:");
  const kv = resilientKv(flaky(raw, "commit", 3), { baseDelayMs: 1 });
  const r = await kv.atomic().check({ key: ["a"], versionstamp: null }).set(["a"], 1).commit();
  assert.equal(r.ok, true);
  const again = await kv.atomic().check({ key: ["a"], versionstamp: null }).set(["a"], 2).commit();
  assert.equal(again.ok, false, "the replayed check sees the first write");
  assert.equal((await raw.get(["a"])).value, 1);
  raw.close();
});

Deno.test("reads are retried, and a list resumes after the entries it already gave", async () => {
  const raw = await Deno.openKv(":memory:");
  for (let i = 0; i < 6; i++) await raw.set(["k", i], i);
  const kv = resilientKv(flaky(flaky(raw, "get", 2), "list", 1), { baseDelayMs: 1 });
  assert.equal((await kv.get(["k", 3])).value, 3);
  const seen = (await Array.fromAsync(kv.list<number>({ prefix: ["k"] }))).map((e) => e.value);
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
  raw.close();
});

Deno.test("a logical error is thrown at once, and retries are bounded", async () => {
  const raw = await Deno.openKv(":memory:");
  const kv = resilientKv(flaky(raw, "commit", 100), { baseDelayMs: 1, attempts: 3 });
  await assert.rejects(kv.atomic().set(["a"], 1).commit(), /database is locked/);
  await assert.rejects(
    resilientKv(raw).set(["big"], "x".repeat(70_000)),
    (e: Error) => !isTransientKvError(e),
  );
  assert.ok(isTransientKvError(new Error("error sending request for url")));
  assert.ok(!isTransientKvError(new TypeError("Value too large (max 65536 bytes)")));
  raw.close();
});
