/** A bounded async FIFO that hands its messages, in order, to one handler at a time. */

import { Overloaded, ShuttingDown } from "../src/overload.ts";

export { Overloaded, ShuttingDown };

export interface MailboxOptions {
  /** Most messages waiting at once. */
  capacity: number;
  /** Most messages handed to the handler in one call. */
  maxBatch?: number;
}

/**
 * Messages are processed by `handler` in arrival order, in batches of up to `maxBatch`,
 * one batch at a time. The handler must not throw (it settles each message itself).
 */
export class Mailbox<T> {
  #queue: T[] = [];
  #busy = false;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  #handler: (batch: T[]) => Promise<void>;
  #capacity: number;
  #maxBatch: number;

  constructor(handler: (batch: T[]) => Promise<void>, options: MailboxOptions) {
    this.#handler = handler;
    this.#capacity = options.capacity;
    this.#maxBatch = options.maxBatch ?? 64;
  }

  /** Messages waiting plus the batch being handled (0 when idle). */
  get pending(): number {
    return this.#queue.length + (this.#busy ? 1 : 0);
  }

  /** True when nothing waits and nothing is being handled. */
  get idle(): boolean {
    return !this.#busy && this.#queue.length === 0;
  }

  /**
   * Queues a message.
   * @throws {Overloaded} when the mailbox is full.
   * @throws {ShuttingDown} after close().
   */
  post(message: T): void {
    if (this.#closed) throw new ShuttingDown();
    if (this.#queue.length >= this.#capacity) throw new Overloaded();
    this.#queue.push(message);
    if (!this.#busy) this.#drain();
  }

  /** Refuses new messages; those already queued are still handled. */
  close(): void {
    this.#closed = true;
  }

  /** Resolves once the mailbox is empty and idle. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      try {
        await this.#handler(batch);
      } catch {
        // The handler settles each message itself; a throw here must not stop the loop.
      }
    }
    this.#busy = false;
    for (const w of this.#idleWaiters.splice(0)) w();
  }
}
