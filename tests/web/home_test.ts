import assert from "node:assert/strict";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import { saveFeedMeta } from "../../src/store/feed_meta.ts";
import { Browser } from "../_support/auth_app.ts";
import { buildPageApp, itemWith, loggedIn } from "./_pages.ts";

const FEED_URL = "https://feeds.example.org/show.xml";
const FEED = encodeFeedId(FEED_URL);
const ITEM = encodeItemId("ep-1", "https://cdn.example.org/ep-1.mp3");
const OTHER = encodeItemId("ep-2", "https://cdn.example.org/ep-2.mp3");

Deno.test("home page: a visitor gets the landing page with log-in, registration, Discover and Timeline", async () => {
  const t = await buildPageApp();
  try {
    const res = await new Browser(t.app).get("/");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/html/);
    const html = await res.text();
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<title>Welcome · Balados Sync<\/title>/);
    assert.match(html, /Balados Sync is an open, self-hostable server/);
    assert.match(html, /<a class="button" href="\/users\/log_in">Log in to your account<\/a>/);
    assert.match(html, /href="\/users\/register">Create an account<\/a>/);
    assert.match(html, /<a href="\/discover">Discover<\/a>: /);
    assert.match(html, /<a href="\/timeline">Timeline<\/a>: /);
  } finally {
    await t.close();
  }
  const closed = await buildPageApp({ REGISTRATION: "closed" });
  try {
    const html = await (await new Browser(closed.app).get("/")).text();
    assert.doesNotMatch(html, /\/users\/register/);
    assert.match(html, /Log in to your account/);
  } finally {
    await closed.close();
  }
});

Deno.test("home page: an in-progress play is listed under Continue listening with a progress bar and a resume link", async () => {
  const t = await buildPageApp();
  try {
    const { b, userId } = await loggedIn(t);
    await saveFeedMeta(t.kv, {
      feed: FEED,
      feedUrl: FEED_URL,
      title: "The Show",
      cover: "https://cdn.example.org/cover.jpg",
      episodes: [{ item: ITEM, title: "First <episode>" }, { item: OTHER, title: "Second" }],
    }, { now: t.clock.now() });
    const run = (command: Parameters<typeof t.deps.registry.execute>[1]) =>
      t.deps.registry.execute(userId, command);
    await run({
      type: "RecordPlay",
      data: { feed: FEED, item: ITEM, position: 754, duration: 1800 },
    });
    t.clock.advance(1000);
    await run({
      type: "RecordPlay",
      data: { feed: FEED, item: OTHER, position: 60, played: true },
    });
    t.clock.advance(1000);
    await run({ type: "SaveEpisode", data: { feed: FEED, item: OTHER } });

    const res = await b.get("/");
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<title>Home · Balados Sync<\/title>/);
    assert.match(html, /<a href="\/" aria-current="page">Home<\/a>/);
    const continueAt = html.indexOf('id="continue-heading"');
    const latestAt = html.indexOf('id="latest-heading"');
    const part = html.slice(continueAt, latestAt);
    const row = itemWith(part, "First &lt;episode&gt;");
    assert.ok(row.includes('src="https://cdn.example.org/cover.jpg"'));
    assert.match(row, /The Show/);
    assert.match(
      row,
      /<progress max="1800" value="754" aria-label="Progress of First &lt;episode&gt;">/,
    );
    assert.match(row, /12:34 of 30:00/);
    assert.ok(
      row.includes(
        `<a class="button small" href="/episodes/${ITEM}?feed=${FEED}" aria-label="Resume First &lt;episode&gt;">Resume</a>`,
      ),
    );
    assert.doesNotMatch(part, /Second/, "a played episode is not in progress");

    const activity = html.slice(html.indexOf('id="activity-heading"'));
    assert.match(activity, /Saved <a href="\/episodes\/[^"]+">Second<\/a>/);
    assert.match(activity, /Played <a href="\/episodes\/[^"]+">Second<\/a>/);
    assert.match(activity, /Listened to 12:34 of <a href="\/episodes\/[^"]+">First/);
    assert.ok(
      activity.indexOf("Saved") < activity.indexOf("Played") &&
        activity.indexOf("Played") < activity.indexOf("Listened"),
      "newest first",
    );
  } finally {
    await t.close();
  }
});

Deno.test("home page: a new listener sees empty sections that point to adding a podcast", async () => {
  const t = await buildPageApp();
  try {
    const { b } = await loggedIn(t);
    const html = await (await b.get("/")).text();
    assert.match(html, /Nothing in progress/);
    assert.match(html, /No episodes yet\. <a href="\/subscriptions">Add a podcast<\/a>/);
    assert.match(html, /Nothing yet\./);
  } finally {
    await t.close();
  }
});
