/**
 * The listener's data rights (SPEC §4.7, §7.3): `DELETE /history {feed?, item?}` erases
 * listening history (everything, a feed or an episode) and `DELETE /account` deletes the
 * account and everything stored about it.
 */
import { Hono } from "hono";
import { feedAt, itemAt } from "../input.ts";
import {
  completeHistoryErasure,
  eraseAccount,
  requestAccountDeletion,
} from "../../src/lifecycle/erase.ts";
import type { AppDeps } from "../../src/services.ts";
import type { ErasureMarker } from "../../src/store/event_store.ts";
import { requireScope } from "../auth_middleware.ts";
import { readJsonObject } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { execute } from "./_helpers.ts";

/** How long `DELETE /account` waits for the erasure before answering 202. */
const ACCOUNT_WAIT_MS = 10_000;

/** `/history` and `/account`. */
export function accountRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.delete("/history", requireScope("user.privacy.write"), async (c) => {
    // The scope may come in the body or, for clients that send no DELETE body, the query.
    const body = await readJsonObject(c);
    const rawFeed = body.feed ?? body.rss_source_feed ?? c.req.query("feed");
    const rawItem = body.item ?? body.rss_source_item ?? c.req.query("item");
    const feed = rawFeed === undefined ? undefined : feedAt(rawFeed, "feed").feed;
    const item = rawItem === undefined ? undefined : itemAt(rawItem, "item").item;
    const r = await execute(deps, c, { type: "RemoveHistory", data: { feed, item } });
    const removal = r.events.find((e) => e.type === "events_removed");
    if (!removal || removal.type !== "events_removed") {
      throw new HttpError(500, "internal_error", "The erasure was not recorded.");
    }
    const { userId } = c.get("auth");
    const marker: Extract<ErasureMarker, { kind: "history" }> = {
      kind: "history",
      seq: removal.seq,
      scope: removal.data.scope,
      ...(removal.feed === undefined ? {} : { feed: removal.feed }),
      ...(removal.item === undefined ? {} : { item: removal.item }),
    };
    const deleted = await completeHistoryErasure(deps, userId, marker);
    return c.json({
      status: "erased",
      scope: marker.scope,
      rss_source_feed: marker.feed ?? null,
      rss_source_item: marker.item ?? null,
      events_deleted: deleted,
    });
  });

  app.delete("/account", requireScope("*"), async (c) => {
    const { userId, username } = c.get("auth");
    const marker = await requestAccountDeletion(deps, userId);
    if (!marker) throw new HttpError(404, "not_found", "This account does not exist any more.");
    let done = false;
    const erasure = eraseAccount(deps, userId, marker).then(() => (done = true), (err) => {
      // The erase sweep picks the marker up again.
      deps.logger.error("account erasure failed", { error: String(err) });
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      erasure,
      new Promise((resolve) => (timer = setTimeout(resolve, ACCOUNT_WAIT_MS))),
    ]);
    clearTimeout(timer);
    return c.json({ status: done ? "deleted" : "deleting", username }, done ? 200 : 202);
  });

  return app;
}
