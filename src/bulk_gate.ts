/**
 * Large commands in progress in this process (a first sync of thousands of items, an OPML
 * import): while one runs, background work that competes for the same KV writer (the
 * projector) waits, so the listener's answer comes first and the projections follow it.
 */
export class BulkGate {
  #active = 0;
  #waiters: (() => void)[] = [];

  /** Large commands running now. */
  get active(): number {
    return this.#active;
  }

  /** Marks a large command as running; call the returned function once it is done. */
  begin(): () => void {
    this.#active++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.#active > 0) return;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    };
  }

  /**
   * Resolves when no large command runs, or after `maxMs` at most (a stream of imports
   * never starves the projector).
   */
  whenIdle(maxMs: number): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== finish);
        resolve();
      }, maxMs);
      this.#waiters.push(finish);
    });
  }
}
