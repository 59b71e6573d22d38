/** `GET /api/v1/me`: lets an app check its setup (SPEC §2.2 step 5). */
import { Hono } from "hono";
import type { AuthDeps } from "../../src/auth/deps.ts";
import type { AppEnv } from "../context.ts";

/**
 * Routes for `/me`; mount under `/api/v1` behind `requireAuth`. Any valid request JWT may
 * call it, whatever its scopes.
 */
export function meRoutes(_deps: AuthDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/me", (c) => {
    const auth = c.get("auth");
    return c.json({
      user_id: auth.userId,
      username: auth.username,
      app_id: auth.appId,
      scopes: auth.scopes,
      device: auth.device ?? null,
    });
  });
  return app;
}
