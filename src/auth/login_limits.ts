/**
 * Failed log-in counters (fixed windows), used by the web log-in and by HTTP Basic. A
 * failure is counted per (username, address) and per address: those lock out, for a
 * while, only the address that guesses. Per username, failures from anywhere only slow
 * the answers down — so nobody can lock an account's owner out by guessing from
 * elsewhere. Sign-ups are counted per address too.
 */
import { shortHash } from "../store/hash.ts";
import { rateLimitKey } from "../store/keys.ts";
import type { AuthDeps } from "./deps.ts";

/** Failures allowed per window before refusing, and when slowing down starts. */
export const LOGIN_LIMITS = {
  perUserAndIp: 5,
  perIp: 20,
  /** Failures for one username (any address) after which each answer is slowed. */
  slowAfter: 10,
  windowMs: 15 * 60_000,
} as const;
/** Sign-ups allowed per address per window. */
export const SIGNUP_LIMITS = { perIp: 5, windowMs: 60 * 60_000 } as const;
/** The slow-down per answer once a username has many failures (capped). */
const SLOWDOWN_MS = 1_000;

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

/** The outcome of reserving an attempt. */
export interface Reservation {
  /** Seconds to wait (the attempt was refused), or 0. */
  readonly wait: number;
  /** Milliseconds to slow this answer down by (many failures for the username). */
  readonly slowMs: number;
}

async function limitKeys(attempt: LoginAttempt) {
  // Hashed so that any text typed into the form makes a short, valid key.
  const user = await shortHash(attempt.username.trim().toLowerCase());
  const ip = await shortHash(attempt.ip);
  return {
    pair: rateLimitKey("login_pair", await shortHash(`${user}\n${ip}`)),
    ip: rateLimitKey("login_ip", ip),
    user: rateLimitKey("login_user", user),
  };
}

function open(c: Counter | null, now: number): Counter | null {
  return c && c.reset_at > now ? c : null;
}

/** Adds one to fixed-window counters (checked commits, a few tries). */
async function bump(
  deps: AuthDeps,
  entries: Deno.KvEntryMaybe<Counter>[],
  windowMs: number,
  now: number,
): Promise<boolean> {
  const op = deps.kv.atomic();
  for (const e of entries) {
    const c = open(e.value, now);
    const next: Counter = c ? { count: c.count + 1, reset_at: c.reset_at } : {
      count: 1,
      reset_at: now + windowMs,
    };
    op.check(e).set(e.key, next, { expireIn: windowMs });
  }
  return (await op.commit()).ok;
}

/**
 * Reserves one log-in attempt before the password is checked (counting before checking is
 * what keeps concurrent guesses within the limit); a successful log-in gives it back.
 */
export async function reserveLoginAttempt(
  deps: AuthDeps,
  attempt: LoginAttempt,
): Promise<Reservation> {
  const k = await limitKeys(attempt);
  for (let tries = 0; tries < 10; tries++) {
    const now = deps.clock.now();
    const entries = await deps.kv.getMany<Counter[]>([k.pair, k.ip, k.user]);
    let wait = 0;
    const limits = [LOGIN_LIMITS.perUserAndIp, LOGIN_LIMITS.perIp];
    for (const [i, limit] of limits.entries()) {
      const c = open(entries[i].value, now);
      if (c && c.count >= limit) wait = Math.max(wait, Math.ceil((c.reset_at - now) / 1000));
    }
    if (wait > 0) return { wait, slowMs: 0 };
    const userFailures = open(entries[2].value, now)?.count ?? 0;
    if (await bump(deps, entries, LOGIN_LIMITS.windowMs, now)) {
      const over = userFailures - LOGIN_LIMITS.slowAfter;
      return { wait: 0, slowMs: over >= 0 ? SLOWDOWN_MS : 0 };
    }
  }
  return { wait: 1, slowMs: 0 }; // heavy contention on these counters: come back shortly
}

/**
 * After a successful log-in: forgets the failures of this username from this address and
 * gives the address and the username their reserved attempt back.
 */
export async function releaseLoginAttempt(deps: AuthDeps, attempt: LoginAttempt): Promise<void> {
  const k = await limitKeys(attempt);
  await deps.kv.delete(k.pair);
  for (const key of [k.ip, k.user]) {
    for (let tries = 0; tries < 5; tries++) {
      const entry = await deps.kv.get<Counter>(key);
      if (!entry.value || entry.value.count <= 0) break;
      const next: Counter = { ...entry.value, count: entry.value.count - 1 };
      const ttl = Math.max(1, entry.value.reset_at - deps.clock.now());
      if ((await deps.kv.atomic().check(entry).set(key, next, { expireIn: ttl }).commit()).ok) {
        break;
      }
    }
  }
}

/**
 * Reserves one sign-up for an address: 0 when granted, else the seconds to wait.
 */
export async function reserveSignUp(deps: AuthDeps, ip: string): Promise<number> {
  const key = rateLimitKey("signup_ip", await shortHash(ip));
  for (let tries = 0; tries < 10; tries++) {
    const now = deps.clock.now();
    const entry = await deps.kv.get<Counter>(key);
    const c = open(entry.value, now);
    if (c && c.count >= SIGNUP_LIMITS.perIp) return Math.ceil((c.reset_at - now) / 1000);
    if (await bump(deps, [entry], SIGNUP_LIMITS.windowMs, now)) return 0;
  }
  return 1;
}

/** Waits out a reservation's slow-down. */
export function slowDown(r: Reservation): Promise<void> {
  return r.slowMs > 0 ? new Promise((ok) => setTimeout(ok, r.slowMs)) : Promise.resolve();
}
