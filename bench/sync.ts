/**
 * Sync benchmark (SPEC §4.1), out of process: `main.ts` runs as a subprocess on loopback on
 * a KV file seeded beforehand, and this process is the client, as in bench/gpodder.ts.
 *
 * 1. First sync of 1,000 subscriptions + 5,000 play statuses (the server's projections run
 *    beside it, as they do), then, once they have caught up, the identical re-sync (without
 *    `since`: a whole-state answer; with the first answer's token: a delta; 5 of each), on this
 *    tree and on the revision before delta sync (`git archive`), alternately, a fresh KV and
 *    server each time; next to a raw KV write of the same 6,000 events in the same round.
 * 2. A listener with 200,000 play statuses (appended through the event store in batches of
 *    5,000 before the server starts) and one with 5,000: rounds where another device
 *    changes 10 play statuses and the timed device asks what changed with its token, then
 *    rounds where the timed device sends 10 changes of its own, on warm actors (the big
 *    listener's wake-up is timed apart).
 */
import {
  appendPlays,
  checkout,
  feedOf,
  firstBody,
  itemOf,
  rawWrite,
  seed,
  startServer,
  type Synced,
} from "./_sync_server.ts";

/** Identical re-syncs per round (their median is the round's figure). */
const RESYNCS = 5;

/** The revision before delta sync, measured in the same run as this tree. */
export const BASE_REVISION = "0b0eecd";

export interface SyncBenchOptions {
  /** Play statuses of the big listener. */
  readonly bigPlays?: number;
  /** Delta rounds on each listener. */
  readonly rounds?: number;
  /** First-sync rounds on each side. */
  readonly firstRounds?: number;
}

/** One round of part 1 on one side. */
export interface FirstRound {
  readonly rawMs: number;
  readonly firstMs: number;
  readonly firstEvents: number;
  /** Median of RESYNCS identical re-syncs. */
  readonly againMs: number;
  readonly againEvents: number;
  /** With the first answer's token (null on the base revision: no token). */
  readonly againSinceMs: number | null;
}

export interface SyncBenchResult {
  readonly ours: FirstRound[];
  /** Empty when the base revision could not be checked out. */
  readonly base: FirstRound[];
  readonly bigPlays: number;
  readonly bigBuildMs: number;
  /** The big listener's first request (its actor loads the whole history). */
  readonly wakeMs: number;
  /** Delta syncs answering 10 changes another device made. */
  readonly bigAnswerMs: readonly number[];
  readonly smallAnswerMs: readonly number[];
  /** Delta syncs sending 10 changes of their own. */
  readonly bigOwnMs: readonly number[];
  readonly smallOwnMs: readonly number[];
  readonly deltaBytes: number;
  /** Play statuses the last delta answer on the big listener held (10 expected). */
  readonly deltaPlays: number;
  readonly errors: string[];
}

const started = performance.now();
/** Where a long run is (on stderr, so the report stays clean). */
function progress(what: string): void {
  console.error(`  [sync bench ${((performance.now() - started) / 1000).toFixed(0)} s] ${what}`);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
}

/** Part 1 once: a fresh KV and server of `mainTs`, first sync and identical re-syncs. */
async function firstRound(dir: string, mainTs: string, errors: string[]): Promise<FirstRound> {
  const name = `r${crypto.randomUUID().slice(0, 8)}`;
  const body = firstBody(name, new Date(Date.now() - 60_000).toISOString());
  const rawMs = await rawWrite(`${dir}/${name}-raw.kv`, body);
  const [listener] = await seed(`${dir}/${name}.kv`, [name]);
  const server = await startServer(mainTs, `${dir}/${name}.kv`, errors);
  try {
    const first = await server.sync(listener.phone, body);
    // A device syncs again later: the projections have caught up with the first sync by then.
    await server.settle();
    const again: Synced[] = [];
    for (let k = 0; k < RESYNCS; k++) again.push(await server.sync(listener.phone, body));
    const token = first.json.data?.sync_token;
    const since: Synced[] = [];
    for (let k = 0; k < RESYNCS && token !== undefined; k++) {
      since.push(await server.sync(listener.phone, { ...body, since: token }));
    }
    if (since.some((x) => x.json.events_appended !== 0)) errors.push("re-sync with since appended");
    return {
      rawMs,
      firstMs: first.ms,
      firstEvents: first.json.events_appended ?? 0,
      againMs: median(again.map((x) => x.ms)),
      againEvents: Math.max(...again.map((x) => x.json.events_appended ?? -1)),
      againSinceMs: since.length > 0 ? median(since.map((x) => x.ms)) : null,
    };
  } finally {
    const log = await server.stop();
    if (errors.length > 0) errors.push(`server log: ${log}`);
  }
}

/** Ten changed play statuses of listener `who`, round `r`. */
function changes(who: string, r: number, position: number) {
  const at = new Date(Date.now() - 1_000).toISOString();
  return Array.from({ length: 10 }, (_, k) => ({
    rss_source_feed: feedOf(r * 10 + k),
    rss_source_item: itemOf(who, r * 10 + k),
    position,
    played: false,
    updated_at: at,
  }));
}

/** Part 2 on one listener (see the module's comment). */
async function deltaRounds(
  sync: (token: string, payload: unknown) => Promise<Synced>,
  listener: { phone: string; tablet: string },
  who: string,
  rounds: number,
  since?: string,
) {
  const answer: number[] = [];
  const own: number[] = [];
  let tabletSince = since;
  let last: Synced | undefined;
  for (let r = 0; r < rounds; r++) {
    const t = await sync(listener.tablet, {
      play_statuses: changes(who, r, 4_000 + r),
      ...(tabletSince ? { since: tabletSince } : {}),
    });
    tabletSince = t.json.data?.sync_token;
    last = await sync(listener.phone, since ? { since } : {});
    answer.push(last.ms);
    since = last.json.data?.sync_token;
  }
  for (let r = 0; r < Math.ceil(rounds / 3); r++) {
    const mine = await sync(listener.phone, {
      play_statuses: changes(who, rounds + r, 5_000 + r),
      ...(since ? { since } : {}),
    });
    own.push(mine.ms);
    since = mine.json.data?.sync_token;
  }
  return { answer, own, last: last! };
}

/** Runs the sync benchmark. */
export async function benchSync(options: SyncBenchOptions = {}): Promise<SyncBenchResult> {
  const bigPlays = options.bigPlays ?? 200_000;
  const rounds = options.rounds ?? 15;
  const firstRounds = options.firstRounds ?? 3;
  const dir = await Deno.makeTempDir({ prefix: "balados-sync-bench-" });
  const errors: string[] = [];
  try {
    await Deno.mkdir(`${dir}/base`);
    const baseMain = await checkout(BASE_REVISION, `${dir}/base`);
    const oursMain = new URL("../main.ts", import.meta.url).pathname;
    const ours: FirstRound[] = [];
    const base: FirstRound[] = [];
    for (let i = 0; i < firstRounds; i++) {
      // Alternate which side goes first, so a change of load falls on both.
      const sides = [
        { main: oursMain, out: ours },
        ...(baseMain ? [{ main: baseMain, out: base }] : []),
      ];
      if (i % 2 === 1) sides.reverse();
      for (const side of sides) side.out.push(await firstRound(dir, side.main, errors));
      progress(`first-sync round ${i + 1} of ${firstRounds}`);
    }

    const t0 = performance.now();
    const [small, big] = await seed(
      `${dir}/big.kv`,
      ["small", "big"],
      (deps, [, b]) => appendPlays(deps, b.id, bigPlays, progress),
    );
    const bigBuildMs = performance.now() - t0;
    progress("big listener built and projected");
    const server = await startServer(oursMain, `${dir}/big.kv`, errors);
    try {
      const smallStart = await server.sync(
        small.phone,
        firstBody("small", new Date().toISOString()),
      );
      const smallRun = await deltaRounds(
        server.sync,
        small,
        "small",
        rounds,
        smallStart.json.data?.sync_token,
      );
      const wake = await server.sync(big.phone, {});
      progress("big listener awake");
      const bigRun = await deltaRounds(
        server.sync,
        big,
        "big",
        rounds,
        wake.json.data?.sync_token,
      );
      return {
        ours,
        base,
        bigPlays,
        bigBuildMs,
        wakeMs: wake.ms,
        bigAnswerMs: bigRun.answer,
        smallAnswerMs: smallRun.answer,
        bigOwnMs: bigRun.own,
        smallOwnMs: smallRun.own,
        deltaBytes: bigRun.last.bytes,
        deltaPlays: bigRun.last.json.data?.play_statuses?.length ?? -1,
        errors,
      };
    } finally {
      const log = await server.stop();
      if (errors.length > 0) errors.push(`server log: ${log}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Prints the result against the marks; true when one is missed. */
export function reportSync(r: SyncBenchResult): boolean {
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const list = (xs: readonly number[], f = (x: number) => x.toFixed(0)) => xs.map(f).join(" ");
  const med = (rs: readonly FirstRound[], k: "rawMs" | "firstMs" | "againMs") =>
    median(rs.map((x) => x[k]));
  const firstVsRaw = med(r.ours, "firstMs") / med(r.ours, "rawMs");
  console.log(
    `  raw KV write of the same 6,000 events (100 per commit): ${ms(med(r.ours, "rawMs"))} ` +
      `(rounds ${list(r.ours.map((x) => x.rawMs))})`,
  );
  console.log(
    `  first sync, 1,000 subs + 5,000 plays: ${ms(med(r.ours, "firstMs"))} ` +
      `(${list(r.ours.map((x) => x.firstMs))}), ${r.ours[0].firstEvents} events, ` +
      `${firstVsRaw.toFixed(1)}× raw`,
  );
  let firstOk = true;
  if (r.base.length > 0) {
    const ratios = r.ours.map((o, i) => o.firstMs / r.base[i].firstMs);
    firstOk = median(ratios) < 0.5;
    console.log(
      `    on ${BASE_REVISION} (before): ${ms(med(r.base, "firstMs"))} ` +
        `(${list(r.base.map((x) => x.firstMs))}) — this / before ${median(ratios).toFixed(2)}× ` +
        `(rounds ${list(ratios, (x) => x.toFixed(2))}; issue's mark < 0.50×)`,
    );
  } else console.log(`    (revision ${BASE_REVISION} not available: no before figure)`);
  const againRatio = med(r.ours, "againMs") / med(r.ours, "firstMs");
  console.log(
    `  identical re-sync, whole-state answer: ${ms(med(r.ours, "againMs"))} ` +
      `(${list(r.ours.map((x) => x.againMs))}), ${r.ours[0].againEvents} events — ` +
      `${againRatio.toFixed(3)}× the first (issue's mark ≤ 0.10× or < 150 ms)`,
  );
  if (r.base.length > 0) {
    console.log(
      `    on ${BASE_REVISION}: ${ms(med(r.base, "againMs"))} ` +
        `(${list(r.base.map((x) => x.againMs))}) — this / before ` +
        `${(med(r.ours, "againMs") / med(r.base, "againMs")).toFixed(2)}×`,
    );
  }
  const sinceMs = r.ours.map((x) => x.againSinceMs ?? NaN);
  console.log(
    `  identical re-sync with since (delta answer): ${ms(median(sinceMs))} (${list(sinceMs)}) — ` +
      `${(median(sinceMs) / med(r.ours, "firstMs")).toFixed(3)}× the first`,
  );
  console.log(
    `  ${r.bigPlays.toLocaleString("en-US")}-play listener: built in ${ms(r.bigBuildMs)}; ` +
      `first request (actor wake-up, whole history) ${ms(r.wakeMs)}`,
  );
  const answerRatio = median(r.bigAnswerMs) / median(r.smallAnswerMs);
  console.log(
    `  delta sync answering 10 changes made by another device: ${ms(median(r.bigAnswerMs))} ` +
      `(${list(r.bigAnswerMs)}), ${r.deltaBytes} bytes, ${r.deltaPlays} play statuses ` +
      `(issue's mark < 20 ms)`,
  );
  console.log(
    `    same on 5,000 plays: ${ms(median(r.smallAnswerMs))} — big / small ` +
      `${answerRatio.toFixed(2)}× (target ≤ 1.50×: the cost follows the changes, not the state)`,
  );
  console.log(
    `  delta sync sending 10 changes of its own: ${ms(median(r.bigOwnMs))} ` +
      `(${list(r.bigOwnMs)}); on 5,000 plays ${ms(median(r.smallOwnMs))} — ` +
      `${(median(r.bigOwnMs) / median(r.smallOwnMs)).toFixed(2)}× (the write path: README)`,
  );
  for (const e of r.errors) console.log(`  ERROR ${e}`);
  const againOk = againRatio <= 0.1 ||
    (r.base.length > 0 && med(r.ours, "againMs") <= 0.1 * med(r.base, "firstMs"));
  return r.errors.length > 0 || !firstOk || !againOk || answerRatio > 1.5 ||
    r.ours.some((x) => x.againEvents !== 0) || r.deltaPlays !== 10;
}

if (import.meta.main) {
  const big = Deno.args.find((a) => a.startsWith("--big="));
  reportSync(await benchSync(big ? { bigPlays: Number(big.slice(6)) } : {}));
}
