/**
 * Wires the long-lived services (event store, group committer, actor registry, projector)
 * from the basic dependencies. Used by main.ts and by the tests' app builder; it opens
 * nothing and reads no environment itself.
 */
import { ActorRegistry } from "../actors/registry.ts";
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import { newId } from "./ids.ts";
import type { Logger } from "./logger.ts";
import { Metrics } from "./metrics.ts";
import { countersProjection } from "./projections/counters.ts";
import type { GlobalProjection } from "./projections/projection.ts";
import { publicActivityProjection } from "./projections/public_activity.ts";
import { ProjectionRunner, type RunnerOptions } from "./projections/runner.ts";
import { FeedService, type FeedServiceOptions } from "./rss/feed_service.ts";
import { GatewayProcessor } from "./rss/gateway_processor.ts";
import { EraseProcessor } from "./lifecycle/erase.ts";
import { BulkGate } from "./bulk_gate.ts";
import { BasicAuthenticator } from "./auth/basic.ts";
import { EventStore } from "./store/event_store.ts";
import { GroupCommitter } from "./store/group_commit.ts";

/** Everything the HTTP app and the jobs receive. */
export interface AppDeps {
  readonly kv: Deno.Kv;
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly fetch: typeof fetch;
  readonly store: EventStore;
  readonly committer: GroupCommitter;
  readonly registry: ActorRegistry;
  /** Runs every global projection (`GLOBAL_PROJECTIONS`) from the outbox. */
  readonly projector: ProjectionRunner;
  /** The feed cache, host limiter and miss limiter shared by every RSS route and job. */
  readonly feeds: FeedService;
  /** Turns pending play-gateway records into `played` events. */
  readonly gateway: GatewayProcessor;
  /** Finishes history erasures and account deletions from their markers. */
  readonly eraser: EraseProcessor;
  /** HTTP Basic checks (account or app password) with the in-memory memo. */
  readonly basicAuth: BasicAuthenticator;
  /** A fresh unique id. */
  readonly newId: () => string;
  /** PBKDF2 iterations for new password hashes (default 600,000; tests lower it). */
  readonly passwordIterations?: number;
}

export interface BaseDeps {
  kv: Deno.Kv;
  config: Config;
  clock: Clock;
  logger: Logger;
  fetch?: typeof fetch;
  /** Kick the projector after each commit (default true). */
  autoProject?: boolean;
  passwordIterations?: number;
  /** Feed fetching tunables (tests shorten the timeouts and limits). */
  feedOptions?: FeedServiceOptions;
  /** Drain gateway plays right after each gateway commit (default: as `autoProject`). */
  autoGateway?: boolean;
  /** Projection runner tunables (tests use small passes and a crash hook). */
  runnerOptions?: RunnerOptions;
}

/** Every global projection, in the order the runner plans them. */
export const GLOBAL_PROJECTIONS: readonly GlobalProjection[] = [
  countersProjection,
  publicActivityProjection as GlobalProjection,
];

/**
 * Longest a projector pass waits for a large sync or import to finish (a stream of them
 * never starves the projections).
 */
const BULK_WAIT_MS = 5_000;

/** Builds the services over one KV handle. */
export function createServices(base: BaseDeps): AppDeps {
  const { kv, config, clock, logger } = base;
  const committer = new GroupCommitter(kv, { maxChecksPerCommit: config.maxChecksPerCommit });
  const kick = { projector: undefined as ProjectionRunner | undefined };
  const bulk = new BulkGate();
  const store = new EventStore({
    kv,
    clock,
    committer,
    useQueue: config.kvQueues,
    onCommit: base.autoProject === false ? undefined : () => kick.projector?.kick(),
  });
  const projector = kick.projector = new ProjectionRunner(
    { kv, store, logger, config, clock, whenForegroundIdle: () => bulk.whenIdle(BULK_WAIT_MS) },
    GLOBAL_PROJECTIONS,
    base.runnerOptions,
  );
  const ids = () => newId(clock);
  const registry = new ActorRegistry({ store, clock, newId: ids, bulk }, {
    idleMs: config.actorIdleMs,
    maxResident: config.maxResidentActors,
    maxResidentBytes: config.maxActorMemoryBytes,
    mailboxCapacity: config.mailboxCapacity,
  });
  const feeds = new FeedService({
    kv,
    clock,
    logger,
    allowPrivate: config.allowPrivateFeeds,
    // Left out unless injected, so the real fetch keeps pinning connections.
    fetch: base.fetch,
  }, base.feedOptions);
  const gateway = new GatewayProcessor({ kv, registry, logger }, {
    autoKick: base.autoGateway ?? base.autoProject ?? true,
  });
  const eraser = new EraseProcessor({ kv, store, projector, clock, logger });
  return {
    kv,
    config,
    clock,
    logger,
    metrics: new Metrics(),
    fetch: base.fetch ?? fetch,
    store,
    committer,
    registry,
    projector,
    feeds,
    gateway,
    eraser,
    basicAuth: new BasicAuthenticator({
      kv,
      config,
      clock,
      logger,
      passwordIterations: base.passwordIterations,
    }),
    newId: ids,
    passwordIterations: base.passwordIterations,
  };
}
