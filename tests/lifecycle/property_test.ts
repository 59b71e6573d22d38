/**
 * Property: the 45-day checkpoint and cleanup (SPEC §7.1–7.2) change nothing a user can
 * see, except what §7.1 prunes. Random histories of one or two users over 120 days go
 * through the HTTP API of two apps in lockstep (same clock, same requests); only the
 * first one runs the lifecycle jobs, at random times. At the end the two must agree on
 * each user's state, read models and REST answers, modulo the pruned tombstones; the
 * cleaned app has deleted only events its checkpoints cover (all of them after a
 * cleanup), the others unchanged; and rebuilding its public projection from what is left
 * gives the same public answers.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { runPopularityRoll } from "../../jobs/mod.ts";
import { runCheckpoints, runCleanup } from "../../src/lifecycle/retention.ts";
import { RETENTION_MS } from "../../src/domain/history.ts";
import {
  EMPTY_STATE,
  evolveAll,
  isActive,
  isInPlaylist,
  type PlaylistState,
  type UserState,
} from "../../src/domain/state.ts";
import type { StoredEvent } from "../../src/domain/events.ts";
import { checkpointHead } from "../../src/store/checkpoints.ts";
import type { Json } from "../api/_api.ts";
import {
  arbitraries,
  EPISODES,
  FEEDS,
  type History,
  isJob,
  type JobOp,
  perform,
  type Side,
  SPAN_MS,
  USERNAMES,
} from "./_history.ts";
import {
  buildSite,
  hasOldTombstone,
  normalize,
  publicAnswers,
  readModels,
  renameIds,
  restAnswers,
  stateJson,
  storedEvents,
} from "./_lifecycle.ts";

/** A checkpoint the cleaned app wrote: its seq and the cutoff it pruned at. */
interface Written {
  seq: number;
  cutoff: number;
}

/**
 * SPEC §7.1, written here from the text (not with the production pruning): a checkpoint
 * leaves out subscriptions unsubscribed, playlists deleted and playlist episodes removed
 * before its cutoff.
 */
function pruneAt(state: UserState, cutoff: number): UserState {
  const old = (at: string | undefined) => at !== undefined && Date.parse(at) < cutoff;
  const subscriptions = new Map(
    [...state.subscriptions].filter(([, s]) => isActive(s) || !old(s.unsubscribed_at)),
  );
  const playlists = new Map<string, PlaylistState>();
  for (const [id, p] of state.playlists) {
    if (old(p.deleted_at)) continue;
    const items = new Map([...p.items].filter(([, i]) => isInPlaylist(i) || !old(i.removed_at)));
    playlists.set(id, { ...p, items });
  }
  return { ...state, subscriptions, playlists };
}

/** What the cleaned app's state must be: all events, pruned at each checkpoint it wrote. */
function expectedState(events: readonly StoredEvent[], written: readonly Written[]): UserState {
  let state = EMPTY_STATE;
  let i = 0;
  for (const w of written) {
    const upTo = events.filter((e, j) => j >= i && e.seq <= w.seq);
    state = pruneAt(evolveAll(state, upTo), w.cutoff);
    i += upTo.length;
  }
  return evolveAll(state, events.slice(i));
}

/** An event without what differs between the two apps (ids); playlist ids renamed. */
function comparable(e: Json, names: ReadonlyMap<string, string>): Json {
  const { id: _id, user_id: _u, ...rest } = e;
  return renameIds(rest, names);
}

async function runHistory(input: History): Promise<void> {
  const cleaned: Side = { site: await buildSite(USERNAMES), playlists: [[], []] };
  let reference: Side | undefined;
  try {
    reference = { site: await buildSite(USERNAMES), playlists: [[], []] };
    const sides = [cleaned, reference];
    const start = cleaned.site.t.clock.now();
    const fixed = input.steps.reduce(
      (n, s) =>
        n + (s.gap.unit === "minute" ? 60_000 : s.gap.unit === "hour" ? 3_600_000 : 0) * s.gap.n,
      0,
    );
    const shares = input.steps.reduce((n, s) => n + (s.gap.unit === "share" ? s.gap.n : 0), 0);
    const perShare = Math.max(0, SPAN_MS - fixed - 3_600_000) / Math.max(1, shares);
    const written: Written[][] = [[], []];
    const heads: (string | null)[] = [null, null];
    let now = start;

    const stepTimes: number[] = [];
    let lastJob = start;

    // Per user: did a cleanup run after the last checkpoint written?
    const cleanedSince = [false, false];

    const jobs = async (op: JobOp) => {
      const deps = cleaned.site.t.deps;
      const aimed = op.target === null || stepTimes.length === 0
        ? now
        : stepTimes[op.target % stepTimes.length] + RETENTION_MS + op.nudge;
      const at = lastJob = Math.max(lastJob, Math.min(now, aimed));
      if (op.k !== "cleanup") {
        await runCheckpoints(deps, { now: at });
        for (const [u, api] of cleaned.site.users.entries()) {
          const head = await checkpointHead(deps.kv, api.userId);
          if (head.value && head.versionstamp !== heads[u]) {
            heads[u] = head.versionstamp;
            written[u].push({ seq: head.value.seq, cutoff: at - RETENTION_MS });
            cleanedSince[u] = false;
          }
        }
      }
      if (op.k !== "checkpoint") {
        // As the cleanup job does: project what is pending first.
        await deps.projector.drainAll();
        await runCleanup(deps, { now: at });
        cleanedSince.fill(true);
      }
    };

    const ref = reference;
    const compare = async () => {
      await ref.site.t.deps.projector.drainAll();
      for (let u = 0; u < input.users; u++) {
        await compareUser(cleaned, ref, u, { written: written[u], cleaned: cleanedSince[u] });
      }
      await compareRebuild(cleaned, now, input.users);
    };

    for (const step of input.steps) {
      const { unit, n } = step.gap;
      now += unit === "minute"
        ? n * 60_000
        : unit === "hour"
        ? n * 3_600_000
        : Math.floor(n * perShare);
      for (const s of sides) {
        s.site.t.clock.set(now);
        // What the idle timer does: an actor idle for 10 minutes goes (and reloads from KV).
        s.site.t.deps.registry.sweep();
      }
      const op = step.op;
      if (isJob(op)) {
        await jobs(op);
        continue;
      }
      if (op.u >= input.users) continue;
      stepTimes.push(now);
      const a = await perform(cleaned, op);
      const b = await perform(reference, op);
      // Same request, same events: only their ids differ between the two apps.
      const [ha, hb] = await Promise.all(
        sides.map((s) => s.site.t.deps.store.head(s.site.users[op.u].userId)),
      );
      assert.equal(ha.seq, hb.seq, `${JSON.stringify(op)}: ${a?.status} vs ${b?.status}`);
    }

    // The end: maybe one more job run.
    if (input.last !== null) await jobs(input.last);

    await compare();
  } finally {
    await cleaned.site.t.close();
    await reference?.site.t.close();
  }
}

async function compareUser(
  cleaned: Side,
  reference: Side,
  u: number,
  jobs: { written: Written[]; cleaned: boolean },
) {
  const { written } = jobs;
  const [c, r] = [cleaned.site.users[u], reference.site.users[u]];
  const cKv = cleaned.site.t.deps.kv;
  const rKv = reference.site.t.deps.kv;
  // Playlist ids differ per app: both sides name them by creation order.
  const names = (side: Side) =>
    new Map(side.playlists[u].map((id, i) => [id, `playlist-${i}`] as [string, string]));
  const [cNames, rNames] = [names(cleaned), names(reference)];
  const last = written.at(-1);
  const cutoff = last?.cutoff ?? -Infinity;
  const what = `user ${USERNAMES[u]}, checkpoints ${JSON.stringify(written)}`;

  // Events: only ones a checkpoint covers are gone; after a cleanup, all of those.
  const refEvents = await storedEvents(rKv, r.userId) as StoredEvent[];
  const kept = await storedEvents(cKv, c.userId);
  const keptSeqs = new Set(kept.map((e: Json) => e.seq as number));
  const gone = refEvents.filter((e) => !keptSeqs.has(e.seq)).map((e) => e.seq);
  assert.ok(gone.every((seq) => seq <= (last?.seq ?? 0)), `${what}: deleted ${gone}`);
  if (jobs.cleaned) {
    assert.deepEqual(gone, refEvents.filter((e) => e.seq <= (last?.seq ?? 0)).map((e) => e.seq));
  }
  const bySeq = new Map(refEvents.map((e) => [e.seq, e]));
  for (const e of kept) {
    assert.deepEqual(comparable(e, cNames), comparable(bySeq.get(e.seq), rNames), what);
  }

  // State: all events, pruned at each checkpoint, is what the cleaned app loads…
  const cState = await cleaned.site.t.deps.store.load(c.userId);
  const rState = await reference.site.t.deps.store.load(r.userId);
  assert.deepEqual(
    renameIds(stateJson(cState), cNames),
    renameIds(stateJson(expectedState(refEvents, written)), rNames),
    `${what}: state`,
  );
  // …and the reference state, normalised (see normalize), is the same.
  assert.deepEqual(
    normalize(renameIds(stateJson(cState), cNames), cutoff),
    normalize(renameIds(stateJson(rState), rNames), cutoff),
    `${what}: normalised state`,
  );

  // Read models: the same modulo pruning, and the cleanup left no pruned tombstone.
  const cModels = renameIds(await readModels(cKv, c.userId), cNames);
  const rModels = renameIds(await readModels(rKv, r.userId), rNames);
  if (jobs.cleaned) {
    assert.equal(hasOldTombstone(cModels, cutoff), null, `${what}: pruned read model left`);
  }
  assert.deepEqual(normalize(cModels, cutoff), normalize(rModels, cutoff), `${what}: read models`);

  // REST answers.
  const cRest = renameIds(await restAnswers(c, cleaned.playlists[u]), cNames);
  const rRest = renameIds(await restAnswers(r, reference.playlists[u]), rNames);
  assert.deepEqual(normalize(cRest, cutoff), normalize(rRest, cutoff), `${what}: REST answers`);
}

/**
 * Rebuilding the public projection from what the cleanup left changes no public answer, and
 * not even the users' own (private) trace records behind them.
 */
async function compareRebuild(cleaned: Side, now: number, users: number) {
  const t = cleaned.site.t;
  const usernames = USERNAMES.slice(0, users);
  const traces = async () => ({
    trace: await Array.fromAsync(t.deps.kv.list({ prefix: ["trace"] }), (e) => [e.key, e.value]),
    person: await Array.fromAsync(
      t.deps.kv.list({ prefix: ["pub_person"] }),
      (e) => [e.key, e.value],
    ),
  });
  await t.deps.projector.drainAll();
  await runPopularityRoll(t.deps, now);
  const before = { ...await publicAnswers(t, usernames, FEEDS, EPISODES), ...await traces() };
  await t.deps.projector.rebuild();
  await runPopularityRoll(t.deps, now);
  const after = { ...await publicAnswers(t, usernames, FEEDS, EPISODES), ...await traces() };
  assert.deepEqual(after, before, "public answers after a rebuild");
}

Deno.test("checkpoint and cleanup at random times change nothing but what SPEC §7.1 prunes", async () => {
  await fc.assert(fc.asyncProperty(arbitraries(), runHistory), {
    numRuns: 20,
    endOnFailure: true,
  });
});
