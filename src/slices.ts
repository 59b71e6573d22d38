/**
 * Long work on the main thread cut into short stretches (waking a big listener, writing
 * its checkpoint), so that other requests run between them instead of waiting for the
 * whole of it.
 */

/** Stretch of work (ms) after which a loop gives the event loop a turn. */
const SLICE_MS = 2;

/**
 * Lets the event loop run what is ready (I/O, timers, other requests) before going on.
 * A message port rather than `setTimeout(0)`, which is clamped to 4 ms once nested.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port2.onmessage = () => {
      port1.close();
      port2.close();
      resolve();
    };
    port1.postMessage(null);
  });
}

/**
 * Tells a loop when it has worked long enough to give the event loop a turn.
 * @example
 * const slices = new Slices();
 * for (const x of many) {
 *   work(x);
 *   if (slices.due()) await yieldToEventLoop();
 * }
 */
export class Slices {
  #since = performance.now();
  #ms: number;

  constructor(ms: number = SLICE_MS) {
    this.#ms = ms;
  }

  /** True (and the stretch starts again) once the current stretch has lasted long enough. */
  due(): boolean {
    const now = performance.now();
    if (now - this.#since < this.#ms) return false;
    this.#since = now;
    return true;
  }

  /** Yields when the current stretch has lasted long enough. */
  async pause(): Promise<void> {
    if (this.due()) {
      await yieldToEventLoop();
      this.#since = performance.now();
    }
  }
}
