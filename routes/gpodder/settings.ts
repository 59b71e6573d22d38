/**
 * gpodder sync groups (`/api/2/sync-devices/{u}.json`) and settings
 * (`/api/2/settings/{u}/{scope}.json`). Subscriptions are user-wide here (every device
 * shares them, as AntennaPod expects), so sync groups are kept and reported as given.
 */
import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import { shortHash } from "../../src/store/hash.ts";
import * as keys from "../../src/store/keys.ts";
import type { AppDeps } from "../../src/services.ts";
import { HttpError } from "../errors.ts";
import { bodyJson, checkUser, type GpEnv, stem } from "./_gp.ts";

const SCOPES = ["account", "device", "podcast", "episode"] as const;
/** Most settings one scope keeps, and bytes of one value. */
const MAX_KEYS = 100;
const MAX_VALUE_BYTES = 4096;

function bad(message: string): HttpError {
  return new HttpError(400, "invalid_request", message);
}

function stringList(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || !/^[\w.-]{1,64}$/.test(x))) {
    throw bad(`${what} must list device ids.`);
  }
  return v as string[];
}

/** Mount inside the gpodder sub-app; `auth` is its authentication middleware. */
export function settingsRoutes(deps: AppDeps, auth: MiddlewareHandler<GpEnv>): Hono<GpEnv> {
  const app = new Hono<GpEnv>();
  const { kv } = deps;

  const syncAnswer = async (userId: string) => {
    const groups = (await kv.get<{ groups: string[][] }>(keys.gpSyncKey(userId))).value?.groups ??
      [];
    const grouped = new Set(groups.flat());
    const all: string[] = [];
    for await (const e of kv.list<{ id: string }>({ prefix: keys.devicePrefix(userId) })) {
      all.push(e.value.id);
    }
    return { synchronized: groups, "not-synchronized": all.filter((d) => !grouped.has(d)) };
  };

  app.get("/api/2/sync-devices/:file", auth, async (c) => {
    const user = checkUser(c, stem(c.req.param("file"), ["json"]).name);
    return c.json(await syncAnswer(user.id));
  });

  app.post("/api/2/sync-devices/:file", auth, async (c) => {
    const user = checkUser(c, stem(c.req.param("file"), ["json"]).name);
    const body = await bodyJson(c, {});
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw bad('Expected {"synchronize": [[…]], "stop-synchronize": […]}.');
    }
    const o = body as Record<string, unknown>;
    const join = o.synchronize === undefined ? [] : o.synchronize;
    if (!Array.isArray(join)) throw bad("synchronize must be a list of device lists.");
    const add = join.map((g) => stringList(g, "synchronize"));
    const stop = new Set(stringList(o["stop-synchronize"], "stop-synchronize"));
    const entry = await kv.get<{ groups: string[][] }>(keys.gpSyncKey(user.id));
    let groups = (entry.value?.groups ?? []).map((g) => g.filter((d) => !stop.has(d)));
    for (const g of add) {
      // Groups that share a device merge.
      const members = new Set(g);
      const rest: string[][] = [];
      for (const old of groups) {
        if (old.some((d) => members.has(d))) old.forEach((d) => members.add(d));
        else rest.push(old);
      }
      groups = [...rest, [...members]];
    }
    groups = groups.filter((g) => g.length > 1);
    await kv.atomic().check(entry).set(keys.gpSyncKey(user.id), { groups }).commit();
    return c.json(await syncAnswer(user.id));
  });

  const target = async (scope: string, q: (name: string) => string | undefined) => {
    switch (scope) {
      case "account":
        return "";
      case "device": {
        const d = q("device");
        if (!d || !/^[\w.-]{1,64}$/.test(d)) throw bad("device is required.");
        return d;
      }
      case "podcast": {
        const p = q("podcast");
        if (!p) throw bad("podcast is required.");
        return await shortHash(`podcast:${p}`);
      }
      default: {
        const p = q("podcast"), e = q("episode");
        if (!p || !e) throw bad("podcast and episode are required.");
        return await shortHash(`episode:${p}\n${e}`);
      }
    }
  };

  app.get("/api/2/settings/:u/:file", auth, async (c) => {
    const user = checkUser(c, c.req.param("u"));
    const scope = stem(c.req.param("file"), ["json"]).name;
    if (!SCOPES.includes(scope as typeof SCOPES[number])) throw bad("Unknown settings scope.");
    const key = keys.gpSettingsKey(user.id, scope, await target(scope, (n) => c.req.query(n)));
    return c.json((await kv.get<Record<string, unknown>>(key)).value ?? {});
  });

  app.post("/api/2/settings/:u/:file", auth, async (c) => {
    const user = checkUser(c, c.req.param("u"));
    const scope = stem(c.req.param("file"), ["json"]).name;
    if (!SCOPES.includes(scope as typeof SCOPES[number])) throw bad("Unknown settings scope.");
    const key = keys.gpSettingsKey(user.id, scope, await target(scope, (n) => c.req.query(n)));
    const body = await bodyJson(c, {});
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw bad('Expected {"set": {…}, "remove": […]}.');
    }
    const o = body as Record<string, unknown>;
    const set = o.set ?? {};
    if (set === null || typeof set !== "object" || Array.isArray(set)) {
      throw bad("set must be an object.");
    }
    const remove = o.remove ?? [];
    if (!Array.isArray(remove) || remove.some((k) => typeof k !== "string")) {
      throw bad("remove must list setting names.");
    }
    for (const [k, v] of Object.entries(set)) {
      if (k.length > 100 || new TextEncoder().encode(JSON.stringify(v)).length > MAX_VALUE_BYTES) {
        throw bad(`Setting ${k.slice(0, 40)} is too large.`);
      }
    }
    const entry = await kv.get<Record<string, unknown>>(key);
    const next: Record<string, unknown> = { ...(entry.value ?? {}), ...set };
    // A null value unsets the key: answers never carry null (SPEC §9).
    for (const [k, v] of Object.entries(set)) if (v === null) delete next[k];
    for (const k of remove as string[]) delete next[k];
    if (Object.keys(next).length > MAX_KEYS) throw bad(`At most ${MAX_KEYS} settings per scope.`);
    await kv.atomic().check(entry).set(key, next).commit();
    return c.json(next);
  });

  return app;
}
