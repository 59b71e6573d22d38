/**
 * One-time messages for a web session (POST-redirect-GET): a form handler leaves a value
 * for the page it redirects to, which reads it once. Kept server-side under the session's
 * token hash — never in a URL — and only for a few minutes, so a new secret (a user token)
 * can be shown once after a redirect and a reload shows it no more. The value is sealed
 * (AES-GCM) with a key derived from the session's cookie token, which KV never holds: a
 * copy of the database does not reveal a token waiting to be shown.
 */
import { secretHash } from "../store/hash.ts";
import { sessionFlashKey, sessionFlashPrefix } from "../store/keys.ts";
import type { AuthDeps } from "./deps.ts";
import { looksLikeToken } from "./random.ts";

/** How long a flash waits for its page. */
export const FLASH_TTL_MS = 10 * 60_000;

interface Stored {
  /** Base64 of the 12-byte nonce and the sealed JSON. */
  readonly iv: string;
  readonly sealed: string;
  readonly expires_at: number;
}

const encoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

/** The sealing key of one session: SHA-256 of its cookie token, under a fixed label. */
async function sealingKey(sessionToken: string): Promise<CryptoKey> {
  const raw = await crypto.subtle.digest("SHA-256", encoder.encode(`flash\0${sessionToken}`));
  return await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
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
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await sealingKey(at.sessionToken),
    encoder.encode(JSON.stringify(value)),
  );
  const stored: Stored = {
    iv: toBase64(iv),
    sealed: toBase64(new Uint8Array(sealed)),
    expires_at: deps.clock.now() + FLASH_TTL_MS,
  };
  await deps.kv.set(key, stored, { expireIn: FLASH_TTL_MS });
}

/** The flash left for `at.slot`, removed as it is read; null when none is waiting. */
export async function takeFlash<T>(deps: AuthDeps, at: FlashSlot): Promise<T | null> {
  const key = await keyOf(at);
  if (!key) return null;
  const entry = await deps.kv.get<Stored>(key);
  if (!entry.value) return null;
  // Only the reader whose delete wins shows it: two tabs never both see a secret.
  const res = await deps.kv.atomic().check(entry).delete(key).commit();
  if (!res.ok || entry.value.expires_at <= deps.clock.now()) return null;
  try {
    const opened = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(entry.value.iv) },
      await sealingKey(at.sessionToken),
      fromBase64(entry.value.sealed),
    );
    return JSON.parse(new TextDecoder().decode(opened)) as T;
  } catch {
    return null; // sealed for another session (cannot happen by key) or damaged
  }
}

/** Drops every flash of one session (log-out). */
export async function dropFlashes(deps: AuthDeps, userId: string, tokenHash: string) {
  for await (const e of deps.kv.list({ prefix: [...sessionFlashPrefix(userId), tokenHash] })) {
    await deps.kv.delete(e.key);
  }
}
