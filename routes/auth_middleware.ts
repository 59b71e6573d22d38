/** Request-JWT authentication and scope checks for `/api/v1` (SPEC §2.2 step 4, §2.3). */
import type { MiddlewareHandler } from "hono";
import type { AuthDeps } from "../src/auth/deps.ts";
import { Unauthorized, verifyRequestJwt } from "../src/auth/request_jwt.ts";
import { hasScope } from "../src/domain/scopes.ts";
import type { AppEnv } from "./context.ts";
import { HttpError } from "./errors.ts";

function unauthorized(message: string, invalidToken: boolean): HttpError {
  return new HttpError(401, "unauthorized", message, {
    headers: { "WWW-Authenticate": invalidToken ? 'Bearer error="invalid_token"' : "Bearer" },
  });
}

/**
 * What every failed request JWT is told: which check failed would say whether a user
 * authorized an app (and with which key type), so the detail goes to the server log only.
 */
export const INVALID_TOKEN_MESSAGE =
  "The request token is invalid, expired, or not authorized for this user.";

/**
 * Verifies `Authorization: Bearer <request JWT>` and sets `c.var.auth`.
 * @throws {HttpError} 401 `unauthorized`, one message for every token failure.
 */
export function requireAuth(deps: AuthDeps): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const header = c.req.header("Authorization") ?? "";
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw unauthorized("Send Authorization: Bearer <request JWT signed by your app>.", false);
    }
    try {
      const { user, appToken, device } = await verifyRequestJwt(deps, match[1]);
      c.set("auth", {
        userId: user.id,
        username: user.username,
        appId: appToken.app_id,
        scopes: appToken.scopes,
        ...(device ? { device } : {}),
      });
    } catch (err) {
      if (err instanceof Unauthorized) {
        deps.logger.info("request token refused", {
          request_id: c.get("requestId"),
          reason: err.message,
        });
        throw unauthorized(INVALID_TOKEN_MESSAGE, true);
      }
      throw err;
    }
    await next();
  };
}

/**
 * Lets the request through only when the approved scopes cover `scope`; mount after
 * {@link requireAuth}. Use `{ endpoint: "sync" }` on `POST /api/v1/sync`, where `user.sync`
 * covers every `user.*` scope.
 * @throws {HttpError} 403 `insufficient_scope` naming the missing scope.
 */
export function requireScope(
  scope: string,
  options: { endpoint?: "sync" } = {},
): MiddlewareHandler<AppEnv> {
  return async function checkScope(c, next) {
    const auth = c.get("auth");
    if (!auth) throw unauthorized("This endpoint needs a request JWT.", false);
    if (!hasScope(auth.scopes, scope, options)) {
      throw new HttpError(
        403,
        "insufficient_scope",
        `This request needs the "${scope}" scope, which the user has not approved for this app.`,
        { details: { required_scope: scope, granted_scopes: [...auth.scopes] } },
      );
    }
    await next();
  };
}
