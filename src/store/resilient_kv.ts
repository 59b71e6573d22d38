/**
 * Transient KV errors are retried, not surfaced. Two processes on one SQLite file meet
 * "database is locked"; a KV Connect database has transport errors. Every read, write and
 * atomic commit made through `resilientKv(kv)` is retried with bounded, jittered backoff
 * while the error is one of those; a logical error (a value too large, a bad key) is
 * thrown at once. An atomic commit is replayed from its recorded operations, so its checks
 * are evaluated again (a retry never commits over a write it did not see).
 */

/** True for errors that another attempt may not meet (lock contention, transport). */
export function isTransientKvError(err: unknown): boolean {
  const text = err instanceof Error ? `${err.name} ${err.message}` : String(err);
  return /database is locked|database table is locked|SQLITE_BUSY|busy|\bBusy\b|error sending request|connection (reset|refused|closed)|broken pipe|timed out|temporarily unavailable|service unavailable/i
    .test(text);
}

/** How retries are spaced. */
export interface RetryOptions {
  /** Attempts in all (default 8). */
  readonly attempts?: number;
  /** First backoff in ms (default 5); it doubles, with full jitter, up to `maxDelayMs`. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Called on each retried error (metrics). */
  readonly onRetry?: (err: unknown) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn`, retrying transient KV errors with jittered exponential backoff. */
export async function withKvRetry<T>(fn: () => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const attempts = o.attempts ?? 10;
  let delay = o.baseDelayMs ?? 5;
  for (let i = 1;; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isTransientKvError(err)) throw err;
      o.onRetry?.(err);
      await sleep(Math.random() * delay);
      delay = Math.min(delay * 2, o.maxDelayMs ?? 1_000);
    }
  }
}

type Op = (a: Deno.AtomicOperation) => void;

/** An atomic operation that records its steps, so a retried commit replays them. */
class RetryingAtomic {
  #kv: Deno.Kv;
  #ops: Op[] = [];
  #o: RetryOptions;
  constructor(kv: Deno.Kv, o: RetryOptions) {
    this.#kv = kv;
    this.#o = o;
  }
  #add(op: Op): this {
    this.#ops.push(op);
    return this;
  }
  check(...checks: Deno.AtomicCheck[]) {
    return this.#add((a) => a.check(...checks));
  }
  mutate(...mutations: Deno.KvMutation[]) {
    return this.#add((a) => a.mutate(...mutations));
  }
  sum(key: Deno.KvKey, n: bigint) {
    return this.#add((a) => a.sum(key, n));
  }
  min(key: Deno.KvKey, n: bigint) {
    return this.#add((a) => a.min(key, n));
  }
  max(key: Deno.KvKey, n: bigint) {
    return this.#add((a) => a.max(key, n));
  }
  set(key: Deno.KvKey, value: unknown, options?: { expireIn?: number }) {
    return this.#add((a) => a.set(key, value, options));
  }
  delete(key: Deno.KvKey) {
    return this.#add((a) => a.delete(key));
  }
  enqueue(value: unknown, options?: Parameters<Deno.AtomicOperation["enqueue"]>[1]) {
    return this.#add((a) => a.enqueue(value, options));
  }
  commit(): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
    return withKvRetry(() => {
      const a = this.#kv.atomic();
      for (const op of this.#ops) op(a);
      return a.commit();
    }, this.#o);
  }
}

/** A list that resumes from its cursor after a transient error. */
async function* resilientList<T>(
  kv: Deno.Kv,
  selector: Deno.KvListSelector,
  options: Deno.KvListOptions | undefined,
  o: RetryOptions,
): AsyncGenerator<Deno.KvEntry<T>> {
  let cursor = options?.cursor;
  let left = options?.limit;
  for (let failures = 0;;) {
    const iter = kv.list<T>(selector, { ...options, cursor, limit: left });
    try {
      for await (const e of iter) {
        yield e;
        failures = 0;
        cursor = iter.cursor;
        if (left !== undefined) left--;
      }
      return;
    } catch (err) {
      if (++failures >= (o.attempts ?? 8) || !isTransientKvError(err)) throw err;
      o.onRetry?.(err);
      await sleep(Math.random() * Math.min(5 * 2 ** failures, o.maxDelayMs ?? 500));
    }
  }
}

/**
 * Wraps a KV handle so that every operation retries transient errors. The wrapper is a
 * `Deno.Kv` for its users; `close`, `listenQueue`, `watch` pass through.
 */
export function resilientKv(kv: Deno.Kv, o: RetryOptions = {}): Deno.Kv {
  return new Proxy(kv, {
    get(target, prop, receiver) {
      switch (prop) {
        case "get":
        case "getMany":
        case "set":
        case "delete":
        case "enqueue": {
          const fn = Reflect.get(target, prop, receiver) as (...a: unknown[]) => Promise<unknown>;
          return (...args: unknown[]) => withKvRetry(() => fn.apply(target, args), o);
        }
        case "atomic":
          return () => new RetryingAtomic(target, o);
        case "list":
          return (selector: Deno.KvListSelector, options?: Deno.KvListOptions) =>
            resilientList(target, selector, options, o);
        default: {
          const v = Reflect.get(target, prop, receiver);
          return typeof v === "function" ? v.bind(target) : v;
        }
      }
    },
  });
}
