/**
 * Kasts against the in-process app, replayed from its source (see `_kasts.ts`): Basic and
 * the session cookie on every request, `since = timestamp + 1`, `aggregated=true` on the
 * first download, timestamps without `Z`, in gpodder.net and Nextcloud modes.
 */
import assert from "node:assert/strict";
import { createAppPassword } from "../../src/auth/app_passwords.ts";
import { createUser } from "../../src/auth/users.ts";
import { buildTestApp, type TestApp } from "../_support/app.ts";
import { AntennaPodPhone, GpodnetService } from "./_antennapod.ts";
import { KASTS_BATCH, KastsApp, KastsGPodder } from "./_kasts.ts";
import { qt } from "./_readers.ts";

const PW = "correct horse battery";
const FEED_A = "https://feeds.example.org/a.xml";
const FEED_B = "https://feeds.example.org/b.xml";

function send(t: TestApp) {
  return (path: string, init: RequestInit) => t.app.request(path, init);
}

function entry(n: number) {
  return {
    podcast: FEED_B,
    url: `https://cdn.example.org/b/${n}.mp3`,
    id: `b-${n}`,
    duration: 3600,
  };
}

Deno.test("Kasts gpodder.net: Basic and the cookie on every request, since = timestamp + 1, aggregated first", async () => {
  const t = await buildTestApp();
  try {
    await createUser(t.deps, { username: "alice", password: PW });
    const now = () => t.clock.now();
    // A phone already syncs: a subscription and a position Kasts should pick up.
    const phone = new AntennaPodPhone(new GpodnetService(send(t), "alice", PW, "phone"), now);
    phone.subscribe(FEED_B);
    phone.knows({ podcast: FEED_B, url: entry(1).url, guid: "b-1", duration: 3600 });
    phone.play(entry(1).url, 0, 600);
    await phone.sync();

    t.clock.advance(60_000);
    const gpodder = new KastsGPodder(send(t), "alice", PW);
    const kasts = new KastsApp(gpodder, "kasts-laptop", now);
    await kasts.setUp("Kasts on laptop", "laptop");
    const devices = await gpodder.getDevices();
    assert.deepEqual(devices.map((d) => [d.id, d.caption, d.type]).sort(), [
      ["kasts-laptop", "Kasts on laptop", "laptop"],
      ["phone", "phone", "other"],
    ]);
    assert.deepEqual(devices.map((d) => d.subscriptions), [1, 1], "integers (toInt)");
    const status = await gpodder.getSyncStatus();
    assert.deepEqual(status.synced.map((g) => g.sort()), [["kasts-laptop", "phone"]]);

    kasts.subscribe(FEED_A);
    for (let i = 0; i < 40; i++) kasts.knows(entry(i));
    await kasts.sync();
    const first = Math.floor(t.clock.now() / 1000) - 1;
    assert.deepEqual([...kasts.feeds].sort(), [FEED_A, FEED_B]);
    assert.equal(kasts.entries.get("b-1")!.position, 600);
    assert.deepEqual(Object.fromEntries(kasts.timestamps), {
      subscriptions: first + 1,
      episodes: first + 1,
    });
    const gets = gpodder.http.log.filter((s) => s.path.startsWith("/api/2/episodes/"));
    assert.deepEqual(gets.map((s) => s.path), [
      "/api/2/episodes/alice.json?since=0&aggregated=true",
    ]);
    assert.equal(gpodder.http.log[0].cookie, false);
    for (const s of gpodder.http.log) assert.deepEqual([s.basic, s.status], [true, 200], s.path);
    for (const s of gpodder.http.log.slice(1)) assert.equal(s.cookie, true, s.path);

    // Same second as Kasts' last answer: the phone's play still reaches Kasts next time.
    phone.play(entry(1).url, 600, 700);
    await phone.sync();
    t.clock.advance(60_000);
    for (let i = 2; i < 2 + 35; i++) kasts.play(`b-${i}`, 0, 10 * i);
    const before = gpodder.http.log.length;
    await kasts.sync();
    const paths = gpodder.http.log.slice(before).map((s) => `${s.method} ${s.path}`);
    assert.ok(
      paths.includes(`GET /api/2/subscriptions/alice/kasts-laptop.json?since=${first + 1}`),
    );
    assert.ok(
      paths.includes(`GET /api/2/episodes/alice.json?since=${first + 1}&aggregated=false`),
    );
    assert.equal(kasts.entries.get("b-1")!.position, 700);
    const uploads = paths.filter((p) => p === "POST /api/2/episodes/alice.json");
    assert.equal(uploads.length, Math.ceil(35 / KASTS_BATCH));

    // The phone reads what Kasts uploaded (guid, time without Z, play fields).
    for (let i = 2; i < 2 + 35; i++) {
      phone.knows({ podcast: FEED_B, url: entry(i).url, guid: `b-${i}`, duration: 3600 });
    }
    t.clock.advance(60_000);
    await phone.sync();
    assert.equal(phone.episodes.get(entry(36).url)!.position, 360);

    // Every action time is one Kasts can read, in UTC, and play fields are integers.
    const all = await t.app.request("/api/2/episodes/alice.json?since=0", {
      headers: { Authorization: `Basic ${btoa(`alice:${PW}`)}` },
    });
    const body = await all.json();
    assert.ok(Number.isInteger(body.timestamp));
    for (const a of body.actions) {
      assert.ok(!Number.isNaN(qt.actionTime(a.timestamp)), a.timestamp);
      for (const k of ["started", "position", "total"]) {
        if (k in a) assert.ok(Number.isInteger(a[k]), `${k}: ${a[k]}`);
      }
    }
  } finally {
    await t.close();
  }
});

Deno.test("Kasts gpodder.net: its own uploads coming back (since is a second early) change nothing", async () => {
  const t = await buildTestApp();
  try {
    await createUser(t.deps, { username: "alice", password: PW });
    const now = () => t.clock.now();
    const kasts = new KastsApp(new KastsGPodder(send(t), "alice", PW), "kasts", now);
    await kasts.setUp("Kasts", "desktop");
    kasts.subscribe(FEED_A);
    const e = kasts.knows(entry(1));
    kasts.play("b-1", 0, 100);
    await kasts.sync();
    // Listening on before the next sync: the local, newer play wins over the echo.
    t.clock.advance(5_000);
    kasts.play("b-1", 100, 150);
    await kasts.sync();
    assert.equal(e.position, 150);
    t.clock.advance(60_000);
    await kasts.sync();
    assert.equal(e.position, 150);
    t.clock.advance(60_000);
    await kasts.sync();
    const quiet = await kasts.gpodder.getEpisodeActions(kasts.timestamps.get("episodes")!, false);
    assert.deepEqual(quiet.actions, [], "nothing new: nothing comes back");
    const raw = await (await t.app.request("/api/2/episodes/alice.json?since=0", {
      headers: { Authorization: `Basic ${btoa(`alice:${PW}`)}` },
    })).json();
    assert.deepEqual(raw.actions.map((a: { position: number }) => a.position), [100, 150]);
  } finally {
    await t.close();
  }
});

Deno.test("Kasts Nextcloud: an app password, /index.php/apps/gpoddersync, no device, no aggregated", async () => {
  const t = await buildTestApp();
  try {
    const user = await createUser(t.deps, { username: "alice", password: PW });
    const { password } = await createAppPassword(t.deps, user.id, "Kasts", t.deps.newId);
    const now = () => t.clock.now();
    const gpodder = new KastsGPodder(send(t), "alice", password, { nextcloud: true });
    // Sync::login in Nextcloud mode: a subscription download since 0 checks the password.
    const check = await gpodder.getSubscriptionChanges(0, "");
    assert.ok(check.timestamp > 1);
    const kasts = new KastsApp(gpodder, "", now);
    kasts.subscribe(FEED_B);
    for (let i = 0; i < 3; i++) kasts.knows(entry(i));
    kasts.play("b-0", 0, 1200);
    t.clock.advance(60_000);
    await kasts.sync();
    for (const s of gpodder.http.log) {
      assert.match(s.path, /^\/index\.php\/apps\/gpoddersync\//);
      assert.deepEqual([s.basic, s.status], [true, 200], s.path);
      assert.doesNotMatch(s.path, /aggregated/);
    }

    // A gpodder.net phone sees it (no device on the action), and its play comes back.
    const phone = new AntennaPodPhone(new GpodnetService(send(t), "alice", PW, "phone"), now);
    const ep = phone.knows({ podcast: FEED_B, url: entry(0).url, guid: "b-0", duration: 3600 });
    t.clock.advance(60_000);
    await phone.sync();
    assert.deepEqual([...phone.subscriptions], [FEED_B]);
    assert.equal(ep.position, 1200);
    const raw = await (await t.app.request("/api/2/episodes/alice.json?since=0", {
      headers: { Authorization: `Basic ${btoa(`alice:${PW}`)}` },
    })).json();
    assert.equal("device" in raw.actions[0], false, 'Kasts sent "device": ""');
    assert.equal(raw.actions[0].guid, "b-0");

    phone.play(entry(0).url, 1200, 3590);
    await phone.sync();
    t.clock.advance(60_000);
    await kasts.sync();
    assert.equal(kasts.entries.get("b-0")!.read, true, "played to the end: read in Kasts");
  } finally {
    await t.close();
  }
});
