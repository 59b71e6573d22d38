/**
 * The Nextcloud gpoddersync endpoints (AntennaPod's and Kasts' "Nextcloud" mode, SPEC §9)
 * and Nextcloud Login Flow v2's API side. The same commands and reads as gpodder v2: only
 * the paths and a few shapes differ (uploads carry no device; answers have no update_urls).
 */
import { Hono } from "hono";
import { encodeFeedId } from "../../src/domain/ids.ts";
import { sanitizeUrl } from "../../src/gpodder/format.ts";
import { pollLoginFlow, startLoginFlow } from "../../src/gpodder/login_flow.ts";
import { actionsSince, subscriptionChanges } from "../../src/gpodder/queries.ts";
import type { AppDeps } from "../../src/services.ts";
import { HttpError } from "../errors.ts";
import { parseEpisodeActions, parseSubscriptionChanges } from "./actions_input.ts";
import { answerTimestamp, sinceMs } from "./api2.ts";
import { bodyJson, bodyText, gpAuth, type GpEnv } from "./_gp.ts";

const BASE = "/index.php/apps/gpoddersync";

/** Mount at the site root inside the gpodder sub-app. */
export function nextcloudRoutes(deps: AppDeps): Hono<GpEnv> {
  const app = new Hono<GpEnv>();
  const auth = gpAuth(deps);
  const { kv, registry } = deps;

  app.get(`${BASE}/subscriptions`, auth, async (c) => {
    const now = deps.clock.now();
    const changes = await subscriptionChanges(
      kv,
      c.get("gpUser").id,
      sinceMs(c.req.query("since")) ?? 0,
    );
    return c.json({ ...changes, timestamp: answerTimestamp(now) });
  });

  app.post(`${BASE}/subscription_change/create`, auth, async (c) => {
    const { add, remove } = parseSubscriptionChanges(await bodyJson(c));
    await registry.execute(c.get("gpUser").id, {
      type: "ChangeSubscriptions",
      data: { add, remove },
    });
    return c.json({ timestamp: answerTimestamp(deps.clock.now()) });
  });

  app.get(`${BASE}/episode_action`, auth, async (c) => {
    const now = deps.clock.now();
    const podcast = c.req.query("podcast");
    const feedUrl = podcast === undefined ? undefined : sanitizeUrl(podcast);
    if (feedUrl === "") throw new HttpError(400, "invalid_request", "podcast is not a URL.");
    const actions = await actionsSince(kv, c.get("gpUser").id, {
      sinceMs: sinceMs(c.req.query("since")),
      ...(feedUrl === undefined ? {} : { feed: encodeFeedId(feedUrl) }),
      now,
    });
    return c.json({ actions, timestamp: answerTimestamp(now) });
  });

  app.post(`${BASE}/episode_action/create`, auth, async (c) => {
    const { actions } = parseEpisodeActions(await bodyJson(c), deps.clock.now());
    if (actions.length > 0) {
      await registry.execute(c.get("gpUser").id, {
        type: "RecordEpisodeActions",
        data: { actions },
      });
    }
    return c.json({ timestamp: answerTimestamp(deps.clock.now()) });
  });

  // Login Flow v2: start (no auth) and poll (the poll token is the credential).
  app.post("/index.php/login/v2", async (c) => {
    const client = (c.req.header("User-Agent") ?? "").replace(/[^\x20-\x7e]/g, "").slice(0, 80);
    const { pageToken, pollToken } = await startLoginFlow(deps, client || "A podcast app");
    const base = deps.config.baseUrl;
    return c.json({
      poll: { token: pollToken, endpoint: `${base}/index.php/login/v2/poll` },
      login: `${base}/login/v2/flow/${pageToken}`,
    });
  });

  app.post("/index.php/login/v2/poll", async (c) => {
    const text = await bodyText(c);
    let token = new URLSearchParams(text).get("token") ?? "";
    if (token === "" && text.trim().startsWith("{")) {
      try {
        token = String(JSON.parse(text).token ?? "");
      } catch {
        token = "";
      }
    }
    const done = await pollLoginFlow(deps, token);
    if (!done) throw new HttpError(404, "not_found", "Not approved yet (or unknown).");
    return c.json({ server: deps.config.baseUrl, ...done });
  });

  return app;
}
