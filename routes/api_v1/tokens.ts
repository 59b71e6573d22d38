/** `POST/GET /api/v1/tokens`, `DELETE /api/v1/tokens/{prefix-or-id}` (SPEC §2.4). */
import { Hono } from "hono";
import type { AuthDeps } from "../../src/auth/deps.ts";
import { createUserToken, listUserTokens, revokeUserToken } from "../../src/auth/user_tokens.ts";
import { requireScope } from "../auth_middleware.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { readJsonObject } from "../body.ts";

/**
 * Routes for user tokens; mount under `/api/v1` behind `requireAuth`. Listing needs
 * `user.read`; creating and revoking need `user` (or `*`): a user token reads the user's
 * feeds and records plays, so only an app trusted with the whole account may mint one.
 */
export function tokensRoutes(deps: AuthDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/tokens", requireScope("user"), async (c) => {
    const body = await readJsonObject(c);
    if (typeof body.name !== "string") {
      throw new HttpError(422, "validation_failed", "name must be a string.", {
        details: { name: "expected a string of 1 to 100 characters" },
      });
    }
    const created = await createUserToken(deps, c.get("auth").userId, body.name);
    return c.json(created, 201);
  });
  app.get("/tokens", requireScope("user.read"), async (c) => {
    return c.json({ tokens: await listUserTokens(deps, c.get("auth").userId) });
  });
  app.delete("/tokens/:id", requireScope("user"), async (c) => {
    const id = c.req.param("id");
    if (!await revokeUserToken(deps, c.get("auth").userId, id)) {
      throw new HttpError(404, "not_found", "No token with that id or prefix.");
    }
    return c.json({ id, revoked: true });
  });
  return app;
}
