/**
 * A listener with more public feeds and episodes than one KV commit can hold mutations
 * (1,000): a privacy change and forgetting their history must still go through, in steps.
 */
import assert from "node:assert/strict";
import { feedId, itemId, type Json, withApi } from "../api/_api.ts";
import { pub, settle } from "./_public.ts";

const EPISODES = 600;

Deno.test("a privacy change and forgetting touch 600 publicly played episodes without an oversized commit", async () => {
  await withApi({}, async ({ t, api: alice }) => {
    for (let e = 1; e <= EPISODES; e++) {
      const play = { rss_source_feed: feedId(1), rss_source_item: itemId(1, e), position: 5 };
      assert.equal((await alice.post("/play", play)).status, 200);
      t.clock.advance(1_000);
    }
    await settle(t);
    const named = async () => {
      const events = (await pub(t, "/timeline?limit=200")).body.events as Json[];
      return events.filter((e) => e.user === "alice").length;
    };
    assert.equal(await named(), 200);

    assert.equal((await alice.put("/privacy", { privacy: "private" })).status, 200);
    await settle(t);
    assert.equal(await named(), 0);
    assert.equal((await pub(t, "/users/alice")).status, 404);

    assert.equal((await alice.put("/privacy", { privacy: "public" })).status, 200);
    await settle(t);
    assert.equal(await named(), 200);

    await t.deps.projector.forget(alice.userId, { kind: "account" });
    await settle(t);
    assert.equal(await named(), 0);
    const people = (await pub(t, "/trending/episodes?limit=100")).body.episodes as Json[];
    assert.ok(people.every((r) => !r.plays_people.includes("alice")));
  });
});
