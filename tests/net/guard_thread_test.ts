/**
 * The connection guard on its own thread: the server behind it still learns each client's
 * address (from shared memory, before the first byte arrives), the guard still closes slow
 * headers, its counters reach the server's thread, and a port it cannot take is an error.
 */
import assert from "node:assert/strict";
import { GuardThread, sharedCounters, SharedPeerTable } from "../../src/net/guard_thread.ts";
import { freePort } from "../_support/process.ts";

async function withGuardThread(
  options: { maxPerAddress?: number; loopbackUncapped?: boolean },
  fn: (port: number, guard: GuardThread, peers: string[]) => Promise<void>,
): Promise<void> {
  const peers: string[] = [];
  const ref: { guard?: GuardThread } = {};
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (_req, info) => {
      const peer = ref.guard?.peerOf(info.remoteAddr.port) ?? "none";
      peers.push(peer);
      return new Response(`hello ${peer}`);
    },
  );
  const { guard, addr } = await GuardThread.start({
    hostname: "127.0.0.1",
    port: 0,
    backendPort: server.addr.port,
    headerTimeoutMs: 300,
    idleTimeoutMs: 300,
    maxPerAddress: options.maxPerAddress ?? 3,
    maxConnections: 100,
    ...(options.loopbackUncapped === undefined
      ? {}
      : { loopbackUncapped: options.loopbackUncapped }),
  });
  ref.guard = guard;
  try {
    await fn(addr.port, guard, peers);
  } finally {
    guard.close();
    await server.shutdown();
  }
}

Deno.test("behind the guard thread every request is answered with the client's address known", async () => {
  await withGuardThread({}, async (port, _guard, peers) => {
    const client = Deno.createHttpClient({ poolMaxIdlePerHost: 4 });
    try {
      await Promise.all(Array.from({ length: 40 }, async (_, i) => {
        const res = await fetch(`http://127.0.0.1:${port}/r${i}`, { client });
        assert.equal(await res.text(), "hello 127.0.0.1");
      }));
    } finally {
      client.close();
    }
    assert.equal(peers.length, 40);
    assert.ok(peers.every((p) => p === "127.0.0.1"));
  });
});

Deno.test("the guard thread closes trickled headers and its counters reach this thread", async () => {
  await withGuardThread({ loopbackUncapped: false, maxPerAddress: 1 }, async (port, guard) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n"));
    await new Promise((r) => setTimeout(r, 50));
    const extra = await Deno.connect({ hostname: "127.0.0.1", port });
    const buf = new Uint8Array(64);
    assert.equal(await extra.read(buf).catch(() => null), null, "a second one is refused");
    extra.close();
    assert.equal(await conn.read(buf).catch(() => null), null, "closed at the deadline");
    conn.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(guard.stats.refused, 1);
    assert.equal(guard.stats.headerTimeouts, 1);
    assert.equal(guard.stats.open, 0);
  });
});

Deno.test("a guard thread that cannot take its port says so", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: freePort() });
  try {
    await assert.rejects(
      GuardThread.start({
        hostname: "127.0.0.1",
        port: (taken.addr as Deno.NetAddr).port,
        backendPort: 1,
        headerTimeoutMs: 300,
        idleTimeoutMs: 300,
        maxPerAddress: 3,
        maxConnections: 10,
      }),
      /AddrInUse|address already in use/i,
    );
  } finally {
    taken.close();
  }
});

Deno.test("the shared peer table keeps IPv4 and IPv6 addresses and never drops an odd one", () => {
  const table = new SharedPeerTable();
  const other = new SharedPeerTable(table.buffer); // the other thread's view
  table.set(40_000, "203.0.113.7");
  table.set(65_535, "2001:db8::1");
  table.set(1, "x".repeat(100));
  table.set(2, "héllo");
  assert.equal(other.get(40_000), "203.0.113.7");
  assert.equal(other.get(65_535), "2001:db8::1");
  assert.equal(other.get(1), "unknown");
  assert.equal(other.get(2), "unknown");
  table.delete(40_000);
  assert.equal(other.get(40_000), undefined);
  const counters = sharedCounters();
  const seen = sharedCounters(counters.buffer);
  counters.open++;
  counters.refused += 2;
  assert.deepEqual({ open: seen.open, refused: seen.refused }, { open: 1, refused: 2 });
});
