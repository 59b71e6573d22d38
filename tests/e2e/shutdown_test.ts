import assert from "node:assert/strict";
import { authorizeApp } from "../../src/auth/app_tokens.ts";
import { verifyAuthorizationJwt } from "../../src/auth/jwt.ts";
import { createUser } from "../../src/auth/users.ts";
import { systemClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import { silentLogger } from "../../src/logger.ts";
import * as keys from "../../src/store/keys.ts";
import { authorizationJwt, generateAppKeys, requestJwt } from "../_support/jwt.ts";
import { freePort, startMain, waitForHealth } from "../_support/process.ts";

Deno.test("SIGTERM during a burst of writes: every acknowledged write is on disk, seq has no gap", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/data/burst.kv`;
  await Deno.mkdir(`${dir}/data`);
  // Set up a user and an app directly in the KV file the server will open.
  const setupKv = await Deno.openKv(kvPath);
  const deps = {
    kv: setupKv,
    config: loadConfig({ KV_PATH: kvPath, BASE_URL: "http://127.0.0.1" }),
    clock: systemClock,
    logger: silentLogger,
    passwordIterations: 1_000,
  };
  const appKeys = await generateAppKeys("ES256");
  const user = await createUser(deps, { username: "burst", password: "burst password" });
  const grant = await verifyAuthorizationJwt(
    await authorizationJwt(appKeys, {
      appId: "burst-app",
      nowMs: Date.now(),
      scopes: ["user.sync"],
    }),
    { now: Date.now() },
  );
  await authorizeApp(deps, user.id, grant);
  setupKv.close();

  const port = freePort();
  const child = startMain(dir, {
    PORT: String(port),
    KV_PATH: kvPath,
    LOG_LEVEL: "warn",
    BASE_URL: "http://127.0.0.1",
  });
  const base = `http://127.0.0.1:${port}`;
  await (await waitForHealth(`${base}/health`)).body?.cancel();
  const jwt = await requestJwt(appKeys, { appId: "burst-app", sub: user.id, nowMs: Date.now() });
  const feed = encodeFeedId("https://example.org/feed.xml");
  const sends = Array.from({ length: 300 }, async (_, i) => {
    try {
      const res = await fetch(`${base}/api/v1/play`, {
        method: "POST",
        headers: { Authorization: `Bearer ${jwt}` },
        body: JSON.stringify({
          rss_source_feed: feed,
          rss_source_item: encodeItemId(`ep-${i}`, `https://cdn.example.org/${i}.mp3`),
          position: i + 1,
        }),
      });
      await res.body?.cancel();
      return res.status;
    } catch {
      return 0; // the connection was refused or cut by the shutdown
    }
  });
  // Let part of the burst in, then ask the server to stop.
  await new Promise((r) => setTimeout(r, 30));
  child.kill("SIGTERM");
  const statuses = await Promise.all(sends);
  const [status] = await Promise.all([child.status, child.stdout.cancel(), child.stderr.cancel()]);
  assert.equal(status.code, 0, "clean exit");

  const kv = await Deno.openKv(kvPath);
  try {
    const seqs: number[] = [];
    for await (const e of kv.list({ prefix: keys.eventPrefix(user.id) })) {
      seqs.push(e.key[2] as number);
    }
    const acknowledged = statuses.filter((s) => s === 200).length;
    assert.ok(acknowledged > 0, `some writes were acknowledged: ${statuses.join(",")}`);
    assert.ok(seqs.length >= acknowledged, `${seqs.length} events for ${acknowledged} 200s`);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), "no gap");
    assert.ok(statuses.every((s) => s === 200 || s === 503 || s === 0), statuses.join(","));
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
