/**
 * A counting semaphore per host, so that many requests for feeds of one origin never open
 * more than a few connections to it at once (politeness, and no amplification through us).
 */

interface Slot {
  active: number;
  readonly waiting: Array<() => void>;
}

/**
 * Caps concurrent work per host. Idle hosts hold no memory.
 * @example
 * ```ts
 * const limiter = new HostLimiter(4);
 * const release = await limiter.acquire("feeds.example.org");
 * try { await work(); } finally { release(); }
 * ```
 */
export class HostLimiter {
  readonly #max: number;
  readonly #slots = new Map<string, Slot>();

  constructor(maxPerHost = 4) {
    if (!(maxPerHost >= 1)) throw new RangeError("maxPerHost must be at least 1");
    this.#max = maxPerHost;
  }

  /** Hosts with work in progress or waiting (for tests and metrics). */
  get busyHosts(): number {
    return this.#slots.size;
  }

  /**
   * Waits for a permit for `host`; the returned function gives it back (idempotent).
   * @throws the signal's reason when the signal aborts while waiting.
   */
  acquire(host: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    const key = host.toLowerCase();
    let slot = this.#slots.get(key);
    if (!slot) this.#slots.set(key, slot = { active: 0, waiting: [] });
    const owned = slot;
    const release = this.#releaser(key, owned);
    if (owned.active < this.#max) {
      owned.active++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve(release);
      };
      const onAbort = () => {
        const i = owned.waiting.indexOf(grant);
        if (i >= 0) owned.waiting.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      owned.waiting.push(grant);
    });
  }

  #releaser(key: string, slot: Slot): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = slot.waiting.shift();
      // The permit passes straight to the next waiter, so `active` stays the same.
      if (next) return next();
      slot.active--;
      if (slot.active === 0) this.#slots.delete(key);
    };
  }
}
