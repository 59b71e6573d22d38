/**
 * The connection guard on a thread of its own (a Worker), so that relaying every request's
 * bytes — two reads and two loopback writes each — costs the HTTP server's main thread
 * nothing. The two threads share memory rather than messages for what the server reads on
 * every request: the guard writes a relay connection's client address into a shared table
 * (by its loopback port) before it forwards the first byte, so the server always finds it;
 * the counters live in shared memory too.
 */
import type { GuardCounters, GuardOptions, GuardStats, PeerTable } from "./guard.ts";

/** Bytes per port in the shared table: a length word, then the address in ASCII. */
const SLOT = 64;
const MAX_ADDRESS = SLOT - 4;
const PORTS = 65_536;
const COUNTERS = ["open", "refused", "headerTimeouts", "idleTimeouts", "arriving"] as const;

/** A {@linkcode PeerTable} in a SharedArrayBuffer that both threads see. */
export class SharedPeerTable implements PeerTable {
  readonly #lengths: Int32Array;
  readonly #bytes: Uint8Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(PORTS * SLOT)) {
    this.#lengths = new Int32Array(buffer);
    this.#bytes = new Uint8Array(buffer);
  }

  /** The memory to hand to the other thread. */
  get buffer(): SharedArrayBuffer {
    return this.#bytes.buffer as SharedArrayBuffer;
  }

  get(port: number): string | undefined {
    const length = Atomics.load(this.#lengths, port * (SLOT / 4));
    if (length === 0) return undefined;
    const at = port * SLOT + 4;
    return String.fromCharCode(...this.#bytes.subarray(at, at + length));
  }

  set(port: number, address: string): void {
    // Addresses are ASCII (IPv4, IPv6 with a zone); an odd one is kept as "unknown",
    // never left out: a missing entry must not make a client look like loopback.
    const text = address.length <= MAX_ADDRESS && /^[\x21-\x7e]+$/.test(address)
      ? address
      : "unknown";
    const at = port * SLOT + 4;
    for (let i = 0; i < text.length; i++) this.#bytes[at + i] = text.charCodeAt(i);
    Atomics.store(this.#lengths, port * (SLOT / 4), text.length);
  }

  delete(port: number): void {
    Atomics.store(this.#lengths, port * (SLOT / 4), 0);
  }
}

/** Guard counters in shared memory (an object of accessors, like a plain one). */
export function sharedCounters(
  buffer: SharedArrayBuffer = new SharedArrayBuffer(COUNTERS.length * 4),
): GuardCounters & { readonly buffer: SharedArrayBuffer } {
  const words = new Int32Array(buffer);
  const out = { buffer } as GuardCounters & { buffer: SharedArrayBuffer };
  COUNTERS.forEach((name, i) =>
    Object.defineProperty(out, name, {
      enumerable: true,
      get: () => Atomics.load(words, i),
      set: (v: number) => Atomics.store(words, i, v),
    })
  );
  return out;
}

/** What the guard thread is told to start with (functions and tables stay on each side). */
export type GuardThreadOptions = Omit<GuardOptions, "onListen" | "peers" | "counters">;

/** The main thread's handle on the guard thread. */
export class GuardThread {
  readonly #worker: Worker;
  readonly #peers: SharedPeerTable;
  readonly #counters: GuardCounters;

  private constructor(worker: Worker, peers: SharedPeerTable, counters: GuardCounters) {
    this.#worker = worker;
    this.#peers = peers;
    this.#counters = counters;
  }

  /**
   * Starts the guard thread; resolves once it listens.
   * @throws {Error} when it cannot listen (the port is taken, no permission).
   */
  static async start(
    options: GuardThreadOptions,
  ): Promise<{ guard: GuardThread; addr: Deno.NetAddr }> {
    const worker = new Worker(new URL("./guard_worker.ts", import.meta.url).href, {
      type: "module",
    });
    const peers = new SharedPeerTable();
    const counters = sharedCounters();
    const listening = new Promise<Deno.NetAddr>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent) => {
        if (e.data?.type === "listening") resolve(e.data.addr);
        else if (e.data?.type === "error") reject(new Error(e.data.message));
      };
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
    });
    worker.postMessage({ type: "start", options, peers: peers.buffer, counters: counters.buffer });
    try {
      const addr = await listening;
      return { guard: new GuardThread(worker, peers, counters), addr };
    } catch (err) {
      worker.terminate();
      throw err;
    }
  }

  /** The client address behind a connection the server got from the guard. */
  peerOf(backendSidePort: number): string | undefined {
    return this.#peers.get(backendSidePort);
  }

  /** Live counters for `/metrics`. */
  get stats(): GuardStats {
    return this.#counters;
  }

  /** Stops accepting connections (those open go on). */
  stopAccepting(): void {
    this.#worker.postMessage({ type: "stop" });
  }

  /** Resolves once every accepted connection's first request reached the server, or later. */
  async settle(maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    while (this.#counters.arriving > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Closes every connection and ends the thread. */
  close(): void {
    this.#worker.terminate();
  }
}
