/**
 * Random user histories for the lifecycle property test: what a step does (an API call as
 * one of two users, or a lifecycle job run) and how long it waits before.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { feedId, itemId } from "../api/_api.ts";
import type { Site } from "./_lifecycle.ts";

// Few feeds and episodes, so that the same ones come back (repeats, resubscriptions).
export const FEEDS = [0, 1];
export const EPISODES = [0, 1];
export const USERNAMES = ["alice", "bob"];
export const SPAN_MS = 120 * 86_400_000;

/** An API call as user `u`. */
export type UserOp =
  | { k: "sub" | "unsub"; u: number; f: number }
  | { k: "play"; u: number; f: number; e: number; position: number; played: boolean }
  | { k: "position"; u: number; f: number; e: number; position: number }
  | { k: "save" | "unsave" | "share"; u: number; f: number; e: number }
  | {
    k: "privacy";
    u: number;
    f: number;
    e: number;
    scope: "user" | "feed" | "item";
    level: "public" | "anonymous" | "private" | null;
  }
  | { k: "pl_create"; u: number; pub: boolean }
  | { k: "pl_add" | "pl_remove"; u: number; p: number; f: number; e: number }
  | { k: "pl_delete"; u: number; p: number }
  | { k: "pl_public"; u: number; p: number; pub: boolean };
/**
 * A lifecycle job run "now", or earlier: at 45 days after an earlier step, give or take a
 * millisecond or ten minutes, so that its cutoff falls between close events (never before
 * an earlier run's).
 */
export type JobOp = { k: "checkpoint" | "cleanup" | "jobs"; target: number | null; nudge: number };
export type Op = UserOp | JobOp;

/** True for a lifecycle job run. */
export function isJob(op: Op): op is JobOp {
  return !("u" in op);
}

/** A whole history. */
export interface History {
  users: number;
  steps: Step[];
  last: JobOp | null;
}

/**
 * A step: wait, then do something. Waits are minutes or hours (several things on one day,
 * an actor still resident) or a share of what is left of the 120 days.
 */
export interface Step {
  gap: { unit: "minute" | "hour" | "share"; n: number };
  op: Op;
}

/** One or two users, 40 to 100 steps, and maybe a last job run at the end. */
export function arbitraries(): fc.Arbitrary<History> {
  const u = fc.integer({ min: 0, max: 1 });
  const f = fc.constantFrom(...FEEDS);
  const e = fc.constantFrom(...EPISODES);
  const p = fc.integer({ min: 0, max: 3 });
  const job = fc.record({
    k: fc.constantFrom("checkpoint" as const, "cleanup", "jobs"),
    target: fc.option(fc.nat(), { nil: null }),
    nudge: fc.constantFrom(-1, 1, 600_000),
  });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ k: fc.constant("sub" as const), u, f }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant("unsub" as const), u, f }) },
    {
      weight: 5,
      arbitrary: fc.record({
        k: fc.constant("play" as const),
        u,
        f,
        e,
        position: fc.integer({ min: 0, max: 3 }),
        played: fc.boolean(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant("position" as const),
        u,
        f,
        e,
        position: fc.integer({ min: 0, max: 3 }),
      }),
    },
    {
      weight: 8,
      arbitrary: fc.record({ k: fc.constantFrom("save" as const, "unsave", "share"), u, f, e }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant("privacy" as const),
        u,
        f,
        e,
        scope: fc.constantFrom("user" as const, "feed", "item"),
        level: fc.constantFrom("public" as const, "anonymous", "private", null),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ k: fc.constant("pl_create" as const), u, pub: fc.boolean() }),
    },
    {
      weight: 4,
      arbitrary: fc.record({ k: fc.constantFrom("pl_add" as const, "pl_remove"), u, p, f, e }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("pl_delete" as const), u, p }) },
    {
      weight: 1,
      arbitrary: fc.record({ k: fc.constant("pl_public" as const), u, p, pub: fc.boolean() }),
    },
    { weight: 4, arbitrary: job },
  );
  const gap = fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({
        unit: fc.constant("minute" as const),
        n: fc.integer({ min: 1, max: 30 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        unit: fc.constant("hour" as const),
        n: fc.integer({ min: 1, max: 10 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        unit: fc.constant("share" as const),
        n: fc.integer({ min: 1, max: 100 }),
      }),
    },
  );
  return fc.record({
    users: fc.constantFrom(1, 2),
    last: fc.option(job, { nil: null, freq: 2 }),
    steps: fc.array(fc.record({ gap, op }), { minLength: 40, maxLength: 100 }),
  });
}

/** One app of the pair, with the playlist ids it gave, per user, in creation order. */
export interface Side {
  site: Site;
  playlists: string[][];
}

/** Does `op` as user `u` on one app; throws on a server error. */
export async function perform(side: Side, op: UserOp) {
  const api = side.site.users[op.u];
  const lists = side.playlists[op.u];
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await api.call(method, path, body);
    assert.ok(r.status < 500, `${method} ${path}: ${r.status} ${r.text}`);
    return r;
  };
  const ep = "e" in op ? itemId(op.f, op.e) : "";
  const feed = "f" in op ? feedId(op.f) : "";
  const listId = "p" in op ? lists[op.p % Math.max(1, lists.length)] : undefined;
  switch (op.k) {
    case "sub":
      // The same source id every time, so a subscription pruned and made again is alike.
      return await call("POST", "/subscriptions", {
        rss_source_feed: feed,
        rss_source_id: `s${op.f}`,
      });
    case "unsub":
      return await call("DELETE", `/subscriptions/${feed}`);
    case "play":
      return await call("POST", "/play", {
        rss_source_feed: feed,
        rss_source_item: ep,
        position: op.position * 60,
        played: op.played,
      });
    case "position":
      return await call("PUT", `/play/${ep}/position`, { position: op.position * 60 + 1 });
    case "save":
      return await call("POST", `/episodes/${ep}/save?feed=${feed}`);
    case "unsave":
      return await call("DELETE", `/episodes/${ep}/save?feed=${feed}`);
    case "share":
      return await call("POST", `/episodes/${ep}/share?feed=${feed}`);
    case "privacy": {
      const target: Record<string, string> = op.scope === "user"
        ? {}
        : op.scope === "feed"
        ? { feed }
        : { feed, item: ep };
      if (op.level !== null) return await call("PUT", "/privacy", { privacy: op.level, ...target });
      return await call("DELETE", `/privacy?${new URLSearchParams(target)}`);
    }
    case "pl_create": {
      const r = await call("POST", "/playlists", {
        name: `List ${lists.length}`,
        is_public: op.pub,
      });
      assert.equal(r.status, 201, r.text);
      lists.push(r.body.id);
      return r;
    }
    case "pl_add":
      if (!listId) return null;
      return await call("POST", `/playlists/${listId}/items`, {
        rss_source_feed: feed,
        rss_source_item: ep,
      });
    case "pl_remove":
      if (!listId) return null;
      return await call("DELETE", `/playlists/${listId}/items/${ep}`);
    case "pl_delete":
      if (!listId) return null;
      return await call("DELETE", `/playlists/${listId}`);
    case "pl_public":
      if (!listId) return null;
      return await call("PATCH", `/playlists/${listId}`, { is_public: op.pub });
  }
}
