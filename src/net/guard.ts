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
  /** Where the client address of each relay connection is kept (default: in memory). */
  readonly peers?: PeerTable;
  /** Where the counters are kept (default: a plain object). */
  readonly counters?: GuardCounters;
}

/** Relay connection's loopback port → the client's address. */
export interface PeerTable {
  get(port: number): string | undefined;
  set(port: number, address: string): void;
  delete(port: number): void;
}

/** Counters for `/metrics`. */
export interface GuardStats {
  open: number;
  refused: number;
  headerTimeouts: number;
  idleTimeouts: number;
}

/** The counters, and the connections whose first request has not reached the server. */
export interface GuardCounters extends GuardStats {
  arriving: number;
}

/** Whether `buf[0, length)` holds CRLFCRLF, looking only from `from` on. */
function headersEnd(buf: Uint8Array, from: number, length: number): boolean {
  for (let i = Math.max(0, from - 3); i + 3 < length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return true;
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

/**
 * One client connection's clock: until its first request's headers are in, the time they
 * must be in by; then the last time a byte moved either way. The guard's sweep reads it,
 * so the bytes themselves are relayed without a timer per read.
 */
interface Watch {
  readonly client: Deno.Conn;
  backend?: Deno.Conn;
  /** Headers not complete yet: their deadline (ms); 0 once relaying. */
  headerDeadline: number;
  lastActivity: number;
}

/** The guard; `serve()` runs until `close()`. */
export class ConnectionGuard {
  readonly stats: GuardCounters;
  readonly #o: GuardOptions;
  readonly #perAddress = new Map<string, number>();
  readonly #peers: PeerTable;
  #listener: Deno.Listener | undefined;
  readonly #watches = new Set<Watch>();
  #sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(options: GuardOptions) {
    this.#o = options;
    this.#peers = options.peers ?? new Map<number, string>();
    this.stats = options.counters ??
      { open: 0, refused: 0, headerTimeouts: 0, idleTimeouts: 0, arriving: 0 };
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
    // One sweep closes late and silent connections: a deadline is met within a quarter of
    // the shorter timeout (at most a second late), and no read carries a timer of its own.
    const tick = Math.min(
      1_000,
      Math.max(10, Math.min(this.#o.headerTimeoutMs, this.#o.idleTimeoutMs) / 4),
    );
    this.#sweeper = setInterval(() => this.#sweep(), tick);
    Deno.unrefTimer(this.#sweeper);
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
    while (this.stats.arriving > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops accepting and closes every open connection. */
  close(): void {
    this.stopAccepting();
    clearInterval(this.#sweeper);
    for (const w of this.#watches) this.#drop(w);
  }

  #isUncapped(ip: string): boolean {
    const loopback = ip === "::1" || ip.startsWith("127.") || ip === "::ffff:127.0.0.1";
    return (loopback && this.#o.loopbackUncapped !== false) ||
      (this.#o.uncapped ?? []).includes(ip);
  }

  /** Closes what has outlived its deadline: headers too slow, or silence too long. */
  #sweep(): void {
    const now = Date.now();
    for (const w of this.#watches) {
      if (w.headerDeadline > 0) {
        if (now < w.headerDeadline) continue;
        this.stats.headerTimeouts++;
      } else {
        if (now - w.lastActivity < this.#o.idleTimeoutMs) continue;
        this.stats.idleTimeouts++;
      }
      this.#drop(w);
    }
  }

  /** Closes both sides; the reads pending on them end, and #handle cleans up. */
  #drop(w: Watch): void {
    this.#watches.delete(w);
    close(w.client);
    if (w.backend) close(w.backend);
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
    const now = Date.now();
    const watch: Watch = {
      client,
      headerDeadline: now + this.#o.headerTimeoutMs,
      lastActivity: now,
    };
    this.#watches.add(watch);
    let arriving = true;
    this.stats.arriving++;
    let port = -1;
    try {
      const head = await this.#readHeaders(client);
      if (!head || !this.#watches.has(watch)) return;
      watch.headerDeadline = 0; // from here on, only silence closes it
      watch.lastActivity = Date.now();
      const backend = watch.backend = await Deno.connect({
        hostname: "127.0.0.1",
        port: this.#o.backendPort,
      });
      // A relayed answer often comes in two writes (head, then body): with Nagle's algorithm
      // the second waits for the client's delayed ACK, tens of milliseconds.
      noDelay(client);
      noDelay(backend);
      if (!this.#watches.has(watch)) return; // swept or closed meanwhile
      port = (backend.localAddr as Deno.NetAddr).port;
      this.#peers.set(port, ip);
      await writeAll(backend, head);
      this.stats.arriving--;
      arriving = false;
      await Promise.race([this.#pump(client, backend, watch), this.#pump(backend, client, watch)]);
    } catch {
      // a reset or a refused backend: the connection ends
    } finally {
      if (port >= 0) this.#peers.delete(port);
      if (arriving) this.stats.arriving--;
      this.#drop(watch);
      this.stats.open--;
      const n = (this.#perAddress.get(ip) ?? 1) - 1;
      if (n <= 0) this.#perAddress.delete(ip);
      else this.#perAddress.set(ip, n);
    }
  }

  /** The bytes up to the first request's complete headers, or null (closed, too big). */
  async #readHeaders(client: Deno.Conn): Promise<Uint8Array | null> {
    const buf = new Uint8Array(this.#o.maxHeaderBytes ?? 64 * 1024);
    let length = 0;
    while (length < buf.length) {
      // The sweep closes the connection at the deadline, which ends this read.
      const n = await client.read(buf.subarray(length));
      if (n === null) return null;
      length += n;
      if (headersEnd(buf, length - n, length)) return buf.slice(0, length);
    }
    return null;
  }

  /**
   * Copies one direction until it ends. The connection is idle — and the sweep closes it —
   * when no byte has moved either way for the idle timeout (a client receiving a long
   * answer is not).
   */
  async #pump(from: Deno.Conn, to: Deno.Conn, watch: Watch): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    while (true) {
      const n = await from.read(buf);
      if (n === null) return;
      await writeAll(to, buf.subarray(0, n));
      watch.lastActivity = Date.now();
    }
  }
}

function noDelay(conn: Deno.Conn): void {
  try {
    (conn as Deno.TcpConn).setNoDelay(true);
  } catch {
    // not a TCP connection (or closed already)
  }
}

async function writeAll(to: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await to.write(bytes.subarray(at));
}
