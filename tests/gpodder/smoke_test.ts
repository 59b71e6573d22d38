import assert from "node:assert/strict";
import { createUser } from "../../src/auth/users.ts";
import { buildTestApp } from "../_support/app.ts";

const basic = (u: string, p: string) => `Basic ${btoa(`${u}:${p}`)}`;

Deno.test("gpodder smoke: log in, upload subscriptions and actions, download them", async () => {
  const t = await buildTestApp();
  try {
    await createUser(t.deps, { username: "alice", password: "correct horse" });
    const login = await t.app.request("/api/2/auth/alice/login.json", {
      method: "POST",
      headers: { Authorization: basic("alice", "correct horse") },
    });
    assert.equal(login.status, 200, await login.text());
    const cookie = login.headers.get("set-cookie")!.split(";")[0];
    assert.match(cookie, /^sessionid=/);
    const h = { Cookie: cookie };
    const up = await t.app.request("/api/2/subscriptions/alice/phone.json", {
      method: "POST",
      headers: h,
      body: JSON.stringify({
        add: ["feed://Example.org/a.xml", "https://example.org/b.xml"],
        remove: [],
      }),
    });
    const upBody = await up.json();
    assert.equal(up.status, 200, JSON.stringify(upBody));
    assert.deepEqual(upBody.update_urls, [[
      "feed://Example.org/a.xml",
      "http://example.org/a.xml",
    ]]);
    t.clock.advance(5000);
    const down =
      await (await t.app.request("/api/2/subscriptions/alice/phone.json?since=0", { headers: h }))
        .json();
    assert.deepEqual(down.add.sort(), ["http://example.org/a.xml", "https://example.org/b.xml"]);
    const acts = await t.app.request("/api/2/episodes/alice.json", {
      method: "POST",
      headers: h,
      body: JSON.stringify([
        {
          podcast: "https://example.org/b.xml",
          episode: "https://cdn.example.org/1.mp3",
          action: "play",
          started: 0,
          position: 120,
          total: 3600,
          timestamp: "2026-01-15T09:00:00",
          device: "phone",
        },
        {
          podcast: "https://example.org/b.xml",
          episode: "https://cdn.example.org/2.mp3",
          guid: "g2",
          action: "download",
          timestamp: "2026-01-15T09:01:00Z",
        },
      ]),
    });
    assert.equal(acts.status, 200, await acts.text());
    const got = await (await t.app.request("/api/2/episodes/alice.json?since=0", { headers: h }))
      .json();
    assert.equal(got.actions.length, 2, JSON.stringify(got));
    const play = got.actions.find((a: { action: string }) => a.action === "play");
    assert.deepEqual(play, {
      podcast: "https://example.org/b.xml",
      episode: "https://cdn.example.org/1.mp3",
      action: "play",
      timestamp: "2026-01-15T09:00:00",
      device: "phone",
      started: 0,
      position: 120,
      total: 3600,
    });
    const devices = await (await t.app.request("/api/2/devices/alice.json", { headers: h })).json();
    assert.deepEqual(devices.map((d: { id: string }) => d.id).sort(), ["phone"]);
    assert.equal(devices[0].subscriptions, 2);
    const noAuth = await t.app.request("/api/2/devices/alice.json");
    assert.equal(noAuth.status, 401);
    assert.equal(noAuth.headers.get("www-authenticate"), 'Basic realm="Balados Sync"');
    const other = await t.app.request("/api/2/devices/bob.json", { headers: h });
    assert.equal(other.status, 400);
  } finally {
    await t.close();
  }
});
