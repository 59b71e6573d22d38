import assert from "node:assert/strict";
import { buildTestApp } from "../_support/app.ts";

Deno.test("a request body that trickles past BODY_TIMEOUT is a 408, not a held connection", async () => {
  const t = await buildTestApp({ env: { BODY_TIMEOUT: "200ms" } });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode("{"));
      // ...and nothing more for a long time.
      timer = setTimeout(() => c.close(), 5_000);
    },
  });
  const started = performance.now();
  const res = await t.app.request("/api/v1/sync", {
    method: "POST",
    body,
    headers: { "Content-Type": "application/json" },
    // @ts-ignore: a streamed request body needs duplex in fetch's Request
    duplex: "half",
  });
  assert.equal(res.status, 408);
  assert.equal((await res.json()).error.code, "request_timeout");
  assert.ok(performance.now() - started < 2_000);
  clearTimeout(timer);
  await t.close();
});
