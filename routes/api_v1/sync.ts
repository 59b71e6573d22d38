/** `POST /api/v1/sync` (SPEC §4.1): the client's state in, the merged server state out. */
import { Hono } from "hono";
import { parseSyncBody } from "./sync_input.ts";
import type { AppDeps } from "../../src/services.ts";
import { mergedState } from "../../src/store/merged_state.ts";
import { requireScope } from "../auth_middleware.ts";
import { readJsonObject } from "../body.ts";
import type { AppEnv } from "../context.ts";

/** How far ahead of the server a client's clock may run before its times are refused. */
export const MAX_CLOCK_AHEAD_MS = 24 * 3_600_000;

/** `POST /sync`, scope `user.sync`. */
export function syncRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/sync", requireScope("user.sync", { endpoint: "sync" }), async (c) => {
    const input = parseSyncBody(await readJsonObject(c), {
      notAfter: deps.clock.now() + MAX_CLOCK_AHEAD_MS,
    });
    const auth = c.get("auth");
    const result = await deps.registry.execute(
      auth.userId,
      { type: "SyncState", data: input },
      auth.device,
    );
    return c.json({
      status: "success",
      data: await mergedState(deps.kv, result.state),
      events_appended: result.events.length,
    });
  });
  return app;
}
