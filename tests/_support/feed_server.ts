/**
 * A fixture feed origin on 127.0.0.1, port 0. A raw TCP front counts every connection
 * (even one that never sends a request) and relays it to a `Deno.serve` backend, so tests
 * can assert that a refused fetch made no connection at all.
 *
 * Routes: `/feed.xml`, `/fixtures/<file>` (tests/_support/fixtures), `/etag.xml`
 * (ETag + Last-Modified, 304 on a match), `/stall` (never answers), `/stall-body` (headers,
 * one chunk, then nothing), `/big` (20 MiB streamed), `/big-declared` (20 MiB with a
 * Content-Length), `/gzip-bomb` (~20 MiB of zeros, gzip-encoded), `/redirect/<n>` (n ≥ 1
 * redirects, then `/feed.xml`), `/status/<code>` (that status with a body that must never
 * be echoed).
 */

/** One request as the backend saw it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Headers;
}

/** Options of {@linkcode startFeedServer}. */
export interface FeedServerOptions {
  /** Delay before answering feed routes (ms). */
  latencyMs?: number;
  /** More routes by exact path, answered before the built-in ones (and without the delay). */
  routes?: Readonly<Record<string, (req: Request) => Response | Promise<Response>>>;
}

/** A running fixture origin. */
export interface FeedServer extends AsyncDisposable {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** TCP connections accepted so far. */
  readonly connections: number;
  readonly requests: readonly RecordedRequest[];
  latencyMs: number;
  close(): Promise<void>;
}

/** The body of `/feed.xml`. */
export const SMALL_FEED = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Small</title>
<item><guid>small-1</guid><title>One</title>
<enclosure url="https://cdn.example.com/1.mp3" length="1" type="audio/mpeg"/></item>
</channel></rss>
`;
/** The strong validator `/etag.xml` answers with. */
export const FIXTURE_ETAG = '"v1"';
const LAST_MODIFIED = "Wed, 14 Jan 2026 08:00:00 GMT";
const MIB = 1024 * 1024;
const FIXTURES = new URL("./fixtures/", import.meta.url);

/** Reads a fixture feed from tests/_support/fixtures. */
export function readFixture(name: string): Promise<string> {
  return Deno.readTextFile(new URL(name, FIXTURES));
}

let bombBytes: Promise<Uint8Array<ArrayBuffer>> | undefined;

async function gzipZeros(bytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const zeros = new Uint8Array(MIB);
  const source = new ReadableStream<BufferSource>({
    start(c) {
      for (let i = 0; i < bytes / MIB; i++) c.enqueue(zeros);
      c.close();
    },
  });
  const compressed = source.pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(compressed).arrayBuffer());
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

function stream(total: number, closing: AbortSignal, stallAfter?: number): ReadableStream {
  const chunk = new TextEncoder().encode("<".repeat(64 * 1024));
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      if (stallAfter !== undefined && sent >= stallAfter) {
        await new Promise((r) => closing.addEventListener("abort", r, { once: true }));
      }
      if (sent >= total || closing.aborted) return c.close();
      c.enqueue(chunk);
      sent += chunk.byteLength;
    },
  });
}

/** Starts the fixture origin; close it (or `await using`) at the end of the test. */
export async function startFeedServer(options: FeedServerOptions = {}): Promise<FeedServer> {
  // Compressed once per test process: ~20 KiB on the wire, 20 MiB once decoded.
  const bomb = await (bombBytes ??= gzipZeros(20 * MIB));
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  const stopBackend = new AbortController();
  let connections = 0;
  const state = { latencyMs: options.latencyMs ?? 0 };

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    requests.push({ method: req.method, path: url.pathname, headers: req.headers });
    const extra = options.routes && Object.hasOwn(options.routes, url.pathname)
      ? options.routes[url.pathname]
      : undefined;
    if (extra) return await extra(req);
    const xml = { "content-type": "application/rss+xml; charset=utf-8" };
    await delay(state.latencyMs, closing.signal);
    const path = url.pathname;
    if (path === "/feed.xml") return new Response(SMALL_FEED, { headers: xml });
    if (path.startsWith("/fixtures/")) {
      const body = await Deno.readFile(new URL(path.slice(10), FIXTURES)).catch(() => null);
      return body ? new Response(body, { headers: xml }) : new Response("nope", { status: 404 });
    }
    if (path === "/etag.xml") {
      const validators = { etag: FIXTURE_ETAG, "last-modified": LAST_MODIFIED };
      if (req.headers.get("if-none-match") === FIXTURE_ETAG) {
        return new Response(null, { status: 304, headers: validators });
      }
      return new Response(SMALL_FEED, { headers: { ...xml, ...validators } });
    }
    if (path === "/stall") {
      await new Promise((r) => closing.signal.addEventListener("abort", r, { once: true }));
      return new Response("too late", { status: 503 });
    }
    if (path === "/stall-body") {
      return new Response(stream(20 * MIB, closing.signal, 1), { headers: xml });
    }
    if (path === "/big") return new Response(stream(20 * MIB, closing.signal), { headers: xml });
    if (path === "/big-declared") {
      return new Response(new Uint8Array(20 * MIB), { headers: xml });
    }
    if (path === "/gzip-bomb") {
      return new Response(bomb, { headers: { ...xml, "content-encoding": "gzip" } });
    }
    const redirect = /^\/redirect\/(\d+)$/.exec(path);
    if (redirect) {
      const n = Number(redirect[1]);
      const location = n <= 1 ? "/feed.xml" : `/redirect/${n - 1}`;
      return new Response(null, { status: 302, headers: { location } });
    }
    const status = /^\/status\/(\d{3})$/.exec(path);
    if (status) return new Response("SECRET-UPSTREAM-BODY", { status: Number(status[1]) });
    return new Response("not found", { status: 404 });
  }

  const backend = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: stopBackend.signal, onListen() {} },
    handle,
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const relays: Promise<void>[] = [];

  async function relay(conn: Deno.Conn): Promise<void> {
    open.add(conn);
    let up: Deno.Conn | undefined;
    try {
      up = await Deno.connect({ hostname: "127.0.0.1", port: backend.addr.port });
      open.add(up);
      await Promise.allSettled([
        conn.readable.pipeTo(up.writable),
        up.readable.pipeTo(conn.writable),
      ]);
    } catch {
      // The relay ends when either side goes away.
    } finally {
      for (const c of [conn, up]) {
        if (!c) continue;
        open.delete(c);
        try {
          c.close();
        } catch {
          // Already closed by the pipe.
        }
      }
    }
  }

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        connections++;
        relays.push(relay(conn));
      }
    } catch {
      // The listener was closed.
    }
  })();

  const port = listener.addr.port;
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      closing.abort();
      listener.close();
      await accepting;
      for (const c of open) {
        try {
          c.close();
        } catch {
          // Already closed.
        }
      }
      await Promise.allSettled(relays);
      stopBackend.abort();
      await backend.finished;
    })();

  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    requests,
    get latencyMs() {
      return state.latencyMs;
    },
    set latencyMs(ms: number) {
      state.latencyMs = ms;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
