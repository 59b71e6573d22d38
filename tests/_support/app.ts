/** Builds the real app on a `:memory:` KV with a fake clock, for integration tests. */
import type { Hono } from "hono";
import { createApp } from "../../routes/app.ts";
import type { AppEnv } from "../../routes/context.ts";
import { loadConfig } from "../../src/config.ts";
import { type Logger, silentLogger } from "../../src/logger.ts";
import type { RunnerOptions } from "../../src/projections/runner.ts";
import type { FeedServiceOptions } from "../../src/rss/feed_service.ts";
import { type AppDeps, createServices } from "../../src/services.ts";
import { FakeClock } from "./clock.ts";

/** Fast password hashing for tests; one test checks the real default. */
export const TEST_PASSWORD_ITERATIONS = 1_000;

export interface TestApp {
  app: Hono<AppEnv>;
  deps: AppDeps;
  clock: FakeClock;
  /** Waits for in-flight work (feeds, gateway, actors, projector) and closes KV. */
  close(): Promise<void>;
}

/** A test app; `env` overrides configuration variables (KV queues are off by default). */
export async function buildTestApp(
  options: {
    env?: Record<string, string>;
    fetch?: typeof fetch;
    autoProject?: boolean;
    /** Drain gateway plays after each hit (default false: tests drive the processor). */
    autoGateway?: boolean;
    logger?: Logger;
    feedOptions?: FeedServiceOptions;
    /** Projection runner tunables (small passes, a crash hook). */
    runnerOptions?: RunnerOptions;
  } = {},
): Promise<TestApp> {
  const kv = await Deno.openKv(":memory:");
  const config = loadConfig({
    KV_PATH: ":memory:",
    KV_QUEUES: "off",
    BASE_URL: "http://localhost:8000",
    ...options.env,
  });
  const clock = new FakeClock();
  const deps = createServices({
    kv,
    config,
    clock,
    logger: options.logger ?? silentLogger,
    fetch: options.fetch,
    autoProject: options.autoProject ?? false,
    autoGateway: options.autoGateway ?? false,
    passwordIterations: TEST_PASSWORD_ITERATIONS,
    // No test may reach a DNS server: names resolve nowhere unless a test says otherwise.
    feedOptions: {
      resolve: () => Promise.reject(new Error("no DNS in tests")),
      ...options.feedOptions,
    },
    runnerOptions: options.runnerOptions,
  });
  return {
    app: createApp(deps),
    deps,
    clock,
    async close() {
      await deps.feeds.settled();
      await deps.gateway.stop();
      await deps.registry.drain();
      await deps.projector.stop();
      await deps.eraser.stop();
      kv.close();
    },
  };
}
