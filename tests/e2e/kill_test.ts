/**
 * kill -9 in the middle of a burst of writes: after a restart on the same KV file, every
 * acknowledged write is there (seq without a gap) and the projections catch up.
 */
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

Deno.test("kill -9 mid-burst: after restart every acknowledged write is there and projections catch up", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/killed.kv`;
  const setup = await Deno.openKv(kvPath);
  const deps = {
    kv: setup,
    config: loadConfig({ KV_PATH: kvPath }),
    clock: systemClock,
    logger: silentLogger,
    passwordIterations: 1_000,
  };
  const appKeys = await generateAppKeys("ES256");
  const user = await createUser(deps, { username: "killed", password: "killed password" });
  const grant = await verifyAuthorizationJwt(
    await authorizationJwt(appKeys, {
      appId: "kill-app",
      nowMs: Date.now(),
      scopes: ["user.sync"],
    }),
    { now: Date.now() },
  );
  await authorizeApp(deps, user.id, grant);
  setup.close();

  const env = { KV_PATH: kvPath, LOG_LEVEL: "error", KV_QUEUES: "on" };
  const port = freePort();
  const first = startMain(dir, { ...env, PORT: String(port) });
  const base = `http://127.0.0.1:${port}`;
  await (await waitForHealth(`${base}/health`)).body?.cancel();
  const feed = encodeFeedId("http://127.0.0.1:9/feed.xml");
  const acked: string[] = [];
  const burst = Array.from({ length: 400 }, async (_, i) => {
    const item = encodeItemId(`ep-${i}`, `http://127.0.0.1:9/${i}.mp3`);
    try {
      const jwt = await requestJwt(appKeys, { appId: "kill-app", sub: user.id, nowMs: Date.now() });
      const res = await fetch(`${base}/api/v1/play`, {
        method: "POST",
        headers: { Authorization: `Bearer ${jwt}` },
        body: JSON.stringify({ rss_source_feed: feed, rss_source_item: item, position: i + 1 }),
      });
      await res.body?.cancel();
      if (res.status === 200) acked.push(item);
    } catch {
      // cut by the kill
    }
  });
  // Let part of the burst land, then kill the process without any chance to clean up.
  const waitUntil = Date.now() + 15_000;
  while (acked.length < 20 && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 5));
  first.kill("SIGKILL");
  await Promise.all(burst);
  await first.status;
  await first.stdout.cancel();
  await first.stderr.cancel();
  assert.ok(acked.length > 0, "some writes were acknowledged before the kill");

  const port2 = freePort();
  const second = startMain(dir, { ...env, PORT: String(port2) });
  try {
    await (await waitForHealth(`http://127.0.0.1:${port2}/health`)).body?.cancel();
    // Every acknowledged write is readable through the restarted server.
    const jwt = await requestJwt(appKeys, { appId: "kill-app", sub: user.id, nowMs: Date.now() });
    const res = await fetch(`http://127.0.0.1:${port2}/api/v1/play?limit=500`, {
      headers: { Authorization: `Bearer ${jwt}` },
    });
    const items = new Set(
      ((await res.json()).play_statuses as { rss_source_item: string }[]).map((p) =>
        p.rss_source_item
      ),
    );
    for (const item of acked) assert.ok(items.has(item), "an acknowledged write was lost");
    // The restarted process catches up with the outbox the killed one left.
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      const kv = await Deno.openKv(kvPath);
      const left = (await Array.fromAsync(kv.list({ prefix: keys.outboxPrefix() }))).length;
      const seqs = await Array.fromAsync(kv.list({ prefix: keys.eventPrefix(user.id) }));
      kv.close();
      if (left === 0) {
        const n = seqs.map((e) => e.key[2] as number);
        assert.deepEqual(n, Array.from({ length: n.length }, (_, i) => i + 1), "no gap");
        assert.ok(n.length >= acked.length);
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail("the projections did not catch up");
  } finally {
    second.kill("SIGTERM");
    await second.status;
    await second.stdout.cancel();
    await second.stderr.cancel();
    await Deno.remove(dir, { recursive: true });
  }
});
