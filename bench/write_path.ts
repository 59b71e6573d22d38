/**
 * Write-path benchmark: N simulated users each making W writes, one after the other,
 * all users at once — through the actor registry and event store (no HTTP), against raw
 * KV with one commit per write, measured in the same run on fresh KV files.
 */
import { loadConfig } from "../src/config.ts";
import { encodeFeedId, encodeItemId } from "../src/domain/ids.ts";
import { silentLogger } from "../src/logger.ts";
import { createServices } from "../src/services.ts";
import { systemClock } from "../src/clock.ts";
import * as keys from "../src/store/keys.ts";

export interface WriteBenchResult {
  rawPerSec: number;
  oursPerSec: number;
  ratio: number;
  lost: number;
  commits: number;
  batchesPerCommit: number;
}

const FEED = encodeFeedId("https://bench.example.org/feed.xml");

async function freshKv(dir: string, name: string): Promise<Deno.Kv> {
  return await Deno.openKv(`${dir}/${name}.kv`);
}

async function raw(kv: Deno.Kv, users: number, writes: number): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: users }, async (_, u) => {
    for (let w = 1; w <= writes; w++) {
      const event = {
        type: "played",
        id: `raw-${u}-${w}`,
        ts: new Date().toISOString(),
        feed: FEED,
        item: encodeItemId(`ep-${w % 5}`, "https://bench.example.org/a.mp3"),
        data: { position: w, played: false },
        seq: w,
        user_id: `u${u}`,
      };
      const r = await kv.atomic().set(["raw", `u${u}`, w], event).commit();
      if (!r.ok) throw new Error("raw commit failed");
    }
  }));
  return (users * writes) / ((performance.now() - started) / 1000);
}

async function ours(kv: Deno.Kv, users: number, writes: number) {
  const config = loadConfig({ KV_PATH: "bench", KV_QUEUES: "off" });
  const deps = createServices({ kv, config, clock: systemClock, logger: silentLogger });
  const started = performance.now();
  await Promise.all(Array.from({ length: users }, async (_, u) => {
    for (let w = 1; w <= writes; w++) {
      await deps.registry.execute(`u${u}`, {
        type: "RecordPlay",
        data: {
          feed: FEED,
          item: encodeItemId(`ep-${w % 5}`, "https://bench.example.org/a.mp3"),
          position: w,
        },
      });
    }
  }));
  const rate = (users * writes) / ((performance.now() - started) / 1000);
  await deps.projector.idle();
  await deps.projector.drainAll();
  let lost = 0;
  for (let u = 0; u < users; u++) {
    const head = await deps.store.head(`u${u}`);
    if (head.seq !== writes) lost += writes - head.seq;
  }
  const projected = await kv.get<Deno.KvU64>(keys.statKey("projected_total"));
  const projectedLost = users * writes - Number(projected.value?.value ?? 0n);
  await deps.registry.drain();
  await deps.projector.stop();
  return { rate, lost: lost + Math.abs(projectedLost), stats: deps.committer.stats };
}

/** Runs both sides and returns their rates. */
export async function benchWritePath(users = 1000, writes = 10): Promise<WriteBenchResult> {
  const dir = await Deno.makeTempDir({ prefix: "balados-bench-" });
  try {
    const kvRaw = await freshKv(dir, "raw");
    const rawPerSec = await raw(kvRaw, users, writes);
    kvRaw.close();
    const kvOurs = await freshKv(dir, "ours");
    const o = await ours(kvOurs, users, writes);
    kvOurs.close();
    return {
      rawPerSec,
      oursPerSec: o.rate,
      ratio: o.rate / rawPerSec,
      lost: o.lost,
      commits: o.stats.commits,
      batchesPerCommit: o.stats.ops / Math.max(1, o.stats.commits),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
