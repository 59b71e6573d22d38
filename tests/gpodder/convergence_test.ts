/**
 * One listener, every way in: an AntennaPod phone in gpodder.net mode, another in Nextcloud
 * mode (set up by Login Flow v2), an offline tablet, the REST API and the web pages. What
 * one writes, the others read: subscriptions and positions converge everywhere, and an
 * offline device's late upload reaches the others through `since` (server receive time).
 */
import assert from "node:assert/strict";
import { type ApiClient, feedId, feedUrl, withApi } from "../api/_api.ts";
import type { AuthTestApp } from "../_support/auth_app.ts";
import { encodeItemId } from "../../src/domain/ids.ts";
import { AntennaPodPhone, GpodnetService, NextcloudSyncService } from "./_antennapod.ts";
import { nextcloudLogin } from "./_login_flow.ts";
import { mygpoAction } from "./_readers.ts";

const PW = "correct horse battery";
const A = feedUrl("a");
const B = feedUrl("b");
const C = feedUrl("c");

/** Episode `n` of feed B as the phones know it, and its REST item id. */
function ep(n: number) {
  const url = `https://cdn.example.org/b/${n}.mp3`;
  return { podcast: B, url, guid: `b-${n}`, duration: 3600, item: encodeItemId(`b-${n}`, url) };
}

function send(t: AuthTestApp) {
  return (path: string, init: RequestInit) => t.app.request(path, init);
}

/** A phone that has refreshed feed B (knows episodes 1 to 5). */
function withEpisodes(phone: AntennaPodPhone): AntennaPodPhone {
  for (let n = 1; n <= 5; n++) phone.knows(ep(n));
  return phone;
}

/** The REST API's play statuses of feed B, by episode number. */
async function restPositions(api: ApiClient): Promise<Record<number, [number, boolean]>> {
  const r = await api.get(`/play?feed=${feedId("b")}`);
  assert.equal(r.status, 200, r.text);
  const out: Record<number, [number, boolean]> = {};
  for (const p of r.body.play_statuses) {
    out[Number(/b-(\d+)/.exec(p.guid)![1])] = [p.position, p.played];
  }
  return out;
}

async function restFeeds(api: ApiClient): Promise<string[]> {
  const r = await api.get("/subscriptions");
  return r.body.subscriptions.map((s: { feed_url: string }) => s.feed_url).sort();
}

Deno.test("convergence: gpodder.net phone, Nextcloud phone, offline tablet, REST API and web agree", async () => {
  await withApi({}, async ({ t, api }) => {
    const now = () => t.clock.now();
    const pixel = withEpisodes(
      new AntennaPodPhone(new GpodnetService(send(t), "alice", PW, "pixel"), now),
    );
    const tablet = withEpisodes(
      new AntennaPodPhone(new GpodnetService(send(t), "alice", PW, "tablet"), now),
    );
    await tablet.sync(); // set up, then it goes offline

    // The pixel subscribes and listens; the REST API subscribes, plays and unsubscribes.
    t.clock.advance(60_000);
    pixel.subscribe(A);
    pixel.subscribe(B);
    pixel.play(ep(1).url, 0, 300);
    await pixel.sync();
    t.clock.advance(60_000);
    assert.equal((await api.post("/subscriptions", { rss_source_feed: feedId("c") })).status, 201);
    const play = await api.post("/play", {
      rss_source_feed: feedId("b"),
      rss_source_item: ep(2).item,
      position: 500,
      duration: 3600,
    });
    assert.equal(play.status, 200, play.text);
    assert.equal((await api.delete(`/subscriptions/${feedId("a")}`)).status, 200);

    // The Nextcloud phone is set up through Login Flow v2 and syncs everything down.
    t.clock.advance(60_000);
    const creds = await nextcloudLogin(t, { username: "alice", password: PW });
    const fairphone = withEpisodes(
      new AntennaPodPhone(
        new NextcloudSyncService(send(t), creds.loginName, creds.appPassword, now),
        now,
      ),
    );
    await fairphone.sync();
    assert.deepEqual([...fairphone.subscriptions].sort(), [B, C]);
    assert.equal(fairphone.episodes.get(ep(1).url)!.position, 300, "the pixel's play");
    assert.equal(fairphone.episodes.get(ep(2).url)!.position, 500, "the REST play");
    fairphone.play(ep(3).url, 0, 1200);
    fairphone.play(ep(1).url, 300, 3595); // to the end
    t.clock.advance(60_000);
    await fairphone.sync();

    // REST sees the phones' plays and subscriptions.
    t.clock.advance(60_000);
    assert.deepEqual(await restFeeds(api), [B, C]);
    assert.deepEqual(await restPositions(api), {
      1: [3595, true],
      2: [500, false],
      3: [1200, false],
    });

    // The pixel catches up.
    await pixel.sync();
    assert.deepEqual([...pixel.subscriptions].sort(), [B, C]);
    assert.equal(pixel.episodes.get(ep(1).url)!.played, true);
    assert.equal(pixel.episodes.get(ep(2).url)!.position, 500);
    assert.equal(pixel.episodes.get(ep(3).url)!.position, 1200);

    // The tablet, offline since the start, listened to episode 4 back then; its late upload
    // (old timestamps) reaches the others, whose since is already past that time.
    tablet.queuedActions.push({
      podcast: B,
      episode: ep(4).url,
      guid: ep(4).guid,
      action: "PLAY",
      timestamp: Date.parse("2026-01-15T10:00:30Z"),
      started: 0,
      position: 777,
      total: 3600,
    });
    t.clock.advance(60_000);
    await tablet.sync();
    assert.deepEqual([...tablet.subscriptions].sort(), [B, C]);
    assert.equal(tablet.episodes.get(ep(3).url)!.position, 1200);
    t.clock.advance(60_000);
    await pixel.sync();
    await fairphone.sync();
    for (const phone of [pixel, fairphone]) {
      assert.equal(phone.episodes.get(ep(4).url)!.position, 777, "the late upload arrived");
    }
    const rest = await api.get(`/play?feed=${feedId("b")}`);
    const late = rest.body.play_statuses.find((p: { guid: string }) => p.guid === "b-4");
    assert.deepEqual([late.position, Date.parse(late.updated_at)], [
      777,
      Date.parse("2026-01-15T10:00:30Z"),
    ]);

    // What REST saved is a gpodder favorite; every action reads in mygpoclient.
    await api.post(`/episodes/${ep(3).item}/save?feed=${feedId("b")}`);
    const basic = { Authorization: `Basic ${btoa(`alice:${creds.appPassword}`)}` };
    const favorites = await (await t.app.request("/api/2/favorites/alice.json", { headers: basic }))
      .json();
    assert.deepEqual(favorites.map((f: { url: string }) => f.url), [ep(3).url]);
    for (
      const k of ["title", "url", "podcast_title", "podcast_url", "description", "website"]
    ) assert.equal(typeof favorites[0][k], "string", k);
    const all =
      await (await t.app.request("/api/2/episodes/alice.json?since=0", { headers: basic }))
        .json();
    all.actions.forEach(mygpoAction);

    // The web pages: both gpodder devices, and the Login Flow's app password.
    const devices = await (await creds.browser.get("/devices")).text();
    for (const d of ["pixel", "tablet"]) assert.match(devices, new RegExp(`<code>${d}</code>`));
    const passwords = await (await creds.browser.get("/app-passwords")).text();
    assert.match(passwords, /AntennaPod\/3\.7\.0/);
  });
});
