/**
 * The projection pipeline. Append commits leave outbox markers `["outbox", user, seq]`;
 * the projector reads each marked user's events after its cursor, and writes the
 * projections' output, the new cursor (checked against the one it read) and the marker
 * deletions in one commit. A duplicate, late or concurrent wake-up therefore changes
 * nothing. Wake-ups: KV queue messages, an in-process kick after each commit, and the
 * 1-minute cron sweep (the only one that works everywhere).
 */
import { DrainLoop } from "../src/drain_loop.ts";
import type { Logger } from "../src/logger.ts";
import { countByType } from "../src/projections/counters.ts";
import type { EventStore, ProjectMessage } from "../src/store/event_store.ts";
import * as keys from "../src/store/keys.ts";

/** The cursor name of the pipeline (all global projections advance together). */
export const PIPELINE = "main";

export interface ProjectorDeps {
  kv: Deno.Kv;
  store: EventStore;
  logger: Logger;
}

export interface ProjectorOptions {
  /** Users projected per commit (bounded by KV's checks per commit). */
  usersPerCommit?: number;
  /** Events read per user per pass. */
  eventsPerUser?: number;
  /** Outbox markers read per pass. */
  markersPerPass?: number;
}

/** What one pass did. */
export interface PassResult {
  users: number;
  events: number;
  /** True when it saw no pending marker. */
  empty: boolean;
}

interface UserWork {
  userId: string;
  markers: number[];
  cursor: Deno.KvEntryMaybe<number>;
}

/** Drains outbox markers into the global projections. */
export class Projector {
  #deps: ProjectorDeps;
  #usersPerCommit: number;
  #eventsPerUser: number;
  #markersPerPass: number;
  #loop: DrainLoop;

  constructor(deps: ProjectorDeps, options: ProjectorOptions = {}) {
    this.#deps = deps;
    this.#usersPerCommit = options.usersPerCommit ?? 50;
    this.#eventsPerUser = options.eventsPerUser ?? 200;
    this.#markersPerPass = options.markersPerPass ?? 500;
    this.#loop = new DrainLoop(
      () => this.drainAll(),
      (err) => deps.logger.error("projector pass failed", { error: String(err) }),
    );
  }

  /** Asks for a drain soon; many kicks while one runs coalesce into one more run. */
  kick(): void {
    this.#loop.kick();
  }

  /** Handles a KV queue message (a pointer, never the events). */
  handleMessage(msg: unknown): Promise<void> {
    if ((msg as ProjectMessage)?.kind === "project") this.kick();
    return this.idle();
  }

  /** Resolves when no drain is running. */
  idle(): Promise<void> {
    return this.#loop.idle();
  }

  /** Stops accepting kicks and waits for the current drain. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Runs passes until the outbox is empty (the cron sweep, the job CLI, tests). */
  async drainAll(): Promise<{ users: number; events: number }> {
    const total = { users: 0, events: 0 };
    for (let i = 0; i < 10_000; i++) {
      const r = await this.runPass();
      total.users += r.users;
      total.events += r.events;
      if (r.empty) break;
    }
    return total;
  }

  /** One pass: up to `usersPerCommit` users in one commit. */
  async runPass(): Promise<PassResult> {
    const { kv } = this.#deps;
    const byUser = new Map<string, number[]>();
    for await (
      const m of kv.list<{ seq: number }>({ prefix: keys.outboxPrefix() }, {
        limit: this.#markersPerPass,
      })
    ) {
      const [, userId, seq] = m.key as [string, string, number];
      if (!byUser.has(userId) && byUser.size >= this.#usersPerCommit) break;
      byUser.set(userId, [...(byUser.get(userId) ?? []), seq]);
    }
    if (byUser.size === 0) return { users: 0, events: 0, empty: true };
    const work: UserWork[] = [];
    const ids = [...byUser.keys()];
    for (let i = 0; i < ids.length; i += 10) {
      const chunk = ids.slice(i, i + 10);
      const cursors = await kv.getMany<number[]>(chunk.map((u) => keys.cursorKey(PIPELINE, u)));
      chunk.forEach((userId, j) =>
        work.push({ userId, markers: byUser.get(userId)!, cursor: cursors[j] })
      );
    }
    return await this.#project(work);
  }

  async #project(work: UserWork[]): Promise<PassResult> {
    const { kv, store } = this.#deps;
    const atomic = kv.atomic();
    const totals = new Map<string, number>();
    let events = 0;
    for (const w of work) {
      const from = w.cursor.value ?? 0;
      const batch = await store.readEvents(w.userId, from, this.#eventsPerUser);
      const to = batch.length > 0 ? batch[batch.length - 1].seq : from;
      for (const [type, n] of countByType(batch)) totals.set(type, (totals.get(type) ?? 0) + n);
      events += batch.length;
      atomic.check({ key: w.cursor.key, versionstamp: w.cursor.versionstamp });
      if (to !== from) atomic.set(w.cursor.key, to);
      // Markers up to the cursor are done; a newer one (another append) stays.
      for (const seq of w.markers) if (seq <= to) atomic.delete(keys.outboxKey(w.userId, seq));
    }
    for (const [type, n] of totals) {
      atomic.sum(keys.statKey("projected", type), BigInt(n));
    }
    if (events > 0) atomic.sum(keys.statKey("projected_total"), BigInt(events));
    const res = await atomic.commit();
    if (!res.ok) {
      // Another projector moved one of these cursors: nothing was written; the next pass
      // re-reads the cursors.
      return { users: 0, events: 0, empty: false };
    }
    return { users: work.length, events, empty: false };
  }
}
