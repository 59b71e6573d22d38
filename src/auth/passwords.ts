/**
 * Password hashing with PBKDF2-SHA256 (WebCrypto). The stored string names the algorithm,
 * the iteration count and the salt, so hashes can be upgraded later:
 * `pbkdf2-sha256$<iterations>$<salt>$<hash>` (salt and hash base64url).
 */
import { Overloaded } from "../overload.ts";
import { base64url } from "../store/hash.ts";

/** OWASP's 2023 floor for PBKDF2-HMAC-SHA256. */
export const DEFAULT_PASSWORD_ITERATIONS = 600_000;
const SCHEME = "pbkdf2-sha256";
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Refuse absurd counts found in a stored string (a tampered record must not hang a request). */
const MAX_ITERATIONS = 10_000_000;

const encoder = new TextEncoder();

function fromBase64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/**
 * At most this many password hashes run at once (each takes a core for ~0.3 s at 600k
 * iterations); more wait in a short queue; beyond it the caller is told to come back
 * (503), so sign-up or log-in floods cannot starve every other request of CPU.
 */
const pool = {
  concurrency: Math.max(1, (navigator.hardwareConcurrency ?? 2) - 1),
  queue: 16,
  running: 0,
  waiting: [] as (() => void)[],
};

/** Sets the hashing pool's size (start-up configuration, tests). */
export function setPasswordHashLimits(limits: { concurrency: number; queue: number }): void {
  pool.concurrency = Math.max(1, limits.concurrency);
  pool.queue = Math.max(0, limits.queue);
}

/** Runs `fn` within the pool. @throws {Overloaded} when the queue is full. */
async function inPool<T>(fn: () => Promise<T>): Promise<T> {
  if (pool.running >= pool.concurrency) {
    if (pool.waiting.length >= pool.queue) {
      throw new Overloaded("Too many password checks at once; retry in a few seconds.", 2);
    }
    await new Promise<void>((resolve) => pool.waiting.push(resolve));
  }
  pool.running++;
  try {
    return await fn();
  } finally {
    pool.running--;
    pool.waiting.shift()?.();
  }
}

function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  return inPool(() => deriveNow(password, salt, iterations));
}

async function deriveNow(
  password: string,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(password),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    HASH_BYTES * 8,
  );
  return new Uint8Array(bits);
}

/** Compares two byte strings in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * Hashes a password with a fresh random salt.
 * @example await hashPassword("correct horse", { iterations: 1_000 }) // "pbkdf2-sha256$1000$…$…"
 */
export async function hashPassword(
  password: string,
  options: { iterations?: number } = {},
): Promise<string> {
  const iterations = options.iterations ?? DEFAULT_PASSWORD_ITERATIONS;
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return `${SCHEME}$${iterations}$${base64url(salt)}$${base64url(hash)}`;
}

function parse(stored: string): { iterations: number; salt: Uint8Array; hash: Uint8Array } | null {
  const parts = stored.split("$");
  if (parts.length !== 4 || parts[0] !== SCHEME || !/^\d+$/.test(parts[1])) return null;
  const iterations = Number(parts[1]);
  if (iterations < 1 || iterations > MAX_ITERATIONS) return null;
  try {
    return { iterations, salt: fromBase64url(parts[2]), hash: fromBase64url(parts[3]) };
  } catch {
    return null;
  }
}

/** Whether `password` matches a string made by {@link hashPassword}; false for a bad string. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const actual = await derive(password, parsed.salt, parsed.iterations);
  return constantTimeEqual(actual, parsed.hash);
}

/** Whether a stored hash uses fewer iterations than wanted now (rehash at next log-in). */
export function needsRehash(stored: string, options: { iterations?: number } = {}): boolean {
  const parsed = parse(stored);
  return !parsed || parsed.iterations < (options.iterations ?? DEFAULT_PASSWORD_ITERATIONS);
}
