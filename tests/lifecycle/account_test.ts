/**
 * Deleting an account (SPEC §4.7, §7.3): every way in stops at once; afterwards nothing in
 * the whole KV names the user (id, username, token or session hashes), other users are
 * untouched, and the username is free. A deletion stopped midway is finished by the erase
 * sweep.
 */
import assert from "node:assert/strict";
import { eraseAccount, requestAccountDeletion } from "../../src/lifecycle/erase.ts";
import type { ErasureMarker } from "../../src/store/event_store.ts";
import { secretHash } from "../../src/store/hash.ts";
import * as keys from "../../src/store/keys.ts";
import { Browser } from "../_support/auth_app.ts";
import { feedId, feedUrl, itemId, type Json } from "../api/_api.ts";
import { feedLists } from "../feeds/_app.ts";
import { pub, settle } from "../public/_public.ts";
import { buildSite, crashingKv, kvText, type Site } from "./_lifecycle.ts";

const PASSWORD = "correct horse battery";

/** What Alice leaves behind, and the secrets to look for. */
interface Footprint {
  token: string;
  needles: string[];
  session: Browser;
}

/**
 * Alice (scope `*`) and Bob, both public, with subscriptions, plays, saves, a public
 * playlist, privacy settings, a user token used by the gateway (a pending play), a web
 * session, and popularity rolled with their names in it.
 */
async function footprint(site: Site): Promise<Footprint> {
  const { t, users: [alice, bob] } = site;
  for (const api of [alice, bob]) {
    await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    const play = { rss_source_feed: feedId(1), rss_source_item: itemId(1, 1), position: 30 };
    assert.equal((await api.post("/play", play)).status, 200);
    await api.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    t.clock.advance(60_000);
  }
  await alice.put("/privacy", { privacy: "anonymous", feed: feedId(2) });
  await alice.post("/subscriptions", { rss_source_feed: feedId(2) });
  await alice.post("/play", {
    rss_source_feed: feedId(2),
    rss_source_item: itemId(2, 1),
    position: 1,
  });
  const pl = await alice.post("/playlists", { name: "Alice's picks", is_public: true });
  await alice.post(`/playlists/${pl.body.id}/items`, {
    rss_source_feed: feedId(3),
    rss_source_item: itemId(3, 1),
  });
  const token = (await alice.post("/tokens", { name: "reader" })).body.token as string;
  assert.equal((await bob.post("/tokens", { name: "bob's reader" })).status, 201);
  // The gateway: a play waiting to become an event (the processor has not run). The feed
  // lists the episode (the gateway redirects only to audio a feed lists).
  await feedLists(t, feedUrl(3), [{
    guid: "guid-3-1",
    enclosure: "https://cdn.example.org/3/1.mp3",
  }]);
  const hit = await t.app.request(`/play/${token}/${feedId(3)}/${itemId(3, 1)}`);
  assert.equal(hit.status, 302);
  await settle(t);
  const trending = await pub(t, "/trending/podcasts");
  assert.ok(JSON.stringify(trending.body).includes("alice"), "alice is in plays_people");
  const session = new Browser(t.app);
  assert.equal((await session.logIn("alice", PASSWORD)).status, 303);
  const cookie = session.cookie("bs_session")!;
  return {
    token,
    session,
    needles: [alice.userId, "alice", await secretHash(token), await secretHash(cookie)],
  };
}

/** Every key under Bob's own prefixes with its value. */
async function bobsData(site: Site): Promise<Json> {
  const rows = [];
  for (const prefix of keys.userDataPrefixes(site.users[1].userId)) {
    for await (const e of site.t.kv.list({ prefix })) rows.push([e.key, e.value]);
  }
  return rows;
}

/** No key or value in the whole KV names Alice. */
async function noTrace(site: Site, needles: string[]): Promise<void> {
  const hits = (await kvText(site.t.kv)).filter((r) => needles.some((n) => r.text.includes(n)));
  assert.deepEqual(hits.map((h) => h.text.slice(0, 300)), []);
}

/** Alice is gone for good; Bob is as he was and can still do everything. */
async function afterwards(site: Site, f: Footprint, bob: Json): Promise<void> {
  await noTrace(site, f.needles);
  assert.deepEqual(await bobsData(site), bob);
  const b = site.users[1];
  assert.equal((await b.get("/me")).status, 200);
  assert.equal((await new Browser(site.t.app).logIn("bob", PASSWORD)).status, 303);
  // Alice cannot log in; her name is free for someone new.
  assert.notEqual((await new Browser(site.t.app).logIn("alice", PASSWORD)).status, 303);
  assert.equal(
    (await new Browser(site.t.app).register("alice", "another good password")).status,
    303,
  );
}

/** Every way Alice had in is refused. */
async function refused(site: Site, f: Footprint): Promise<void> {
  const { t, users: [alice] } = site;
  assert.equal((await alice.get("/me")).status, 401, "request JWT");
  assert.equal((await alice.get("/subscriptions")).status, 401);
  assert.equal((await t.app.request(`/rss/${f.token}/subscriptions`)).status, 404, "RSS token");
  const gw = await t.app.request(`/play/${f.token}/${feedId(3)}/${itemId(3, 1)}`);
  assert.equal(gw.status, 404, "gateway token");
  const page = await f.session.get("/apps");
  assert.equal(page.status, 303, "web session");
  assert.match(page.headers.get("Location") ?? "", /log_in/);
}

Deno.test("DELETE /account: every way in stops, nothing in the KV names the user, others stay", async () => {
  const site = await buildSite(["alice", "bob"], { scopes: ["*"] });
  try {
    const f = await footprint(site);
    const before = await bobsData(site);
    // Before: every way in works.
    assert.equal((await site.t.app.request(`/rss/${f.token}/subscriptions`)).status, 200);
    assert.equal((await f.session.get("/apps")).status, 200);
    const r = await site.users[0].delete("/account");
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { status: "deleted", username: "alice" });
    await refused(site, f);
    // The gateway play that was pending never becomes an event; nothing is left to do.
    await site.t.deps.gateway.drainAll();
    assert.deepEqual(await site.t.deps.eraser.drainAll(), { histories: 0, accounts: 0, failed: 0 });
    await afterwards(site, f, before);
  } finally {
    await site.t.close();
  }
});

Deno.test("account deletion: once requested, nothing authenticates, before the erasure runs", async () => {
  const site = await buildSite(["alice", "bob"], { scopes: ["*"] });
  try {
    const f = await footprint(site);
    const before = await bobsData(site);
    const marker = await requestAccountDeletion(site.t.deps, site.users[0].userId);
    assert.deepEqual(marker?.username, "alice");
    await refused(site, f);
    assert.equal(await requestAccountDeletion(site.t.deps, site.users[0].userId), null);
    assert.deepEqual(await site.t.deps.eraser.drainAll(), { histories: 0, accounts: 1, failed: 0 });
    await afterwards(site, f, before);
  } finally {
    await site.t.close();
  }
});

Deno.test("account deletion: stopped at any write, or in the projector, the erase sweep finishes it", async () => {
  // Write numbers to stop at (every step is covered by some; all of them is slow), then a
  // run whose KV never fails but whose projector does.
  let crashes = 0;
  for (const writes of [0, 1, 2, 3, 5, 8, 12, 17, 23, 30, 38, 47, 57, 68, 80, 100, Infinity]) {
    let armed = false;
    const site = await buildSite(["alice", "bob"], {
      scopes: ["*"],
      runnerOptions: {
        beforeCommit: () => {
          if (armed) throw new Error("simulated crash in the projector");
        },
      },
    });
    try {
      const f = await footprint(site);
      const before = await bobsData(site);
      const alice = site.users[0].userId;
      const marker = (await requestAccountDeletion(site.t.deps, alice))!;
      // `Infinity`: the KV never fails, the projector's first commit does.
      armed = writes === Infinity;
      const deps = { ...site.t.deps, kv: crashingKv(site.t.kv, writes) };
      const crashed = await eraseAccount(deps, alice, marker).then(() => false, () => true);
      armed = false;
      if (!crashed) continue;
      crashes++;
      await refused(site, f);
      // The marker stays until the very end (a crash after it leaves nothing to do).
      const left = await Array.fromAsync(
        site.t.kv.list<ErasureMarker>({ prefix: keys.erasePrefix(alice) }),
      );
      assert.deepEqual(await site.t.deps.eraser.drainAll(), {
        histories: 0,
        accounts: left.length,
        failed: 0,
      });
      await afterwards(site, f, before);
    } finally {
      await site.t.close();
    }
  }
  assert.ok(crashes >= 10, `${crashes} runs were stopped`);
});
