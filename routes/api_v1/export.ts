/**
 * `GET /api/v1/export` (SPEC §4.7): everything the server holds on the user, as one JSON
 * document streamed from KV (built in src/lifecycle/export.ts, which the account page
 * serves too).
 */
import { Hono } from "hono";
import { exportAccount, exportHeaders } from "../../src/lifecycle/export.ts";
import type { AppDeps } from "../../src/services.ts";
import { requireScope } from "../auth_middleware.ts";
import type { AppEnv } from "../context.ts";

/** `/export`, scope `user.read` (or `*`). */
export function exportRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/export", requireScope("user.read"), async (c) => {
    const { userId, username } = c.get("auth");
    const x = await exportAccount(deps, userId, username);
    return c.body(x.body, 200, exportHeaders(x));
  });
  return app;
}
