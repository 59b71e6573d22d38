/** `GET /api/v1/apps`, `DELETE /api/v1/apps/{app_id}` (SPEC §2.2 step 5). */
import { Hono } from "hono";
import { appTokenView, listAppTokens, revokeAppToken } from "../../src/auth/app_tokens.ts";
import type { AuthDeps } from "../../src/auth/deps.ts";
import { requireScope } from "../auth_middleware.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";

/**
 * Routes for the user's authorized apps; mount under `/api/v1` behind `requireAuth`.
 * Listing needs `user.read` (covered by `user`, `*.read` and `*`); revoking needs `user`
 * (or `*`), since it changes what other apps may do.
 */
export function appsRoutes(deps: AuthDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/apps", requireScope("user.read"), async (c) => {
    const tokens = await listAppTokens(deps, c.get("auth").userId);
    return c.json({ apps: tokens.map(appTokenView) });
  });
  app.delete("/apps/:app_id", requireScope("user"), async (c) => {
    const appId = c.req.param("app_id");
    if (!await revokeAppToken(deps, c.get("auth").userId, appId)) {
      throw new HttpError(404, "not_found", "No app with that id is authorized for this user.");
    }
    return c.json({ app_id: appId, revoked: true });
  });
  return app;
}
