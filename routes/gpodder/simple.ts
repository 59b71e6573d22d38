/**
 * gpodder's simple API and directory (SPEC §9): subscription lists as OPML, JSON or text
 * (`GET /subscriptions/{u}[/{d}].{fmt}`, `PUT …/{d}.{fmt}` replaces the list), and the
 * directory from this instance's public popularity: `/toplist/{n}.{fmt}`,
 * `/search.{fmt}?q=`, `/api/2/data/podcast.json?url=`. Only feeds with public or anonymous
 * activity are listed, so the directory never tells that someone follows a feed privately.
 */
import { type Context, Hono } from "hono";
import { isoAt } from "../../src/clock.ts";
import { decodeFeedId, encodeFeedId } from "../../src/domain/ids.ts";
import { buildOpml, parseOpml } from "../../src/formats/opml.ts";
import { sanitizeUrl } from "../../src/gpodder/format.ts";
import { activeFeedUrls, touchDevice } from "../../src/gpodder/queries.ts";
import type { PopRecord } from "../../src/projections/popularity_roll.ts";
import type { AppDeps } from "../../src/services.ts";
import { type FeedMeta, feedMetas } from "../../src/store/feed_meta.ts";
import { feedHash } from "../../src/store/hash.ts";
import * as keys from "../../src/store/keys.ts";
import { HttpError } from "../errors.ts";
import { feedIdsOf } from "./actions_input.ts";
import { bodyText, checkUser, deviceId, emptyOk, gpAuth, type GpEnv, stem } from "./_gp.ts";

const FORMATS = ["opml", "json", "txt"] as const;
/** Feeds a directory search looks through (the best-scored ones). */
const SEARCH_POOL = 2_000;

/** A podcast in mygpo's directory shape. */
function podcastJson(r: PopRecord, meta: FeedMeta | undefined, feedUrl: string) {
  return {
    url: feedUrl,
    title: meta?.title ?? feedUrl,
    author: meta?.author ?? "",
    description: "",
    subscribers: r.subscriptions,
    subscribers_last_week: r.subscriptions_previous ?? 0,
    logo_url: meta?.cover ?? "",
    scaled_logo_url: meta?.cover ?? "",
    website: "",
    mygpo_link: "",
  };
}

async function topRecords(kv: Deno.Kv, limit: number): Promise<PopRecord[]> {
  const out: PopRecord[] = [];
  for await (const e of kv.list<PopRecord>({ prefix: keys.trendingPrefix("feed") }, { limit })) {
    out.push(e.value);
  }
  return out;
}

/** A list of feeds in one of the simple API's formats. */
function listIn(fmt: string, title: string, feeds: { url: string; title?: string }[], now: number) {
  if (fmt === "json") {
    return { body: JSON.stringify(feeds.map((f) => f.url)), type: "application/json" };
  }
  if (fmt === "txt") {
    return {
      body: feeds.map((f) => f.url).join("\n") + (feeds.length ? "\n" : ""),
      type: "text/plain; charset=utf-8",
    };
  }
  return { body: buildOpml(title, feeds, isoAt(now)), type: "text/x-opml; charset=utf-8" };
}

/** Mount at the site root inside the gpodder sub-app. */
export function simpleRoutes(deps: AppDeps): Hono<GpEnv> {
  const app = new Hono<GpEnv>();
  const auth = gpAuth(deps);
  const { kv } = deps;

  const answerList = async (c: Context<GpEnv>, user: string, fmt: string) => {
    const urls = await activeFeedUrls(kv, c.get("gpUser").id);
    const metas = await feedMetas(kv, urls.map(encodeFeedId));
    const feeds = urls.map((url) => ({ url, title: metas.get(encodeFeedId(url))?.title }));
    const out = listIn(fmt, `${user}'s subscriptions`, feeds, deps.clock.now());
    return c.body(out.body, 200, { "Content-Type": out.type });
  };

  app.get("/subscriptions/:file", auth, async (c) => {
    const { name, ext } = stem(c.req.param("file"), FORMATS);
    const user = checkUser(c, name);
    return await answerList(c, user.username, ext);
  });

  app.get("/subscriptions/:u/:file", auth, async (c) => {
    const user = checkUser(c, c.req.param("u"));
    const { name, ext } = stem(c.req.param("file"), FORMATS);
    await touchDevice(kv, user.id, deviceId(name), deps.clock.now());
    return await answerList(c, user.username, ext);
  });

  app.put("/subscriptions/:u/:file", auth, async (c) => {
    const user = checkUser(c, c.req.param("u"));
    const { name, ext } = stem(c.req.param("file"), FORMATS);
    const id = deviceId(name);
    const text = await bodyText(c);
    let urls: string[];
    if (ext === "json") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text.trim() === "" ? "[]" : text);
      } catch {
        throw new HttpError(400, "invalid_json", "The body is not valid JSON.");
      }
      if (!Array.isArray(parsed) || parsed.some((u) => typeof u !== "string")) {
        throw new HttpError(400, "invalid_request", "Expected a JSON list of feed URLs.");
      }
      urls = parsed as string[];
    } else if (ext === "txt") {
      urls = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    } else {
      urls = text.trim() === "" ? [] : parseOpml(text).map((o) => o.xmlUrl);
    }
    if (urls.length > 10_000) throw new HttpError(413, "too_many", "At most 10,000 feeds.");
    await touchDevice(kv, user.id, id, deps.clock.now());
    await deps.registry.execute(user.id, {
      type: "ReplaceSubscriptions",
      data: { feeds: feedIdsOf(urls) },
    }, { id });
    return emptyOk(c);
  });

  app.get("/toplist/:file", async (c) => {
    const { name, ext } = stem(c.req.param("file"), FORMATS);
    if (!/^\d{1,3}$/.test(name) || Number(name) < 1 || Number(name) > 100) {
      throw new HttpError(400, "invalid_request", "The toplist size is 1 to 100.");
    }
    const records = await topRecords(kv, Number(name));
    const metas = await feedMetas(kv, records.map((r) => r.feed));
    return directoryAnswer(c, ext, "Top podcasts", records, metas, deps.clock.now());
  });

  for (const ext of FORMATS) app.get(`/search.${ext}`, (c) => search(c, ext));
  const search = async (c: Context<GpEnv>, ext: string) => {
    const q = (c.req.query("q") ?? "").trim().toLowerCase();
    if (q === "" || q.length > 200) {
      throw new HttpError(400, "invalid_request", "q is a search text of 1 to 200 characters.");
    }
    const records = await topRecords(kv, SEARCH_POOL);
    const metas = await feedMetas(kv, records.map((r) => r.feed));
    const words = q.split(/\s+/);
    const hits = records.filter((r) => {
      const m = metas.get(r.feed);
      const text = `${m?.title ?? ""} ${m?.author ?? ""} ${m?.feed_url ?? ""}`.toLowerCase();
      return words.every((w) => text.includes(w));
    }).slice(0, 100);
    return directoryAnswer(c, ext, `Search: ${q}`, hits, metas, deps.clock.now());
  };

  app.get("/api/2/data/podcast.json", async (c) => {
    const url = sanitizeUrl(c.req.query("url") ?? "");
    if (url === "") throw new HttpError(400, "invalid_request", "url must be a feed URL.");
    const feed = encodeFeedId(url);
    const record = (await kv.get<PopRecord>(keys.popTotalKey("feed", await feedHash(feed)))).value;
    if (!record) throw new HttpError(404, "not_found", "This podcast is not in the directory.");
    const metas = await feedMetas(kv, [feed]);
    return c.json(podcastJson(record, metas.get(feed), url));
  });

  // Tags are not kept: the answers are the (real) empty lists.
  app.get("/api/2/tags/:file", (c) => {
    stem(c.req.param("file"), ["json"]);
    return c.json([]);
  });
  app.get("/api/2/tag/:tag/:file", (c) => {
    stem(c.req.param("file"), ["json"]);
    return c.json([]);
  });

  return app;
}

function directoryAnswer(
  c: Context,
  ext: string,
  title: string,
  records: PopRecord[],
  metas: Map<string, FeedMeta>,
  now: number,
) {
  const entries = records.map((r) => {
    const meta = metas.get(r.feed);
    return { record: r, meta, url: decodeFeedId(r.feed).feedUrl };
  });
  if (ext === "json") return c.json(entries.map((e) => podcastJson(e.record, e.meta, e.url)));
  const list = entries.map((e) => ({ url: e.url, title: e.meta?.title }));
  const out = listIn(ext, title, list, now);
  return c.body(out.body, 200, { "Content-Type": out.type });
}
