/**
 * The gpodder.net API v2 that real clients use (SPEC §9): log-in/out, devices, subscription
 * changes, episode actions, sync groups, settings, favorites. A translation layer: uploads
 * become the domain's commands, downloads read the read models the append commit keeps.
 */
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie } from "hono/cookie";
import { DEVICE_TYPES, type DeviceType } from "../../src/domain/events.ts";
import { parseSince, unixSeconds } from "../../src/gpodder/format.ts";
import {
  actionsSince,
  favorites,
  listDevices,
  subscriptionChanges,
  touchDevice,
} from "../../src/gpodder/queries.ts";
import { deleteGpSession } from "../../src/gpodder/sessions.ts";
import { encodeFeedId } from "../../src/domain/ids.ts";
import { sanitizeUrl } from "../../src/gpodder/format.ts";
import type { AppDeps } from "../../src/services.ts";
import * as keys from "../../src/store/keys.ts";
import { HttpError } from "../errors.ts";
import { parseEpisodeActions, parseSubscriptionChanges } from "./actions_input.ts";
import {
  bodyJson,
  checkUser,
  deviceId,
  emptyOk,
  gpAuth,
  type GpEnv,
  SESSION_COOKIE,
  stem,
} from "./_gp.ts";
import { settingsRoutes } from "./settings.ts";

/** The `timestamp` to answer: a second early, so a change being committed is not missed. */
export function answerTimestamp(now: number): number {
  return Math.max(0, unixSeconds(now) - 1);
}

/** A `since` query value in ms (null when absent); 400 when it is not a Unix time. */
export function sinceMs(value: string | undefined): number | null {
  const s = parseSince(value);
  if (s === "invalid") throw new HttpError(400, "invalid_since", "since must be a Unix time.");
  return s === null ? null : s * 1000;
}

/** `/api/2/...` routes; every one authenticated. */
export function api2Routes(deps: AppDeps): Hono<GpEnv> {
  const app = new Hono<GpEnv>();
  const auth = gpAuth(deps);
  const { kv, registry } = deps;

  /** Creates the device on first use and notes its contact. */
  async function useDevice(userId: string, id: string): Promise<void> {
    await touchDevice(kv, userId, id, deps.clock.now());
    const known = await kv.get(keys.deviceKey(userId, id));
    if (!known.value) await registry.execute(userId, { type: "UpdateDevice", data: { id } });
  }

  app.post("/api/2/auth/:u/login.json", auth, (c) => {
    checkUser(c, c.req.param("u"));
    return emptyOk(c);
  });

  app.post("/api/2/auth/:u/logout.json", auth, async (c) => {
    checkUser(c, c.req.param("u"));
    const cookie = getCookie(c, SESSION_COOKIE);
    if (cookie) await deleteGpSession(deps, cookie);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return emptyOk(c);
  });

  app.get("/api/2/devices/:file", auth, async (c) => {
    const user = checkUser(c, stem(c.req.param("file"), ["json"]).name);
    return c.json(await listDevices(kv, user.id));
  });

  const updateDevice = async (c: Context<GpEnv>) => {
    const user = checkUser(c, c.req.param("u") ?? "");
    const id = deviceId(stem(c.req.param("file") ?? "", ["json"]).name);
    const body = await bodyJson(c, {});
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new HttpError(400, "invalid_request", "Expected {caption?, type?}.");
    }
    const o = body as Record<string, unknown>;
    if (o.caption !== undefined && (typeof o.caption !== "string" || o.caption.length > 200)) {
      throw new HttpError(400, "invalid_request", "caption must be a string.");
    }
    if (o.type !== undefined && !DEVICE_TYPES.includes(o.type as DeviceType)) {
      throw new HttpError(
        400,
        "invalid_request",
        `type must be one of ${DEVICE_TYPES.join(", ")}.`,
      );
    }
    await touchDevice(kv, user.id, id, deps.clock.now());
    await registry.execute(user.id, {
      type: "UpdateDevice",
      data: {
        id,
        ...(typeof o.caption === "string" && o.caption !== "" ? { caption: o.caption } : {}),
        ...(o.type === undefined ? {} : { type: o.type as DeviceType }),
      },
    });
    return emptyOk(c);
  };
  // mygpoclient 1.x uploads device settings with PUT.
  app.post("/api/2/devices/:u/:file", auth, updateDevice);
  app.put("/api/2/devices/:u/:file", auth, updateDevice);

  app.get("/api/2/subscriptions/:u/:file", auth, async (c) => {
    const user = checkUser(c, c.req.param("u"));
    const id = deviceId(stem(c.req.param("file"), ["json"]).name);
    const from = sinceMs(c.req.query("since")) ?? 0;
    const now = deps.clock.now();
    await useDevice(user.id, id);
    const changes = await subscriptionChanges(kv, user.id, from);
    return c.json({ ...changes, timestamp: answerTimestamp(now) });
  });

  app.post("/api/2/subscriptions/:u/:file", auth, async (c) => {
    const user = checkUser(c, c.req.param("u"));
    const id = deviceId(stem(c.req.param("file"), ["json"]).name);
    const { add, remove, updateUrls } = parseSubscriptionChanges(await bodyJson(c));
    await touchDevice(kv, user.id, id, deps.clock.now());
    await registry.execute(user.id, { type: "ChangeSubscriptions", data: { add, remove } }, {
      id,
    });
    return c.json({ timestamp: answerTimestamp(deps.clock.now()), update_urls: updateUrls });
  });

  app.post("/api/2/episodes/:file", auth, async (c) => {
    const user = checkUser(c, stem(c.req.param("file"), ["json"]).name);
    const now = deps.clock.now();
    const { actions, updateUrls } = parseEpisodeActions(await bodyJson(c), now);
    const devices = new Set(actions.flatMap((a) => a.device ? [a.device.id] : []));
    for (const d of devices) await touchDevice(kv, user.id, d, now);
    if (actions.length > 0) {
      await registry.execute(user.id, { type: "RecordEpisodeActions", data: { actions } });
    }
    return c.json({ timestamp: answerTimestamp(deps.clock.now()), update_urls: updateUrls });
  });

  app.get("/api/2/episodes/:file", auth, async (c) => {
    const user = checkUser(c, stem(c.req.param("file"), ["json"]).name);
    const now = deps.clock.now();
    const podcast = c.req.query("podcast");
    const device = c.req.query("device");
    const aggregated = /^(1|true|yes)$/i.test(c.req.query("aggregated") ?? "");
    const feedUrl = podcast === undefined ? undefined : sanitizeUrl(podcast);
    if (feedUrl === "") throw new HttpError(400, "invalid_request", "podcast is not a URL.");
    if (device !== undefined) {
      deviceId(device);
      await touchDevice(kv, user.id, device, now);
    }
    const actions = await actionsSince(kv, user.id, {
      sinceMs: sinceMs(c.req.query("since")),
      ...(feedUrl === undefined ? {} : { feed: encodeFeedId(feedUrl) }),
      ...(device === undefined ? {} : { device }),
      aggregated,
      now,
    });
    return c.json({ actions, timestamp: answerTimestamp(now) });
  });

  app.get("/api/2/favorites/:file", auth, async (c) => {
    const user = checkUser(c, stem(c.req.param("file"), ["json"]).name);
    return c.json(await favorites(kv, user.id));
  });

  app.route("/", settingsRoutes(deps, auth));
  return app;
}
