/**
 * Failed log-in counters (fixed windows) per username and per client IP, so that password
 * guessing is slowed down without locking anyone out for long.
 */
import { shortHash } from "../store/hash.ts";
import { rateLimitKey } from "../store/keys.ts";
import type { AuthDeps } from "./deps.ts";

/** Failures allowed per window before log-ins are refused. */
export const LOGIN_LIMITS = { perUsername: 5, perIp: 20, windowMs: 15 * 60_000 } as const;

interface Counter {
  readonly count: number;
  /** When the window closes, in milliseconds since the epoch. */
  readonly reset_at: number;
}

/** Who is trying: the username as typed and the client address. */
export interface LoginAttempt {
  readonly username: string;
  readonly ip: string;
}

async function keys(attempt: LoginAttempt): Promise<[Deno.KvKey, number][]> {
  // Hashed so that any text typed into the form makes a short, valid key.
  const user = await shortHash(attempt.username.trim().toLowerCase());
  const ip = await shortHash(attempt.ip);
  return [
    [rateLimitKey("login_user", user), LOGIN_LIMITS.perUsername],
    [rateLimitKey("login_ip", ip), LOGIN_LIMITS.perIp],
  ];
}

/**
 * Seconds until this username and address may try again, or 0 when they may try now.
 * Checked before the password, so a correct guess during a lock-out is still refused.
 */
export async function loginRetryAfter(deps: AuthDeps, attempt: LoginAttempt): Promise<number> {
  const now = deps.clock.now();
  const limits = await keys(attempt);
  const counters = await deps.kv.getMany<Counter[]>(limits.map(([key]) => key));
  let wait = 0;
  counters.forEach((entry, i) => {
    const c = entry.value;
    if (c && c.reset_at > now && c.count >= limits[i][1]) {
      wait = Math.max(wait, Math.ceil((c.reset_at - now) / 1000));
    }
  });
  return wait;
}

/** Counts one failed log-in against the username and the address. */
export async function recordLoginFailure(deps: AuthDeps, attempt: LoginAttempt): Promise<void> {
  const now = deps.clock.now();
  for (const [key] of await keys(attempt)) {
    for (let tries = 0; tries < 5; tries++) {
      const entry = await deps.kv.get<Counter>(key);
      const open = entry.value && entry.value.reset_at > now ? entry.value : null;
      const next: Counter = open
        ? { count: open.count + 1, reset_at: open.reset_at }
        : { count: 1, reset_at: now + LOGIN_LIMITS.windowMs };
      const ok = await deps.kv.atomic().check(entry)
        .set(key, next, { expireIn: LOGIN_LIMITS.windowMs }).commit();
      if (ok.ok) break;
    }
  }
}

/** Forgets the failures of a username after a successful log-in (the address keeps its). */
export async function clearLoginFailures(deps: AuthDeps, attempt: LoginAttempt): Promise<void> {
  const [[userKey]] = await keys(attempt);
  await deps.kv.delete(userKey);
}
