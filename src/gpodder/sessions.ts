/**
 * gpodder sessions: the `sessionid` cookie set on log-in and on every Basic-authenticated
 * request, accepted alone afterwards (AntennaPod sends only the cookie after log-in;
 * mygpoclient answers at most 3 challenges). Only the token's hash is stored. A session made
 * with an app password lives only as long as that app password.
 */
import { appPasswordExists } from "../auth/app_passwords.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { looksLikeToken, randomToken } from "../auth/random.ts";
import { getUserById, type User } from "../auth/users.ts";
import { secretHash } from "../store/hash.ts";
import * as keys from "../store/keys.ts";

/** Sessions last a year, extended when used (at most once a day). */
export const GP_SESSION_TTL_MS = 365 * 86_400_000;
const EXTEND_MS = 86_400_000;

/** What `["gp_session", hash]` holds. */
export interface GpSession {
  readonly user_id: string;
  readonly app_password_id?: string;
  readonly created_at: number;
  readonly expires_at: number;
}

/** Starts a session; the token goes in the cookie and nowhere else. */
export async function createGpSession(
  deps: AuthDeps,
  userId: string,
  appPasswordId?: string,
): Promise<string> {
  const token = randomToken();
  const hash = await secretHash(token);
  const now = deps.clock.now();
  const session: GpSession = {
    user_id: userId,
    ...(appPasswordId ? { app_password_id: appPasswordId } : {}),
    created_at: now,
    expires_at: now + GP_SESSION_TTL_MS,
  };
  await deps.kv.atomic()
    .set(keys.gpSessionKey(hash), session, { expireIn: GP_SESSION_TTL_MS })
    .set(keys.gpSessionByUserKey(userId, hash), { expires_at: session.expires_at }, {
      expireIn: GP_SESSION_TTL_MS,
    })
    .commit();
  return token;
}

/** The user of a live session cookie, or null (unknown, expired, revoked, deleted user). */
export async function gpSessionUser(
  deps: AuthDeps,
  token: string,
): Promise<{ user: User; appPasswordId?: string } | null> {
  if (!looksLikeToken(token)) return null;
  const hash = await secretHash(token);
  const entry = await deps.kv.get<GpSession>(keys.gpSessionKey(hash));
  const s = entry.value;
  const now = deps.clock.now();
  if (!s || s.expires_at <= now) return null;
  const user = await getUserById(deps, s.user_id);
  if (!user) return null;
  if (s.app_password_id && !(await appPasswordExists(deps, user.id, s.app_password_id))) {
    return null;
  }
  if (s.expires_at - now < GP_SESSION_TTL_MS - EXTEND_MS) {
    const next = { ...s, expires_at: now + GP_SESSION_TTL_MS };
    await deps.kv.atomic().check(entry)
      .set(entry.key, next, { expireIn: GP_SESSION_TTL_MS })
      .set(keys.gpSessionByUserKey(user.id, hash), { expires_at: next.expires_at }, {
        expireIn: GP_SESSION_TTL_MS,
      })
      .commit();
  }
  return { user, ...(s.app_password_id ? { appPasswordId: s.app_password_id } : {}) };
}

/** Ends a session (log-out). */
export async function deleteGpSession(deps: AuthDeps, token: string): Promise<void> {
  if (!looksLikeToken(token)) return;
  const hash = await secretHash(token);
  const s = await deps.kv.get<GpSession>(keys.gpSessionKey(hash));
  const op = deps.kv.atomic().delete(keys.gpSessionKey(hash));
  if (s.value) op.delete(keys.gpSessionByUserKey(s.value.user_id, hash));
  await op.commit();
}

/**
 * Ends the user's gpodder sessions that were opened with the account password (a password
 * change); those opened with an app password live as long as that app password.
 */
export async function endPasswordGpSessions(deps: AuthDeps, userId: string): Promise<number> {
  let ended = 0;
  for await (const e of deps.kv.list({ prefix: keys.gpSessionByUserPrefix(userId) })) {
    const hash = e.key[2] as string;
    const s = await deps.kv.get<GpSession>(keys.gpSessionKey(hash));
    if (s.value?.app_password_id) continue;
    await deps.kv.atomic().delete(keys.gpSessionKey(hash)).delete(e.key).commit();
    ended++;
  }
  return ended;
}
