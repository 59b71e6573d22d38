import assert from "node:assert/strict";
import { BulkGate } from "../src/bulk_gate.ts";

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => done = true);
  await new Promise((r) => setTimeout(r, 0));
  return done;
};

Deno.test("the bulk gate lets background work through at once when no large command runs", async () => {
  const gate = new BulkGate();
  assert.equal(await settled(gate.whenIdle(10_000)), true);
});

Deno.test("the bulk gate holds background work until every large command is done", async () => {
  const gate = new BulkGate();
  const endA = gate.begin();
  const endB = gate.begin();
  const waiting = gate.whenIdle(10_000);
  endA();
  endA(); // ending twice counts once
  assert.equal(gate.active, 1);
  assert.equal(await settled(waiting), false);
  endB();
  assert.equal(gate.active, 0);
  assert.equal(await settled(waiting), true);
});

Deno.test("the bulk gate lets background work through after its longest wait", async () => {
  const gate = new BulkGate();
  const end = gate.begin();
  const t0 = performance.now();
  await gate.whenIdle(30);
  assert.ok(performance.now() - t0 >= 25);
  end();
});
