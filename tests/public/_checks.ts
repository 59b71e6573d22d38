/**
 * The property test's checks: every public answer against the reference model, page by
 * page and filter by filter, and a search for hidden users in answers and in the public
 * projection's shared keys.
 */
import assert from "node:assert/strict";
import { publicActivityProjection } from "../../src/projections/public_activity.ts";
import { secretHash, shortHash } from "../../src/store/hash.ts";
import type { AuthTestApp } from "../_support/auth_app.ts";
import { feedId, feedUrl, itemId, type Json } from "../api/_api.ts";
import {
  Answers,
  type Catalog,
  kvJson,
  matchRecord,
  matchTimeline,
  matchTrending,
} from "./_compare.ts";
import { type PublicModel, recordShows } from "./_model.ts";

/** The test feeds (`feedId(n)`) and their episodes (`itemId(n, e)`). */
export const FEEDS = [1, 2, 3];
export const EPISODES = [1, 2, 3];

/** What the checks read: the app, the model, and the scenario's paging choices. */
export interface Checked {
  readonly t: AuthTestApp;
  readonly model: PublicModel;
  readonly s: {
    readonly pageSize: number;
    readonly offsets: readonly number[];
    readonly filter: { readonly kind: string; readonly f: number };
  };
}

const KIND_NAMES = {
  subscribe: ["subscribe", "subscribed"],
  play: ["play", "played", "PLAY"],
  save: ["save", "saved", "like", "liked"],
  share: ["share", "shared"],
} as const;

const catalog: Catalog = {
  feedUrl: (feed) => feedUrl(FEEDS.find((f) => feedId(f) === feed) ?? 9),
  episode(item) {
    for (const f of FEEDS) {
      for (const e of EPISODES) {
        if (itemId(f, e) === item) {
          return { guid: `guid-${f}-${e}`, enclosure_url: `https://cdn.example.org/${f}/${e}.mp3` };
        }
      }
    }
    throw new Error("not a test episode");
  },
};

/** Follows `next_cursor` from `path` (which has its query started). */
async function walk(x: Checked, got: Answers, path: string, strictPages: boolean): Promise<Json[]> {
  const all: Json[] = [];
  let cursor: string | null = null;
  for (let pages = 0;; pages++) {
    assert.ok(pages < 200, `${path}: too many pages`);
    const sep = path.includes("?") ? "&" : "?";
    const q: string = `${path}${sep}limit=${x.s.pageSize}${cursor ? `&cursor=${cursor}` : ""}`;
    const page: Json = await got.get(x.t, q);
    assert.ok(page.events.length <= x.s.pageSize, `${q}: page size`);
    if (page.next_cursor !== null) {
      assert.equal(page.events.length, x.s.pageSize, `${q}: a page with a next one is full`);
    } else if (strictPages && pages > 0) {
      assert.ok(page.events.length > 0, `${q}: a cursor never leads to an empty page`);
    }
    all.push(...page.events);
    cursor = page.next_cursor;
    if (cursor === null) return all;
  }
}

async function checkTimeline(x: Checked, got: Answers): Promise<Json[]> {
  const expected = x.model.timeline();
  const all = await walk(x, got, "/timeline", true);
  matchTimeline(all, expected, catalog, "timeline pages");
  assert.deepEqual((await got.get(x.t, "/timeline?limit=200")).events, all, "one page = all pages");
  for (const [kind, names] of Object.entries(KIND_NAMES)) {
    const name = names[all.length % names.length];
    const page = await got.get(x.t, `/timeline?limit=200&event_type=${name}`);
    assert.deepEqual(page.events, all.filter((e) => e.type === kind), `event_type=${name}`);
  }
  for (const f of [...FEEDS, 9]) {
    const page = await got.get(x.t, `/timeline?limit=200&feed=${feedId(f)}`);
    assert.deepEqual(page.events, all.filter((e) => e.rss_source_feed === feedId(f)), `feed ${f}`);
  }
  const { kind, f } = x.s.filter;
  const both = await walk(x, got, `/timeline?event_type=${kind}&feed=${feedId(f)}`, false);
  const bothWant = all.filter((e) => e.type === kind && e.rss_source_feed === feedId(f));
  assert.deepEqual(both, bothWant, "feed and event_type pages");
  const byKind = await walk(x, got, `/timeline?event_type=${kind}`, true);
  assert.deepEqual(byKind, all.filter((e) => e.type === kind), "event_type pages");
  const size = x.s.pageSize;
  const first = await got.get(x.t, `/timeline?limit=${size}`);
  for (const offset of x.s.offsets) {
    const page = await got.get(x.t, `/timeline?limit=${size}&offset=${offset}`);
    assert.deepEqual(page.events, all.slice(offset, offset + size), `offset ${offset}`);
    assert.equal(page.next_cursor !== null, all.length > offset + size, `offset ${offset} cursor`);
    if (first.next_cursor === null) continue;
    const after = await got.get(
      x.t,
      `/timeline?limit=${size}&offset=${offset}&cursor=${first.next_cursor}`,
    );
    assert.deepEqual(after.events, all.slice(size + offset, size + offset + size), "cursor+offset");
  }
  return all;
}

async function checkPopularity(x: Checked, got: Answers): Promise<void> {
  const records = x.model.records(x.t.clock.now());
  const feeds = [...records.values()].filter((r) => r.item === undefined);
  const items = [...records.values()].filter((r) => r.item !== undefined);
  const trending = await got.get(x.t, "/trending/podcasts?limit=100");
  matchTrending(trending.podcasts, feeds, catalog, "trending podcasts");
  const top = await got.get(x.t, `/trending/podcasts?limit=${x.s.pageSize}`);
  assert.deepEqual(top.podcasts, trending.podcasts.slice(0, x.s.pageSize), "limit");
  const episodes = await got.get(x.t, "/trending/episodes?limit=100");
  matchTrending(episodes.episodes, items, catalog, "trending episodes");
  for (const f of FEEDS) {
    const fid = feedId(f);
    const zero = { feed: fid, ...emptyCounts() };
    matchRecord(
      await got.get(x.t, `/feed/${fid}/popularity`),
      records.get(`f|${fid}`) ?? zero,
      catalog,
      `feed ${f}`,
    );
    const ofFeed = await got.get(x.t, `/trending/episodes?limit=100&feed=${fid}`);
    assert.deepEqual(
      ofFeed.episodes,
      episodes.episodes.filter((e: Json) => e.rss_source_feed === fid),
      `episodes of ${f}`,
    );
    for (const e of EPISODES) {
      const item = itemId(f, e);
      const r = records.get(`i|${item}`) ?? { feed: fid, item, ...emptyCounts() };
      const bare = await got.get(x.t, `/episode/${item}/popularity`);
      matchRecord(bare, r, catalog, `episode ${f}/${e}`);
      assert.equal(bare.rss_source_feed !== null, recordShows(r), `episode ${f}/${e} feed`);
      // `?feed=` only names the feed of an episode nobody counted.
      const withFeed = await got.get(x.t, `/episode/${item}/popularity?feed=${fid}`);
      const named = { ...bare, rss_source_feed: fid, feed_url: catalog.feedUrl(fid) };
      assert.deepEqual(withFeed, recordShows(r) ? bare : named, `episode ${f}/${e} ?feed`);
    }
  }
  const unknown = await got.get(x.t, `/feed/${feedId(9)}/popularity`);
  matchRecord(unknown, { feed: feedId(9), ...emptyCounts() }, catalog, "unknown feed");
}

function emptyCounts() {
  return {
    score: 0,
    score_previous: 0,
    plays: 0,
    plays_previous: 0,
    likes: 0,
    likes_previous: 0,
    subscriptions: 0,
    shares: 0,
    plays_people: [] as string[],
  };
}

async function checkProfiles(x: Checked, got: Answers, all: Json[]): Promise<void> {
  const visible = x.model.visibleUsers();
  for (const [u, mu] of x.model.users.entries()) {
    if (!visible.has(u)) {
      const r = await got.get(x.t, `/users/${mu.username}`, 404);
      assert.equal(r.error.code, "not_found");
      continue;
    }
    const name = u % 2 === 0 ? mu.username : mu.username.toUpperCase();
    const p = await got.get(x.t, `/users/${name}`);
    assert.equal(p.username, mu.username);
    assert.ok(Number.isFinite(Date.parse(p.since)));
    assert.deepEqual(p.playlists, []);
    assert.deepEqual(p.recent, all.filter((e) => e.user === mu.username).slice(0, 20), mu.username);
  }
  await got.get(x.t, "/users/nobody.here", 404);
}

/** Nobody with no public trace is named, in an answer or in the shared public keys. */
async function checkHidden(x: Checked, got: Answers): Promise<void> {
  const visible = x.model.visibleUsers();
  const hidden: string[] = [];
  for (const [u, mu] of x.model.users.entries()) {
    if (visible.has(u)) continue;
    for (const v of [mu.id, mu.username]) {
      hidden.push(v, await shortHash(v), await secretHash(v));
    }
  }
  const shared = publicActivityProjection.prefixes.filter((p) =>
    p[0] !== "trace" && p[0] !== "pub_person"
  );
  const players = x.model.publicPlayers();
  const rows: string[] = [];
  const byUser = new Map<string, number>();
  let entries = 0;
  for (const prefix of shared) {
    for await (const e of x.t.kv.list({ prefix })) {
      rows.push(kvJson(e.key) + kvJson(e.value));
      if (e.key[0] === "pub") entries++;
      if (e.key[0] === "pub_user") {
        byUser.set(String(e.key[1]), (byUser.get(String(e.key[1])) ?? 0) + 1);
      }
      if (e.key[0] === "pop_p") {
        const u = x.model.users.findIndex((m) => m.id === e.key[4]);
        assert.ok(players.has(u), "only public players have a people pointer");
        assert.deepEqual(e.value, { username: x.model.users[u].username });
      }
    }
  }
  const timeline = x.model.timeline();
  assert.equal(entries, timeline.length, "every private action left the timeline");
  for (const [u, mu] of x.model.users.entries()) {
    const mine = timeline.filter((e) => e.user === mu.username).length;
    assert.equal(byUser.get(mu.id) ?? 0, mine, `${mu.username}'s public entries`);
    if (!visible.has(u)) assert.equal(mine, 0);
  }
  for (const id of hidden) {
    for (const text of got.texts) assert.ok(!text.includes(id), `an answer names a hidden user`);
    for (const row of rows) {
      assert.ok(!row.includes(id), `a public key names a hidden user: ${row}`);
    }
  }
}

/** Every check, after the last projection and roll. */
export async function checkAll(x: Checked): Promise<void> {
  const got = new Answers();
  const all = await checkTimeline(x, got);
  await checkPopularity(x, got);
  await checkProfiles(x, got, all);
  await checkHidden(x, got);
}
