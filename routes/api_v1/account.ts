/**
 * The listener's data rights (SPEC §4.7, §7.3): `DELETE /history {feed?, item?}` erases
 * listening history (everything, a feed or an episode) and `DELETE /account` deletes the
 * account and everything stored about it.
 */
import { Hono } from "hono";
import { feedAt, itemAt } from "../input.ts";
import { deleteAccount, eraseHistory } from "../../src/lifecycle/data_rights.ts";
import type { AppDeps } from "../../src/services.ts";
import { requireScope } from "../auth_middleware.ts";
import { readJsonObject } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";

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
    const { userId, device } = c.get("auth");
    const r = await eraseHistory(deps, userId, { feed, item }, device);
    return c.json({
      status: "erased",
      scope: r.scope,
      rss_source_feed: r.feed ?? null,
      rss_source_item: r.item ?? null,
      events_deleted: r.eventsDeleted,
    });
  });

  app.delete("/account", requireScope("*"), async (c) => {
    const { userId, username } = c.get("auth");
    const status = await deleteAccount(deps, userId, ACCOUNT_WAIT_MS);
    if (!status) throw new HttpError(404, "not_found", "This account does not exist any more.");
    return c.json({ status, username }, status === "deleted" ? 200 : 202);
  });

  return app;
}
