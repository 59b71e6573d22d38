/**
 * The request-JWT path's memory of who a token speaks for (SPEC §2.2 step 4): the user and
 * the app token of a `(sub, iss)` pair, so that a request does not read them from KV each
 * time. SPEC §2.2 allows it when a change applies at once in the process that made it and
 * within 1 s in every other:
 * - every write of a user record or an app token that changes what a request may do
 *   (authorizing or revoking an app, changing the password, deleting the account) adds
 *   {@linkcode authChangedMutation} to its commit — a write of one global auth epoch — and
 *   then calls {@linkcode forgetAuth}, which drops that user's entries here at once;
 * - before serving from memory, a process makes sure it read the epoch's versionstamp less
 *   than 1 s ago (by its clock; one small read per second at most, shared by concurrent
 *   requests); a new versionstamp drops the whole memory.
 * KV's `watch` would do the second part without polling on Deno Deploy, but on a local file
 * another process's write reaches a watcher only much later, so the epoch is read instead.
 * Nothing negative is remembered: an unknown user or app is read from KV every time.
 */
import type { Clock } from "../clock.ts";
import { authEpochKey } from "../store/keys.ts";
import type { AppToken } from "./app_tokens.ts";
import type { AuthDeps } from "./deps.ts";
import type { User } from "./users.ts";

/** How old the last epoch read may be when a remembered entry is served. */
export const AUTH_STALE_MS = 1_000;
/** Entries are read again after this long even without a change (a missed bump heals). */
const MAX_AGE_MS = 5 * 60_000;
const MAX_ENTRIES = 20_000;

/** Who a `(sub, iss)` pair names: the user and the app token entry as read from KV. */
export interface AuthEntry {
  readonly user: User;
  readonly token: Deno.KvEntry<AppToken>;
}

interface Remembered extends AuthEntry {
  readonly at: number;
}

/** The mutation every auth-changing commit carries (see the module comment). */
export function authChangedMutation(): Deno.KvMutation {
  // Only its versionstamp matters: a plain set moves it, and sets of one key never conflict.
  return { type: "set", key: authEpochKey(), value: 1 };
}

/** One process's memory of auth entries over one KV handle. */
export class AuthCache {
  readonly #entries = new Map<string, Remembered>();
  /** The epoch's versionstamp last read (null: never written; undefined: not read yet). */
  #epoch: string | null | undefined = undefined;
  #checkedAt = -Infinity;
  #checking: Promise<void> | undefined;
  /** Bumped whenever entries are dropped: a read that started before is not remembered. */
  #generation = 0;

  /**
   * The user and app token for `(sub, iss)`, from memory when it is fresh enough, else
   * from `read` (KV); null when either is missing.
   */
  async lookup(
    deps: Pick<AuthDeps, "kv" | "clock">,
    sub: string,
    iss: string,
    read: () => Promise<AuthEntry | null>,
  ): Promise<AuthEntry | null> {
    const now = deps.clock.now();
    const id = cacheId(sub, iss);
    await this.#fresh(deps.kv, deps.clock, now);
    const hit = this.#entries.get(id);
    if (hit && now - hit.at < MAX_AGE_MS) return hit;
    const generation = this.#generation;
    const found = await read();
    if (found && generation === this.#generation) this.#remember(id, { ...found, at: now });
    return found;
  }

  /** Replaces a remembered token entry after this process wrote it (its use time). */
  update(sub: string, iss: string, token: Deno.KvEntry<AppToken>): void {
    const id = cacheId(sub, iss);
    const hit = this.#entries.get(id);
    if (hit && hit.token.value.user_id === token.value.user_id) {
      this.#entries.set(id, { ...hit, token });
    }
  }

  /** Forgets one pair (its stored entry moved under this process's feet). */
  forget(sub: string, iss: string): void {
    this.#entries.delete(cacheId(sub, iss));
  }

  /** Forgets every entry of a user, at once (this process changed their auth). */
  forgetUser(userId: string): void {
    this.#generation++;
    for (const [id, e] of this.#entries) if (e.user.id === userId) this.#entries.delete(id);
  }

  /** Reads the epoch when the last read is too old; drops everything when it moved. */
  async #fresh(kv: Deno.Kv, clock: Clock, now: number): Promise<void> {
    if (now - this.#checkedAt < AUTH_STALE_MS && now >= this.#checkedAt) return;
    this.#checking ??= (async () => {
      // The time before the read: what the read sees is at least that fresh.
      const started = clock.now();
      const { versionstamp } = await kv.get(authEpochKey());
      if (versionstamp !== this.#epoch) {
        this.#clear();
        this.#epoch = versionstamp;
      }
      this.#checkedAt = started;
    })().finally(() => (this.#checking = undefined));
    await this.#checking;
  }

  #clear(): void {
    this.#generation++;
    this.#entries.clear();
  }

  #remember(id: string, entry: Remembered): void {
    this.#entries.delete(id);
    if (this.#entries.size >= MAX_ENTRIES) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(id, entry);
  }
}

function cacheId(sub: string, iss: string): string {
  return `${sub}\n${iss}`;
}

/** One memory per KV handle: every part of a process writing auth shares the handle. */
const caches = new WeakMap<Deno.Kv, AuthCache>();

/** The auth memory of this KV handle. */
export function authCacheFor(kv: Deno.Kv): AuthCache {
  let cache = caches.get(kv);
  if (!cache) caches.set(kv, cache = new AuthCache());
  return cache;
}

/** Drops a user's remembered auth in this process, at once (after committing a change). */
export function forgetAuth(kv: Deno.Kv, userId: string): void {
  caches.get(kv)?.forgetUser(userId);
}
