/**
 * `POST/GET /api/v1/app-passwords`, `DELETE /api/v1/app-passwords/{id}` (SPEC §2.5): the
 * passwords that HTTP-Basic-only apps (gpodder clients) sign in with. Creating and
 * revoking need `user` (or `*`); listing `user.read`.
 */
import { Hono } from "hono";
import {
  createAppPassword,
  listAppPasswords,
  revokeAppPassword,
} from "../../src/auth/app_passwords.ts";
import type { AppDeps } from "../../src/services.ts";
import { requireScope } from "../auth_middleware.ts";
import { readJsonObject } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";

/** Mount under `/api/v1` behind `requireAuth`. */
export function appPasswordRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/app-passwords", requireScope("user"), async (c) => {
    const body = await readJsonObject(c);
    if (typeof body.name !== "string") {
      throw new HttpError(422, "validation_failed", "name must be a string.", {
        details: { name: "expected a string of 1 to 100 characters" },
      });
    }
    const created = await createAppPassword(deps, c.get("auth").userId, body.name, deps.newId);
    return c.json(created, 201);
  });
  app.get("/app-passwords", requireScope("user.read"), async (c) => {
    return c.json({ app_passwords: await listAppPasswords(deps, c.get("auth").userId) });
  });
  app.delete("/app-passwords/:id", requireScope("user"), async (c) => {
    const { userId } = c.get("auth");
    const id = c.req.param("id");
    if (!await revokeAppPassword(deps, userId, id)) {
      throw new HttpError(404, "not_found", "No app password with that id.");
    }
    deps.basicAuth.forgetUser(userId);
    return c.json({ id, revoked: true });
  });
  return app;
}
