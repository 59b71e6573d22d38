/**
 * A connection guard in front of `Deno.serve`, which has no header or idle timeouts and no
 * cap on connections: without it, a thousand slow connections (slowloris) stay open for
 * ever. The guard accepts the public TCP connections itself, refuses an address's
 * connections past a cap, closes a connection whose first request headers are not complete
 * within a deadline or that stays silent too long, and otherwise relays bytes both ways to
 * the HTTP server listening on loopback. The server learns each client's address from the
 * guard (`peerOf`), by the loopback port the guard connected from.
 */

/** How the guard treats connections. */
export interface GuardOptions {
  /** The public address. */
  readonly hostname?: string;
  readonly port: number;
  /** Where the HTTP server listens (loopback). */
  readonly backendPort: number;
  /** The first request's headers must be complete within this time. */
  readonly headerTimeoutMs: number;
  /** A connection with no byte from the client for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Connections one address may hold at once. */
  readonly maxPerAddress: number;
  /**
   * Addresses the per-address cap does not apply to: loopback and the trusted reverse
   * proxies carry many clients' connections.
   */
  readonly uncapped?: readonly string[];
  /** Loopback clients are uncapped too (default true: a local reverse proxy is one). */
  readonly loopbackUncapped?: boolean;
  /** Connections in all. */
  readonly maxConnections: number;
  /** Headers larger than this without an end are refused. */
  readonly maxHeaderBytes?: number;
  readonly onListen?: (addr: Deno.NetAddr) => void;
}

/** Counters for `/metrics`. */
export interface GuardStats {
  open: number;
  refused: number;
  headerTimeouts: number;
  idleTimeouts: number;
}

const CRLFCRLF = [13, 10, 13, 10];

function headersEnd(buf: Uint8Array, length: number): boolean {
  outer: for (let i = 0; i + 3 < length; i++) {
    for (let j = 0; j < 4; j++) if (buf[i + j] !== CRLFCRLF[j]) continue outer;
    return true;
  }
  return false;
}

function close(c: Deno.Conn): void {
  try {
    c.close();
  } catch {
    // already closed
  }
}

/** A read in progress that can be waited for with a deadline, several times. */
class PendingRead {
  readonly #promise: Promise<number | null>;
  constructor(conn: Deno.Conn, buf: Uint8Array) {
    // A read still pending when the connection closes fails: that is an end, not an error.
    this.#promise = conn.read(buf).catch(() => null);
  }
  async within(ms: number): Promise<number | null | "timeout"> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), ms)));
    try {
      return await Promise.race([this.#promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The guard; `serve()` runs until `close()`. */
export class ConnectionGuard {
  readonly stats: GuardStats = { open: 0, refused: 0, headerTimeouts: 0, idleTimeouts: 0 };
  readonly #o: GuardOptions;
  readonly #perAddress = new Map<string, number>();
  /** Loopback port of a relay connection → the client's address. */
  readonly #peers = new Map<number, string>();
  #listener: Deno.Listener | undefined;
  readonly #conns = new Set<Deno.Conn>();
  /** Connections accepted whose first request has not reached the server yet. */
  #arriving = 0;

  constructor(options: GuardOptions) {
    this.#o = options;
  }

  /** The client address behind a connection the server got from this guard. */
  peerOf(backendSidePort: number): string | undefined {
    return this.#peers.get(backendSidePort);
  }

  /** Accepts connections until closed. */
  async serve(): Promise<void> {
    const listener = this.#listener = Deno.listen({
      hostname: this.#o.hostname ?? "0.0.0.0",
      port: this.#o.port,
    });
    this.#o.onListen?.(listener.addr as Deno.NetAddr);
    try {
      for await (const conn of listener) void this.#handle(conn);
    } catch {
      // the listener was closed
    }
  }

  /** Stops accepting connections (those open go on until they end or `close()`). */
  stopAccepting(): void {
    try {
      this.#listener?.close();
    } catch {
      // already closed
    }
  }

  /**
   * Resolves once every accepted connection's first request has reached the server (or
   * `maxMs` passed): a graceful stop answers what was already accepted.
   */
  async settle(maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    while (this.#arriving > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  }

  /** Stops accepting and closes every open connection. */
  close(): void {
    this.stopAccepting();
    for (const c of this.#conns) close(c);
  }

  #isUncapped(ip: string): boolean {
    const loopback = ip === "::1" || ip.startsWith("127.") || ip === "::ffff:127.0.0.1";
    return (loopback && this.#o.loopbackUncapped !== false) ||
      (this.#o.uncapped ?? []).includes(ip);
  }

  async #handle(client: Deno.Conn): Promise<void> {
    const ip = (client.remoteAddr as Deno.NetAddr).hostname;
    const held = this.#perAddress.get(ip) ?? 0;
    const capped = !this.#isUncapped(ip) && held >= this.#o.maxPerAddress;
    if (capped || this.stats.open >= this.#o.maxConnections) {
      this.stats.refused++;
      close(client);
      return;
    }
    this.#perAddress.set(ip, held + 1);
    this.stats.open++;
    this.#conns.add(client);
    let backend: Deno.Conn | undefined;
    let arriving = true;
    this.#arriving++;
    try {
      const head = await this.#readHeaders(client);
      if (!head) return;
      backend = await Deno.connect({ hostname: "127.0.0.1", port: this.#o.backendPort });
      this.#conns.add(backend);
      const port = (backend.localAddr as Deno.NetAddr).port;
      this.#peers.set(port, ip);
      try {
        await backend.write(head);
        this.#arriving--;
        arriving = false;
        const activity = { last: Date.now() };
        await Promise.race([
          this.#pump(client, backend, activity),
          this.#pump(backend, client, activity),
        ]);
      } finally {
        this.#peers.delete(port);
      }
    } catch {
      // a reset or a refused backend: the connection ends
    } finally {
      if (arriving) this.#arriving--;
      close(client);
      if (backend) {
        close(backend);
        this.#conns.delete(backend);
      }
      this.#conns.delete(client);
      this.stats.open--;
      const n = (this.#perAddress.get(ip) ?? 1) - 1;
      if (n <= 0) this.#perAddress.delete(ip);
      else this.#perAddress.set(ip, n);
    }
  }

  /** The bytes up to the first request's complete headers, or null (timed out, too big). */
  async #readHeaders(client: Deno.Conn): Promise<Uint8Array | null> {
    const max = this.#o.maxHeaderBytes ?? 64 * 1024;
    const deadline = Date.now() + this.#o.headerTimeoutMs;
    const buf = new Uint8Array(max);
    let length = 0;
    while (true) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.stats.headerTimeouts++;
        return null;
      }
      const n = await new PendingRead(client, buf.subarray(length)).within(left);
      if (n === "timeout") {
        this.stats.headerTimeouts++;
        return null;
      }
      if (n === null) return null;
      length += n;
      if (headersEnd(buf, length)) return buf.slice(0, length);
      if (length >= max) return null;
    }
  }

  /**
   * Copies one direction until it ends. The connection is idle — and closed — when no byte
   * has moved either way for the idle timeout (a client receiving a long answer is not).
   */
  async #pump(from: Deno.Conn, to: Deno.Conn, activity: { last: number }): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    const idle = this.#o.idleTimeoutMs;
    let read = new PendingRead(from, buf);
    while (true) {
      const n = await read.within(idle);
      if (n === "timeout") {
        if (Date.now() - activity.last < idle) continue; // the other way is busy
        this.stats.idleTimeouts++;
        return;
      }
      if (n === null) return;
      let at = 0;
      while (at < n) at += await to.write(buf.subarray(at, n));
      activity.last = Date.now();
      read = new PendingRead(from, buf);
    }
  }
}
