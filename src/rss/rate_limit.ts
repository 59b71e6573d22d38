/**
 * In-memory token buckets per subject (a client IP), for the proxy's cache misses
 * (SPEC §6.1). Per process: on Deno Deploy each isolate counts for itself, which only makes
 * the limit looser by the number of isolates; a cache hit never takes a token.
 */
import { type Clock, systemClock } from "../clock.ts";

/** Options of {@linkcode TokenBuckets}. */
export interface TokenBucketOptions {
  /** Tokens a fresh bucket holds (the burst). */
  capacity: number;
  /** Tokens added per minute. */
  perMinute: number;
  /** Subjects remembered at most; the least recently seen go first. Default 10,000. */
  maxSubjects?: number;
  clock?: Clock;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets keyed by subject.
 * @example
 * ```ts
 * const limits = new TokenBuckets({ capacity: 60, perMinute: 60 });
 * const wait = limits.take(ip);
 * if (wait > 0) return tooManyRequests(wait);
 * ```
 */
export class TokenBuckets {
  readonly #capacity: number;
  readonly #perMs: number;
  readonly #maxSubjects: number;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: TokenBucketOptions) {
    if (!(options.capacity >= 1) || !(options.perMinute > 0)) {
      throw new RangeError("a token bucket needs capacity ≥ 1 and a positive rate");
    }
    this.#capacity = options.capacity;
    this.#perMs = options.perMinute / 60_000;
    this.#maxSubjects = options.maxSubjects ?? 10_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** Subjects currently remembered. */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes one token for `subject`: 0 when granted, else the whole seconds to wait before
   * one is available (nothing is taken then).
   */
  take(subject: string): number {
    const now = this.#clock.now();
    const seen = this.#buckets.get(subject);
    const bucket = seen ?? { tokens: this.#capacity, at: now };
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(this.#capacity, bucket.tokens + elapsed * this.#perMs);
    bucket.at = now;
    // Re-inserted so that Map order is least recently seen first.
    this.#buckets.delete(subject);
    this.#buckets.set(subject, bucket);
    if (!seen && this.#buckets.size > this.#maxSubjects) {
      this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000));
  }
}
