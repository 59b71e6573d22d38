/**
 * Web sessions: a random token in a cookie, only its SHA-256 hash in KV (with an expiry),
 * and a CSRF token bound to the session for the forms of a logged-in user.
 */
import { secretHash } from "../store/hash.ts";
import { sessionByUserKey, sessionByUserPrefix, sessionKey } from "../store/keys.ts";
import type { AuthDeps } from "./deps.ts";
import { dropFlashes } from "./flash.ts";
import { looksLikeToken, randomToken } from "./random.ts";

/** How long a session lasts from log-in. */
export const SESSION_TTL_MS = 14 * 24 * 3_600_000;

/** A stored session. */
export interface Session {
  readonly user_id: string;
  /** CSRF token for this session's forms. */
  readonly csrf: string;
  /** Milliseconds since the epoch. */
  readonly created_at: number;
  readonly expires_at: number;
}

/** Starts a session for a user; the returned token goes in the cookie and nowhere else. */
export async function createSession(
  deps: AuthDeps,
  userId: string,
): Promise<{ token: string; session: Session }> {
  const token = randomToken();
  const now = deps.clock.now();
  const session: Session = {
    user_id: userId,
    csrf: randomToken(),
    created_at: now,
    expires_at: now + SESSION_TTL_MS,
  };
  const hash = await secretHash(token);
  // The by-user index lets deleting the account find every session.
  await deps.kv.atomic()
    .set(sessionKey(hash), session, { expireIn: SESSION_TTL_MS })
    .set(sessionByUserKey(userId, hash), { expires_at: session.expires_at }, {
      expireIn: SESSION_TTL_MS,
    })
    .commit();
  return { token, session };
}

/** The live session for a cookie token, or null (unknown, malformed or expired). */
export async function getSession(deps: AuthDeps, token: string): Promise<Session | null> {
  if (!looksLikeToken(token)) return null;
  const session = (await deps.kv.get<Session>(sessionKey(await secretHash(token)))).value;
  // KV's expireIn is lazy and uses the real clock; the injected clock is the authority.
  if (!session || session.expires_at <= deps.clock.now()) return null;
  return session;
}

/** Ends a session (log-out). Unknown tokens are ignored. */
export async function deleteSession(deps: AuthDeps, token: string): Promise<void> {
  if (!looksLikeToken(token)) return;
  const key = sessionKey(await secretHash(token));
  const session = await deps.kv.get<Session>(key);
  const op = deps.kv.atomic().delete(key);
  if (session.value) op.delete(sessionByUserKey(session.value.user_id, key[1] as string));
  await op.commit();
  if (session.value) await dropFlashes(deps, session.value.user_id, key[1] as string);
}

/**
 * Ends every web session of a user except the one whose cookie token is `keepToken`
 * (a password change keeps the person who made it logged in). Returns how many ended.
 */
export async function endOtherSessions(
  deps: AuthDeps,
  userId: string,
  keepToken?: string,
): Promise<number> {
  const keep = keepToken && looksLikeToken(keepToken) ? await secretHash(keepToken) : null;
  let ended = 0;
  for await (const e of deps.kv.list({ prefix: sessionByUserPrefix(userId) })) {
    const hash = e.key[2] as string;
    if (hash === keep) continue;
    await deps.kv.atomic().delete(sessionKey(hash)).delete(e.key).commit();
    await dropFlashes(deps, userId, hash);
    ended++;
  }
  return ended;
}
