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

function waitFor(
  counters: Deno.KvEntryMaybe<Counter>[],
  limits: [Deno.KvKey, number][],
  now: number,
): number {
  let wait = 0;
  counters.forEach((entry, i) => {
    const c = entry.value;
    if (c && c.reset_at > now && c.count >= limits[i][1]) {
      wait = Math.max(wait, Math.ceil((c.reset_at - now) / 1000));
    }
  });
  return wait;
}

/**
 * Reserves one log-in attempt for this username and address before the password is
 * checked: 0 when granted (the attempt now counts), else the seconds to wait. Counting
 * before checking is what keeps concurrent guesses within the limit; a successful log-in
 * gives its reservation back (releaseLoginAttempt).
 */
export async function reserveLoginAttempt(deps: AuthDeps, attempt: LoginAttempt): Promise<number> {
  const limits = await keys(attempt);
  for (let tries = 0; tries < 10; tries++) {
    const now = deps.clock.now();
    const counters = await deps.kv.getMany<Counter[]>(limits.map(([key]) => key));
    const wait = waitFor(counters, limits, now);
    if (wait > 0) return wait;
    const op = deps.kv.atomic();
    counters.forEach((entry, i) => {
      const open = entry.value && entry.value.reset_at > now ? entry.value : null;
      const next: Counter = open
        ? { count: open.count + 1, reset_at: open.reset_at }
        : { count: 1, reset_at: now + LOGIN_LIMITS.windowMs };
      op.check(entry).set(limits[i][0], next, { expireIn: LOGIN_LIMITS.windowMs });
    });
    if ((await op.commit()).ok) return 0;
  }
  return 1; // heavy contention on these counters: ask the client to come back shortly
}

/**
 * After a successful log-in: forgets the username's failures and gives the address its
 * reserved attempt back (the address keeps its earlier failures).
 */
export async function releaseLoginAttempt(deps: AuthDeps, attempt: LoginAttempt): Promise<void> {
  const [[userKey], [ipKey]] = await keys(attempt);
  await deps.kv.delete(userKey);
  for (let tries = 0; tries < 5; tries++) {
    const entry = await deps.kv.get<Counter>(ipKey);
    if (!entry.value || entry.value.count <= 0) return;
    const next: Counter = { ...entry.value, count: entry.value.count - 1 };
    const ttl = Math.max(1, entry.value.reset_at - deps.clock.now());
    if ((await deps.kv.atomic().check(entry).set(ipKey, next, { expireIn: ttl }).commit()).ok) {
      return;
    }
  }
}
