/**
 * A coalescing background drain: `kick()` starts `drain` unless one is running, in which case
 * the running one goes round once more when it ends, so any number of kicks cost at most
 * one extra drain. Used by the projector and the play-gateway processor.
 */
export class DrainLoop {
  #drain: () => Promise<unknown>;
  #onError: (err: unknown) => void;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  /** `onError` hears a failed drain; the loop then stops until the next kick. */
  constructor(drain: () => Promise<unknown>, onError: (err: unknown) => void) {
    this.#drain = drain;
    this.#onError = onError;
  }

  /** Asks for a drain soon; kicks during a drain coalesce into one more. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop().finally(() => (this.#running = undefined));
  }

  /** Resolves when no drain is running. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops accepting kicks and waits for the current drain. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.idle();
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#drain();
      } catch (err) {
        this.#onError(err);
        return; // a cron sweep or the next kick tries again
      }
    } while (this.#again && !this.#stopped);
  }
}
