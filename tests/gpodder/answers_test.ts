import assert from "node:assert/strict";
import { createAppPassword } from "../../src/auth/app_passwords.ts";
import { action, basic, expectError, FEED, type Json, NC, type Reply, withGp } from "./_client.ts";

Deno.test("every gpodder answer is uncacheable and null-free, with integer timestamps and typed devices", async () => {
  await withGp(async (gp) => {
    // Devices made every way: explicitly, by an action, by a subscription upload.
    expectOk(await gp.post("/api/2/devices/alice/phone.json", { caption: "My phone" }));
    expectOk(
      await gp.call("PUT", "/api/2/devices/alice/laptop.json", { json: { type: "laptop" } }),
    );
    expectOk(await gp.post("/api/2/devices/alice/bare.json", {}));
    expectOk(
      await gp.post("/api/2/episodes/alice.json", [
        action(1, { device: "tablet" }),
        action(2, { action: "download", guid: "g2" }),
        action(3, { action: "new", device: undefined, started: undefined }),
      ]),
    );
    expectOk(
      await gp.post("/api/2/subscriptions/alice/kasts.json", { add: [FEED, "itpc://x.org/f"] }),
    );
    const devices = expectOk(await gp.get("/api/2/devices/alice.json"));
    assert.deepEqual(devices.body.map((d: Json) => d.id).sort(), [
      "bare",
      "kasts",
      "laptop",
      "phone",
      "tablet",
    ]);
    for (const d of devices.body) {
      for (const k of ["id", "caption", "type"]) assert.equal(typeof d[k], "string", k);
      assert.ok(Number.isInteger(d.subscriptions), JSON.stringify(d));
      assert.deepEqual(Object.keys(d).sort(), ["caption", "id", "subscriptions", "type"]);
    }
    const answers = [
      await gp.get("/api/2/subscriptions/alice/phone.json?since=0"),
      await gp.get("/api/2/subscriptions/alice/phone.json"),
      await gp.get("/api/2/episodes/alice.json"),
      await gp.get("/api/2/episodes/alice.json?since=0&aggregated=1"),
      await gp.get(`/api/2/episodes/alice.json?since=0&podcast=${encodeURIComponent(FEED)}`),
      await gp.get("/api/2/episodes/alice.json?since=0&device=tablet"),
      await gp.get("/api/2/favorites/alice.json"),
      await gp.get("/api/2/sync-devices/alice.json"),
      await gp.post("/api/2/sync-devices/alice.json", { synchronize: [["phone", "tablet"]] }),
      await gp.get("/api/2/settings/alice/account.json"),
      await gp.post("/api/2/settings/alice/device.json?device=phone", { set: { x: [1] } }),
      await gp.get("/subscriptions/alice.json"),
      await gp.get("/subscriptions/alice/phone.opml"),
      await gp.get("/subscriptions/alice/phone.txt"),
      await gp.call("PUT", "/subscriptions/alice/phone.json", { json: [FEED] }),
      await gp.get("/toplist/10.json"),
      await gp.get("/search.json?q=example"),
      await gp.get("/api/2/tags/10.json"),
      await gp.get(`${NC}/subscriptions?since=0`),
      await gp.get(`${NC}/episode_action?since=0`),
      await gp.post(`${NC}/episode_action/create`, [action(4, { device: undefined })]),
      await gp.post(`${NC}/subscription_change/create`, { add: [], remove: [FEED] }),
      await gp.call("POST", "/index.php/login/v2", { auth: "none" }),
    ];
    for (const r of answers) expectOk(r);
    const episodes = answers[2].body.actions as Json[];
    assert.equal(episodes.length, 3, JSON.stringify(episodes));
    for (const a of episodes) {
      for (const k of ["started", "position", "total"]) {
        if (a.action === "play") assert.ok(Number.isInteger(a[k]), `${k}: ${JSON.stringify(a)}`);
        else assert.equal(k in a, false, `${k} on a ${a.action}: ${JSON.stringify(a)}`);
      }
    }
    // Nextcloud mode sends Basic (an app password) on every request.
    const pw = await createAppPassword(gp.t.deps, gp.userId, "AntennaPod", () => "pw1");
    const viaBasic = await gp.get(`${NC}/episode_action?since=0`, {
      auth: "none",
      headers: { Authorization: basic("alice", pw.password) },
    });
    expectOk(viaBasic);
    assert.match(viaBasic.headers.get("set-cookie") ?? "", /^sessionid=/);
    // Not found under a gpodder path is JSON and uncacheable too; so is a log-out.
    expectError(await gp.get("/api/2/nope/alice.json"), 404, "unknown path");
    expectError(await gp.get("/api/2/data/podcast.json?url=https://nowhere.example/"), 404, "dir");
    expectOk(await gp.post("/api/2/auth/alice/logout.json", undefined));
    expectError(await gp.get("/api/2/devices/alice.json"), 401, "after log-out");
  });
});

function expectOk(r: Reply): Reply {
  assert.equal(r.status, 200, r.text);
  return r;
}
