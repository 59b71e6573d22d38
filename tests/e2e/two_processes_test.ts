/**
 * Two servers on one KV file (a deployment the README offers), plus an operator job beside
 * them: concurrent writes for the same users through both answer no 5xx, lose nothing, and
 * both servers converge on the same answers.
 */
import assert from "node:assert/strict";
import { authorizeApp } from "../../src/auth/app_tokens.ts";
import { verifyAuthorizationJwt } from "../../src/auth/jwt.ts";
import { createUser } from "../../src/auth/users.ts";
import { systemClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import { silentLogger } from "../../src/logger.ts";
import { authorizationJwt, generateAppKeys, requestJwt } from "../_support/jwt.ts";
import { freePort, startMain, waitForHealth } from "../_support/process.ts";

const USERS = 6;
const WRITES = 30;

Deno.test("two processes on one KV file: no 5xx, no lost write, both converge", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/shared.kv`;
  const keys = await generateAppKeys("ES256");
  const users: string[] = [];
  {
    const kv = await Deno.openKv(kvPath);
    const deps = {
      kv,
      config: loadConfig({ KV_PATH: kvPath }),
      clock: systemClock,
      logger: silentLogger,
      passwordIterations: 1000,
    };
    for (let u = 0; u < USERS; u++) {
      const user = await createUser(deps, { username: `user${u}`, password: "correct horse" });
      const token = await authorizationJwt(keys, {
        appId: "e2e-app",
        nowMs: Date.now(),
        scopes: ["user.sync"],
      });
      await authorizeApp(deps, user.id, await verifyAuthorizationJwt(token, { now: Date.now() }));
      users.push(user.id);
    }
    kv.close();
  }
  const ports = [freePort(), freePort()];
  // Loopback-only feed URLs: the metadata refresh must never resolve an outside name.
  const feed = encodeFeedId("http://127.0.0.1:9/feed.xml");
  const servers = ports.map((port) =>
    startMain(dir, { PORT: String(port), KV_PATH: kvPath, LOG_LEVEL: "error" })
  );
  try {
    for (const p of ports) {
      await (await waitForHealth(`http://127.0.0.1:${p}/health`)).body?.cancel();
    }
    const statuses: number[] = [];
    const acked = new Map<string, number>();
    const job = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname, "job", "project"],
      env: { KV_PATH: kvPath, LOG_LEVEL: "error" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    await Promise.all(users.map(async (userId, u) => {
      for (let w = 0; w < WRITES; w++) {
        const port = ports[(u + w) % 2];
        const item = encodeItemId(`ep-${w}`, `http://127.0.0.1:9/${w}.mp3`);
        const jwt = await requestJwt(keys, { appId: "e2e-app", sub: userId, nowMs: Date.now() });
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/play`, {
          method: "POST",
          headers: { Authorization: `Bearer ${jwt}`, "Content-Type": "application/json" },
          body: JSON.stringify({ rss_source_feed: feed, rss_source_item: item, position: w + 1 }),
        });
        await res.body?.cancel();
        statuses.push(res.status);
        if (res.ok) acked.set(`${userId}/${item}`, w + 1);
      }
    }));
    const jobOut = await job;
    assert.equal(jobOut.code, 0, new TextDecoder().decode(jobOut.stderr));
    assert.deepEqual(statuses.filter((s) => s >= 500), [], "no 5xx");
    assert.equal(
      acked.size,
      USERS * WRITES,
      `acknowledged ${acked.size}: ${[...new Set(statuses)]}`,
    );
    for (const userId of users) {
      const answers = await Promise.all(ports.map(async (port) => {
        const jwt = await requestJwt(keys, { appId: "e2e-app", sub: userId, nowMs: Date.now() });
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/play?limit=500`, {
          headers: { Authorization: `Bearer ${jwt}` },
        });
        const body = await res.json();
        return new Map(
          (body.play_statuses as { rss_source_item: string; position: number }[])
            .map((p) => [p.rss_source_item, p.position]),
        );
      }));
      assert.deepEqual(answers[0], answers[1], "both servers answer the same");
      for (const [key, position] of acked) {
        const [who, item] = key.split("/");
        if (who === userId) assert.equal(answers[0].get(item), position, "every write is there");
      }
    }
  } finally {
    for (const s of servers) s.kill("SIGTERM");
    for (const s of servers) {
      await s.status;
      await s.stdout.cancel();
      await s.stderr.cancel();
    }
    await Deno.remove(dir, { recursive: true });
  }
});
