/** Subscriptions (SPEC §4.2): list, subscribe, unsubscribe, OPML export and import. */
import { Hono } from "hono";
import { isActive } from "../../src/domain/state.ts";
import { feedAt, Fields } from "../input.ts";
import { isoAt } from "../../src/clock.ts";
import type { AppDeps } from "../../src/services.ts";
import {
  importOpml,
  OPML_DOWNLOAD_HEADERS,
  subscriptionsOpml,
} from "../../src/subscription_opml.ts";
import { describeSubscriptions, isActiveView, listSubscriptions } from "../../src/store/queries.ts";
import { headPoint, subscriptionsSince } from "../../src/store/delta_queries.ts";
import { readSyncToken, syncToken } from "../../src/store/sync_changes.ts";
import { requireScope } from "../auth_middleware.ts";
import { readJsonObject } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { execute } from "./_helpers.ts";

/** `/subscriptions…`, scopes `user.subscriptions.read|write`. */
export function subscriptionRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = requireScope("user.subscriptions.read");
  const write = requireScope("user.subscriptions.write");

  // `?since=<sync_token>`: only the subscriptions changed after that token (unsubscribed
  // ones included, `include` is ignored) and a new `sync_token`; a token the server can no
  // longer answer from gets every subscription with `full: true`. Without `since` the answer
  // also carries the `sync_token` of the list it gives.
  app.get("/subscriptions", read, async (c) => {
    const userId = c.get("auth").userId;
    const now = deps.clock.now();
    const sinceParam = c.req.query("since") || undefined;
    let answer;
    if (sinceParam !== undefined) {
      const since = await readSyncToken(userId, sinceParam, { now });
      answer = await subscriptionsSince(deps, userId, since, now);
    } else {
      const head = await headPoint(deps, userId, now);
      const includeAll = c.req.query("include") === "all";
      const subscriptions = await listSubscriptions(deps.kv, userId, { includeAll });
      answer = { subscriptions, sync_token: await syncToken(userId, head) };
    }
    // Titles come from the metadata cache: fetch the missing ones in the background.
    deps.feeds.backfillMeta(
      answer.subscriptions.filter((s) => !s.feed_title && isActiveView(s))
        .map((s) => s.rss_source_feed),
    );
    return c.json(answer);
  });

  app.post("/subscriptions", write, async (c) => {
    const body = await readJsonObject(c);
    const { feed } = feedAt(body.rss_source_feed, "rss_source_feed");
    const f = new Fields();
    const rss_source_id = f.str(body, "rss_source_id", { optional: true, max: 256 });
    f.done();
    const r = await execute(deps, c, { type: "Subscribe", data: { feed, rss_source_id } });
    const wasActive = isActive(r.before.subscriptions.get(feed));
    const [sub] = await describeSubscriptions(deps.kv, [
      r.state.subscriptions.get(feed)!,
    ]);
    // 201 only when this request made the subscription; a repeat (or a new source id) is 200.
    return c.json(sub, r.events.length > 0 && !wasActive ? 201 : 200);
  });

  app.get("/subscriptions/export.opml", read, async (c) => {
    const auth = c.get("auth");
    const user = { id: auth.userId, username: auth.username };
    const xml = await subscriptionsOpml(deps.kv, user, isoAt(deps.clock.now()));
    return c.body(xml, 200, OPML_DOWNLOAD_HEADERS);
  });

  app.post("/subscriptions/import", write, async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const auth = c.get("auth");
    return c.json(await importOpml(deps, auth.userId, bytes, auth.device));
  });

  app.delete("/subscriptions/:feed", write, async (c) => {
    const { feed } = feedAt(c.req.param("feed"), "feed");
    const r = await execute(deps, c, { type: "Unsubscribe", data: { feed } });
    const [sub] = await describeSubscriptions(deps.kv, [
      r.state.subscriptions.get(feed)!,
    ]);
    return c.json(sub);
  });

  return app;
}
