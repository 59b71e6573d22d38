/**
 * One-time messages for a web session (POST-redirect-GET): a form handler leaves a value
 * for the page it redirects to, which reads it once. Kept server-side under the session's
 * token hash — never in a URL — and only for a few minutes, so a new secret (a user token)
 * can be shown once after a redirect and a reload shows it no more.
 */
import { secretHash } from "../store/hash.ts";
import { sessionFlashKey, sessionFlashPrefix } from "../store/keys.ts";
import type { AuthDeps } from "./deps.ts";
import { looksLikeToken } from "./random.ts";

/** How long a flash waits for its page. */
export const FLASH_TTL_MS = 10 * 60_000;

interface Stored<T> {
  readonly value: T;
  readonly expires_at: number;
}

/** Which session and which page a flash is for. */
export interface FlashSlot {
  readonly userId: string;
  /** The session's cookie token. */
  readonly sessionToken: string;
  /** The page that shows it, e.g. "tokens". */
  readonly slot: string;
}

async function keyOf(at: FlashSlot): Promise<Deno.KvKey | null> {
  if (!looksLikeToken(at.sessionToken) || !/^[a-z_-]{1,32}$/.test(at.slot)) return null;
  return sessionFlashKey(at.userId, await secretHash(at.sessionToken), at.slot);
}

/** Leaves `value` for the next view of `at.slot` in this session (replacing an older one). */
export async function leaveFlash<T>(deps: AuthDeps, at: FlashSlot, value: T): Promise<void> {
  const key = await keyOf(at);
  if (!key) return;
  const stored: Stored<T> = { value, expires_at: deps.clock.now() + FLASH_TTL_MS };
  await deps.kv.set(key, stored, { expireIn: FLASH_TTL_MS });
}

/** The flash left for `at.slot`, removed as it is read; null when none is waiting. */
export async function takeFlash<T>(deps: AuthDeps, at: FlashSlot): Promise<T | null> {
  const key = await keyOf(at);
  if (!key) return null;
  const entry = await deps.kv.get<Stored<T>>(key);
  if (!entry.value) return null;
  // Only the reader whose delete wins shows it: two tabs never both see a secret.
  const res = await deps.kv.atomic().check(entry).delete(key).commit();
  if (!res.ok || entry.value.expires_at <= deps.clock.now()) return null;
  return entry.value.value;
}

/** Drops every flash of one session (log-out). */
export async function dropFlashes(deps: AuthDeps, userId: string, tokenHash: string) {
  for await (const e of deps.kv.list({ prefix: [...sessionFlashPrefix(userId), tokenHash] })) {
    await deps.kv.delete(e.key);
  }
}
