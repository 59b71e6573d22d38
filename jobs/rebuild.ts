/** `deno task projections:rebuild`: recomputes every global projection from the streams. */
import type { Head } from "../src/store/event_store.ts";
import * as keys from "../src/store/keys.ts";
import type { AppDeps } from "../src/services.ts";
import { PIPELINE } from "./projector.ts";

async function deleteAll(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let n = 0;
  let atomic = kv.atomic();
  let pending = 0;
  for await (const e of kv.list({ prefix })) {
    atomic.delete(e.key);
    n++;
    if (++pending === 500) {
      await atomic.commit();
      atomic = kv.atomic();
      pending = 0;
    }
  }
  if (pending > 0) await atomic.commit();
  return n;
}

/**
 * Resets the projector's cursors and outputs, marks every user's stream as pending and
 * drains it again. Run it with the server stopped (or idle): a concurrent projection
 * during the reset could be counted twice.
 */
export async function rebuildProjections(
  deps: AppDeps,
): Promise<{ users: number; events: number }> {
  const { kv } = deps;
  await deleteAll(kv, keys.cursorPrefix(PIPELINE));
  await deleteAll(kv, keys.statPrefix("projected"));
  await kv.delete(keys.statKey("projected_total"));
  let atomic = kv.atomic();
  let pending = 0;
  for await (const h of kv.list<Head>({ prefix: keys.headPrefix() })) {
    const userId = h.key[1] as string;
    atomic.set(keys.outboxKey(userId, h.value.seq), { seq: h.value.seq });
    if (++pending === 500) {
      await atomic.commit();
      atomic = kv.atomic();
      pending = 0;
    }
  }
  if (pending > 0) await atomic.commit();
  return await deps.projector.drainAll();
}
