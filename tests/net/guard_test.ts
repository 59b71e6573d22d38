/**
 * The connection guard in front of Deno.serve: slow headers and silent connections are
 * closed, one address cannot hold more than its share, and the server learns who the
 * client is.
 */
import assert from "node:assert/strict";
import { ConnectionGuard, type GuardOptions } from "../../src/net/guard.ts";
import { freePort } from "../_support/process.ts";

async function withGuard(
  options: Partial<GuardOptions>,
  fn: (port: number, guard: ConnectionGuard) => Promise<void>,
): Promise<void> {
  const peers: string[] = [];
  const ref: { guard?: ConnectionGuard } = {};
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req, info) => {
    peers.push(ref.guard?.peerOf(info.remoteAddr.port) ?? "?");
    if (new URL(req.url).pathname === "/slow-answer") {
      // An answer that takes a while to stream: the client is silent meanwhile.
      const body = new ReadableStream({
        async start(c) {
          for (let i = 0; i < 6; i++) {
            c.enqueue(new TextEncoder().encode("x"));
            await new Promise((r) => setTimeout(r, 100));
          }
          c.close();
        },
      });
      return new Response(body);
    }
    if (new URL(req.url).pathname === "/two-writes") {
      // The head and the body leave in separate writes, as many answers do.
      const body = new ReadableStream({
        async start(c) {
          await new Promise((r) => setTimeout(r, 1));
          c.enqueue(new TextEncoder().encode("part one;"));
          await new Promise((r) => setTimeout(r, 1));
          c.enqueue(new TextEncoder().encode("part two"));
          c.close();
        },
      });
      return new Response(body);
    }
    return new Response(`hello ${peers.at(-1)}`);
  });
  const port = freePort();
  const guard = ref.guard = new ConnectionGuard({
    hostname: "127.0.0.1",
    port,
    backendPort: server.addr.port,
    headerTimeoutMs: 300,
    idleTimeoutMs: 300,
    maxPerAddress: 3,
    maxConnections: 100,
    ...options,
  });
  const serving = guard.serve();
  try {
    await fn(port, guard);
  } finally {
    guard.close();
    await serving;
    await server.shutdown();
  }
}

/** Opens a raw connection and says whether the guard closed it within `ms`. */
async function closedWithin(conn: Deno.Conn, ms: number): Promise<boolean> {
  const buf = new Uint8Array(1024);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const r = await Promise.race([
    conn.read(buf).then((n) => n === null ? "closed" : "data", () => "closed"),
    new Promise((ok) => (timer = setTimeout(() => ok("open"), ms))),
  ]);
  clearTimeout(timer);
  return r === "closed";
}

Deno.test("a request through the guard is answered, and the server knows the client's address", async () => {
  await withGuard({}, async (port) => {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await res.text(), "hello 127.0.0.1");
  });
});

Deno.test("headers trickled slowly (slowloris) get the connection closed at the deadline", async () => {
  await withGuard({}, async (port, guard) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n"));
    const slow = (async () => {
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setTimeout(r, 100));
        try {
          await conn.write(new TextEncoder().encode(`X-${i}: y\r\n`));
        } catch {
          return;
        }
      }
    })();
    assert.ok(await closedWithin(conn, 1_000), "closed before the headers ever end");
    await slow;
    conn.close();
    assert.equal(guard.stats.headerTimeouts, 1);
  });
});

Deno.test("a connection silent after its request is closed, one busy answering is not", async () => {
  await withGuard({}, async (port, guard) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("GET /slow-answer HTTP/1.1\r\nHost: x\r\n\r\n"));
    // The answer streams for 600 ms (twice the idle timeout): it arrives whole.
    const chunks: string[] = [];
    const buf = new Uint8Array(4096);
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      chunks.push(new TextDecoder().decode(buf.subarray(0, n)));
      if (chunks.join("").includes("xxxxxx") || chunks.join("").endsWith("0\r\n\r\n")) break;
    }
    assert.match(chunks.join("").replace(/\r\n[0-9a-f]+\r\n/g, ""), /x.*x/s);
    // Then nothing more from the client: closed after the idle timeout.
    assert.ok(await closedWithin(conn, 1_500));
    conn.close();
    assert.ok(guard.stats.idleTimeouts >= 1);
  });
});

Deno.test("one address cannot hold more connections than its cap", async () => {
  await withGuard(
    { loopbackUncapped: false, maxPerAddress: 3, headerTimeoutMs: 5_000 },
    async (port, guard) => {
      const held = await Promise.all(
        Array.from({ length: 3 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
      );
      await new Promise((r) => setTimeout(r, 50));
      const extra = await Deno.connect({ hostname: "127.0.0.1", port });
      assert.ok(await closedWithin(extra, 1_000), "the fourth is refused");
      extra.close();
      assert.equal(guard.stats.refused, 1);
      for (const c of held) c.close();
    },
  );
});

Deno.test("a connection that never sends a byte is closed at the header deadline", async () => {
  await withGuard({}, async (port, guard) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    assert.ok(await closedWithin(conn, 1_000));
    conn.close();
    assert.equal(guard.stats.headerTimeouts, 1);
  });
});

Deno.test("headers past the size cap get the connection closed without reaching the server", async () => {
  await withGuard({ maxHeaderBytes: 1024, headerTimeoutMs: 5_000 }, async (port, guard) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode(`GET / HTTP/1.1\r\nX-Big: ${"a".repeat(2048)}`));
    assert.ok(await closedWithin(conn, 1_000));
    conn.close();
    assert.equal(guard.stats.open, 0);
  });
});

Deno.test("many requests on one kept-alive connection are all relayed, answers in order", async () => {
  await withGuard({}, async (port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const buf = new Uint8Array(4096);
    for (let i = 0; i < 50; i++) {
      await conn.write(new TextEncoder().encode(`GET /r${i} HTTP/1.1\r\nHost: x\r\n\r\n`));
      let text = "";
      while (!/hello 127\.0\.0\.1$/.test(text)) {
        const n = await conn.read(buf);
        assert.notEqual(n, null, `answer ${i} arrived`);
        text += new TextDecoder().decode(buf.subarray(0, n!));
      }
      assert.match(text, /^HTTP\/1\.1 200/);
    }
    conn.close();
  });
});

Deno.test("answers written in several pieces are relayed without waiting for delayed ACKs", async () => {
  await withGuard({}, async (port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const buf = new Uint8Array(4096);
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      await conn.write(new TextEncoder().encode("GET /two-writes HTTP/1.1\r\nHost: x\r\n\r\n"));
      let text = "";
      while (!text.endsWith("0\r\n\r\n")) {
        const n = await conn.read(buf);
        assert.notEqual(n, null);
        text += new TextDecoder().decode(buf.subarray(0, n!));
      }
    }
    // With Nagle's algorithm on the relay, each answer's last piece waits for the client's
    // delayed ACK (≈ 40 ms): twenty answers would take 800 ms or more.
    const ms = performance.now() - started;
    assert.ok(ms < 600, `20 answers took ${ms.toFixed(0)} ms`);
    conn.close();
  });
});
