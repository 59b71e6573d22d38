/** One-time messages across a POST-redirect-GET, tied to the visitor's web session. */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { AuthDeps } from "../../src/auth/deps.ts";
import { leaveFlash, takeFlash } from "../../src/auth/flash.ts";
import type { AppEnv } from "../context.ts";
import { SESSION_COOKIE, type WebUser } from "./_web.ts";

/** Leaves `value` for the next view of the page `slot` in this session. */
export async function flash<T>(
  c: Context<AppEnv>,
  deps: AuthDeps,
  me: WebUser,
  slot: string,
  value: T,
): Promise<void> {
  const sessionToken = getCookie(c, SESSION_COOKIE) ?? "";
  await leaveFlash(deps, { userId: me.user.id, sessionToken, slot }, value);
}

/** The value left for the page `slot`, once; null when none waits. */
export async function flashed<T>(
  c: Context<AppEnv>,
  deps: AuthDeps,
  me: WebUser,
  slot: string,
): Promise<T | null> {
  const sessionToken = getCookie(c, SESSION_COOKIE) ?? "";
  return await takeFlash<T>(deps, { userId: me.user.id, sessionToken, slot });
}
