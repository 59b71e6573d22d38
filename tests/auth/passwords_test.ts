import assert from "node:assert/strict";
import {
  DEFAULT_PASSWORD_ITERATIONS,
  hashPassword,
  needsRehash,
  setPasswordHashLimits,
  verifyPassword,
} from "../../src/auth/passwords.ts";
import { Overloaded } from "../../src/overload.ts";

Deno.test("hashPassword() by default uses PBKDF2-SHA256 with at least 600,000 iterations", async () => {
  assert.ok(DEFAULT_PASSWORD_ITERATIONS >= 600_000);
  const stored = await hashPassword("correct horse battery");
  const [scheme, iterations] = stored.split("$");
  assert.equal(scheme, "pbkdf2-sha256");
  assert.ok(Number(iterations) >= 600_000);
  assert.equal(await verifyPassword("correct horse battery", stored), true);
});

Deno.test("verifyPassword() accepts the right password and refuses a wrong one", async () => {
  const stored = await hashPassword("s3cret-pass", { iterations: 1_000 });
  assert.equal(await verifyPassword("s3cret-pass", stored), true);
  assert.equal(await verifyPassword("s3cret-Pass", stored), false);
  assert.equal(await verifyPassword("", stored), false);
});

Deno.test("hashPassword() salts: the same password hashes differently twice", async () => {
  const a = await hashPassword("same password", { iterations: 1_000 });
  const b = await hashPassword("same password", { iterations: 1_000 });
  assert.notEqual(a, b);
  assert.doesNotMatch(a, /same password/);
});

Deno.test("verifyPassword() refuses malformed or tampered stored strings without throwing", async () => {
  const stored = await hashPassword("pw123456", { iterations: 1_000 });
  for (
    const bad of [
      "",
      "plain",
      stored.replace("pbkdf2-sha256", "md5"),
      stored.replace("$1000$", "$999999999$"),
      stored.replace("$1000$", "$0$"),
      "pbkdf2-sha256$1000$!!!$???",
    ]
  ) {
    assert.equal(await verifyPassword("pw123456", bad), false, bad);
  }
});

Deno.test("needsRehash() flags hashes made with fewer iterations than wanted", async () => {
  const weak = await hashPassword("pw123456", { iterations: 1_000 });
  assert.equal(needsRehash(weak, { iterations: 2_000 }), true);
  assert.equal(needsRehash(weak, { iterations: 1_000 }), false);
  assert.equal(needsRehash(weak), true);
});

Deno.test("password hashing runs in a bounded pool: past its queue, callers are told to come back", async () => {
  setPasswordHashLimits({ concurrency: 1, queue: 1 });
  try {
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => hashPassword("correct horse", { iterations: 200_000 })),
    );
    const refused = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 2, "one runs, one waits");
    assert.equal(refused.length, 2);
    assert.ok(
      refused.every((r) => r.reason instanceof Overloaded && r.reason.retryAfterSeconds > 0),
    );
    // The pool drained: the next call is served.
    assert.match(await hashPassword("correct horse", { iterations: 1_000 }), /^pbkdf2-sha256\$/);
  } finally {
    setPasswordHashLimits({ concurrency: 2, queue: 16 });
  }
});
