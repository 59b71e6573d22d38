/**
 * A listener's whole journey in real Chromium, each step against the real server (`main.ts`
 * on loopback, the fixture podcast of `./_fixtures.ts`): register, add the podcast by its
 * URL with the keyboard alone, play an episode, seek and pause, find the position on the
 * history, the dashboard and `GET /api/v1/play`, reload into the synced position, save the
 * episode, build a playlist, watch the podcast on /discover and /timeline and then make it
 * private (its own level set on its page, then changed on /privacy), OPML out and back in,
 * the JSON export, erase one episode's history, delete the account. Every page visited gets `checkPage` (axe light and dark, 390 px, CSP) in its
 * fullest state: a list with rows, a preview or a confirmation open.
 */
import assert from "node:assert/strict";
import { authorizationJwt, generateAppKeys, requestJwt } from "../_support/jwt.ts";
import {
  BROWSER_PASSWORD,
  checkPage,
  focusState,
  type Page,
  registerInBrowser,
  startBrowserHarness,
} from "./_browser.ts";
import { AUDIO_SECONDS, COVER_PATH, EPISODE_TITLES, PODCAST_TITLE } from "./_fixtures.ts";

const USER = "lena";
const PLAYLIST = "Morning walk";
const [THIRD, SECOND] = EPISODE_TITLES;
/** Where the test seeks to. */
const SEEK_TO = 12;

/** Presses Tab until `test` holds for the focus; every stop must show a focus outline. */
async function tabUntil(
  page: Page,
  what: string,
  test: (f: Awaited<ReturnType<typeof focusState>>) => boolean,
  maxStops = 40,
): Promise<void> {
  for (let i = 0; i < maxStops; i++) {
    await page.keyboard.press("Tab");
    const focus = await focusState(page);
    assert.ok(
      focus.focusVisible && focus.outline !== "none",
      `focus on ${focus.tag}#${focus.id} "${focus.text}" has no visible outline`,
    );
    if (test(focus)) return;
  }
  throw new Error(`${what} was not reached with ${maxStops} presses of Tab`);
}

/**
 * Polls the page expression `expr` until it is truthy. (`page.waitForFunction` evaluates a
 * string with `eval`, which the pages' CSP refuses; `evaluate` goes through DevTools.)
 */
async function until(page: Page, expr: string, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!await page.evaluate(expr)) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reloads `page` at `path` until `ready` holds (a projection runs in the background). */
async function pollPage(
  page: Page,
  path: string,
  what: string,
  ready: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (true) {
    await page.goto(path);
    if (await ready()) return;
    if (Date.now() > until) throw new Error(`${path}: ${what} within ${timeoutMs} ms`);
    await page.waitForTimeout(250);
  }
}

/** The titles in the list named `name` (an `aria-label` or heading). */
async function listText(page: Page, name: string): Promise<string> {
  const list = page.getByRole("list", { name });
  return await list.count() === 0 ? "" : (await list.textContent() ?? "");
}

/** Downloads what clicking `link` offers; returns the file name and text. */
async function download(page: Page, link: string) {
  const [file] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: link }).click(),
  ]);
  const path = await file.path();
  return { name: file.suggestedFilename(), path, text: await Deno.readTextFile(path) };
}

Deno.test("a listener's whole journey works in a real browser", async (t) => {
  await using h = await startBrowserHarness();
  const page = await h.newPage();
  const visitor = await h.newPage();
  const started = Date.now();
  /** The episode page of the third episode, and its ids. */
  let episodePath = "";
  let feed = "";
  let item = "";
  let playlistPath = "";

  await h.step(t, "a visitor sees the landing page", visitor, async () => {
    await visitor.goto("/");
    assert.equal(await visitor.title(), "Welcome · Balados Sync");
    await visitor.getByRole("link", { name: "Log in to your account" }).waitFor();
    await visitor.getByRole("link", { name: "Create an account" }).waitFor();
    await checkPage(visitor);
  });

  await h.step(t, "registers and lands on an empty dashboard", page, async () => {
    await registerInBrowser(page, USER);
    assert.equal(new URL(page.url()).pathname, "/");
    await page.getByText("Nothing in progress.").waitFor();
  });

  await h.step(
    t,
    "adds the fixture podcast by its URL with the keyboard alone, after a preview",
    page,
    async () => {
      await page.goto("/subscriptions");
      await page.getByText("You do not follow any podcast yet.").waitFor();
      await tabUntil(page, "#feed-url", (f) => f.id === "feed-url");
      await page.keyboard.type(h.feedUrl);
      await page.keyboard.press("Enter");
      const preview = page.getByRole("region", { name: PODCAST_TITLE });
      await preview.getByRole("heading", { name: PODCAST_TITLE }).waitFor();
      await preview.getByText("The Test Team").waitFor();
      await preview.getByText("3 episodes; the newest: Episode three: seeking").waitFor();
      const cover = preview.locator("img.cover");
      assert.ok((await cover.getAttribute("src"))?.endsWith(COVER_PATH));
      // Loaded, not broken: decode() rejects for an image that failed.
      await page.evaluate(`document.querySelector(".preview img.cover").decode()`);
      assert.equal(await page.getByLabel("Feed URL").inputValue(), h.feedUrl, "the URL is kept");
      await checkPage(page);

      const confirm = `Subscribe to ${PODCAST_TITLE}`;
      await tabUntil(page, `the "${confirm}" button`, (f) => f.text === "Subscribe");
      assert.equal(
        await page.evaluate("document.activeElement.getAttribute('aria-label')"),
        confirm,
      );
      await page.keyboard.press("Enter");
      await page.waitForURL("**/subscriptions?added=1");
      await page.getByRole("status").filter({ hasText: "Subscribed." }).waitFor();
      const row = page.getByRole("list", { name: "Your podcasts" }).getByRole("listitem");
      assert.equal(await row.count(), 1);
      await row.getByRole("link", { name: PODCAST_TITLE }).waitFor();
      await row.getByText("The Test Team").waitFor();
    },
  );

  await h.step(t, "the podcast page lists its episodes, each New", page, async () => {
    await page.getByRole("list", { name: "Your podcasts" })
      .getByRole("link", { name: PODCAST_TITLE }).click();
    await page.getByRole("heading", { level: 1, name: PODCAST_TITLE }).waitFor();
    assert.equal(await page.title(), `${PODCAST_TITLE} · Balados Sync`);
    const episodes = page.getByRole("list", { name: "Episodes" }).getByRole("listitem");
    assert.equal(await episodes.count(), EPISODE_TITLES.length);
    for (const [i, title] of EPISODE_TITLES.entries()) {
      const row = episodes.nth(i);
      await row.getByRole("link", { name: title }).waitFor();
      assert.equal((await row.locator(".badge").allTextContents()).join(","), "New");
    }
    await page.getByLabel(`Unsubscribe from ${PODCAST_TITLE}`).waitFor();
    await checkPage(page);
  });

  await h.step(
    t,
    "an episode plays, seeks to 12 s and pauses: the position is saved",
    page,
    async () => {
      await page.getByRole("link", { name: THIRD }).click();
      await page.getByRole("heading", { level: 1, name: THIRD }).waitFor();
      const url = new URL(page.url());
      episodePath = `${url.pathname}${url.search}`;
      item = decodeURIComponent(url.pathname.split("/").pop()!);
      feed = url.searchParams.get("feed")!;
      assert.equal(await page.locator("#player").getAttribute("data-start"), "0");
      const audio = `document.querySelector("#player audio")`;
      // Bounded waits only: a bare evaluate of a promise that never settles has no timeout.
      await page.evaluate(`${audio}.play().catch((e) => { window.playError = String(e); })`);
      await until(page, `window.playError || ${audio}.currentTime >= 0.2`, "the audio plays");
      assert.equal(await page.evaluate("window.playError ?? null"), null, "the audio plays");
      await page.evaluate(`${audio}.currentTime = ${SEEK_TO}`);
      await until(page, `!${audio}.seeking && ${audio}.currentTime >= ${SEEK_TO}`, "seeked");
      const [saved] = await Promise.all([
        page.waitForResponse((r) =>
          r.url().endsWith("/web/play") && r.request().method() === "POST"
        ),
        page.evaluate(`${audio}.pause()`),
      ]);
      // The player posts with keepalive, whose answer body Playwright never delivers: the
      // position, duration and status are checked on /history and through the API below.
      assert.equal(saved.status(), 200);
      await page.getByRole("status").filter({ hasText: "Position saved." }).waitFor();
      await checkPage(page);
    },
  );

  await h.step(t, "the history shows the position under each filter", page, async () => {
    await page.goto("/history");
    const plays = page.getByRole("list", { name: "Plays" });
    await plays.getByRole("link", { name: THIRD }).waitFor();
    await plays.getByText(`In progress 0:${SEEK_TO} of 0:${AUDIO_SECONDS}`).waitFor();
    await checkPage(page);
    const filters = page.getByRole("navigation", { name: "Filter plays" });
    await filters.getByRole("link", { name: "In progress" }).click();
    await page.waitForURL("**/history?filter=in-progress");
    await plays.getByRole("link", { name: THIRD }).waitFor();
    await checkPage(page);
    await filters.getByRole("link", { name: "Played" }).click();
    await page.waitForURL("**/history?filter=played");
    await page.getByText("No plays to show.").waitFor();
    await checkPage(page);
    await filters.getByRole("link", { name: "All" }).click();
    await page.waitForURL((u) => u.pathname === "/history" && u.search === "");
    await plays.getByRole("link", { name: THIRD }).waitFor();
  });

  await h.step(t, "the dashboard offers to continue listening", page, async () => {
    await page.goto("/");
    const continuing = page.getByRole("list", { name: "Continue listening" });
    const bar = continuing.getByRole("progressbar", { name: `Progress of ${THIRD}` });
    assert.equal(await bar.getAttribute("value"), String(SEEK_TO));
    assert.equal(await bar.getAttribute("max"), String(AUDIO_SECONDS));
    await continuing.locator(".small").getByText(`0:${SEEK_TO} of 0:${AUDIO_SECONDS}`).waitFor();
    const resume = continuing.getByRole("link", { name: `Resume ${THIRD}` });
    await page.getByRole("list", { name: "Latest episodes" })
      .getByRole("link", { name: SECOND }).waitFor();
    await checkPage(page);
    await resume.click();
    await page.getByRole("heading", { level: 1, name: THIRD }).waitFor();
  });

  await h.step(t, "GET /api/v1/play agrees, for an app the listener authorized", page, async () => {
    const keys = await generateAppKeys("ES256");
    const appId = "org.example.flowtest";
    const token = await authorizationJwt(keys, {
      appId,
      nowMs: Date.now(),
      name: "Flow Test Player",
      url: "https://player.example/about",
      scopes: ["user.plays.read"],
    });
    await page.goto(`/authorize?token=${token}`);
    await page.getByRole("button", { name: "Approve" }).click();
    await page.getByRole("heading", { name: "App authorized" }).waitFor();
    const jwt = await requestJwt(keys, { appId, sub: USER, nowMs: Date.now() });
    const res = await fetch(`${h.baseUrl}/api/v1/play`, {
      headers: { authorization: `Bearer ${jwt}` },
    });
    assert.equal(res.status, 200);
    const body = await res.json() as {
      play_statuses: { rss_source_feed: string; rss_source_item: string; position: number }[];
    };
    assert.equal(body.play_statuses.length, 1);
    const [play] = body.play_statuses;
    assert.equal(play.rss_source_item, item);
    assert.equal(play.rss_source_feed, feed);
    assert.equal(play.position, SEEK_TO);
  });

  await h.step(
    t,
    "reloading the episode page starts the player at the synced position",
    page,
    async () => {
      await page.goto(episodePath);
      assert.equal(await page.locator("#player").getAttribute("data-start"), String(SEEK_TO));
      await page.getByRole("status").filter({ hasText: `Synced position: 0:${SEEK_TO}` }).waitFor();
      await until(
        page,
        `document.querySelector("#player audio").currentTime >= ${SEEK_TO - 0.5}`,
        "the player seeks to the synced position",
      );
      await page.locator(".badges").getByText(`In progress · 0:${SEEK_TO}`).waitFor();
    },
  );

  await h.step(t, "the episode is saved and listed on /saved", page, async () => {
    await page.getByRole("button", { name: "Save episode" }).click();
    await page.getByRole("button", { name: "Remove from saved" }).waitFor();
    await page.locator(".badges").getByText("Saved").waitFor();
    await page.goto("/saved");
    await page.getByRole("link", { name: THIRD }).waitFor();
    await page.getByRole("button", { name: `Remove from saved: ${THIRD}` }).waitFor();
    await checkPage(page);
  });

  await h.step(
    t,
    "a playlist gets episodes from their pages, is reordered and trimmed",
    page,
    async () => {
      await page.goto("/playlists");
      await page.getByText("No playlists yet").waitFor();
      await page.getByLabel("Name").fill(PLAYLIST);
      await page.getByLabel("Public (shown on your public profile)").check();
      await page.getByRole("button", { name: "Create playlist" }).click();
      await page.getByRole("heading", { level: 1, name: PLAYLIST }).waitFor();
      playlistPath = new URL(page.url()).pathname;
      await page.getByRole("status").filter({ hasText: `Playlist “${PLAYLIST}” created.` })
        .waitFor();
      await page.goto("/playlists");
      await page.getByRole("link", { name: PLAYLIST }).waitFor();
      await checkPage(page);

      for (const title of [THIRD, SECOND]) {
        await page.goto(podcastPathOf(feed));
        await page.getByRole("link", { name: title }).click();
        await page.getByRole("heading", { level: 1, name: title }).waitFor();
        await page.getByLabel("Add to playlist", { exact: true }).selectOption({ label: PLAYLIST });
        await page.getByRole("button", { name: `Add ${title} to the playlist` }).click();
        await page.waitForURL((u) => u.pathname.startsWith("/episodes/"));
        await page.getByRole("heading", { level: 1, name: title }).waitFor();
      }

      await page.goto(playlistPath);
      const items = page.locator("#playlist-items > li");
      const order = async () =>
        (await items.locator(".item-title").allTextContents()).map((s) => s.trim());
      assert.equal(await items.count(), 2);
      assert.deepEqual(await order(), [THIRD, SECOND]);
      await page.getByRole("button", { name: `Move up: ${SECOND}` }).click();
      await until(
        page,
        `document.querySelector("#playlist-items > li").textContent.includes(${
          JSON.stringify(SECOND)
        })`,
        "the second episode moves up",
      );
      assert.deepEqual(await order(), [SECOND, THIRD]);
      await checkPage(page);
      await page.getByRole("button", { name: `Remove from playlist: ${SECOND}` }).click();
      await page.getByRole("status")
        .filter({ hasText: `“${SECOND}” removed from the playlist.` }).waitFor();
      assert.deepEqual(await order(), [THIRD]);
    },
  );

  await h.step(
    t,
    "while public, the podcast shows on /discover, /timeline and the profile",
    visitor,
    async () => {
      await h.runJob("popularity");
      await visitor.goto("/discover");
      await visitor.getByRole("list", { name: "Trending podcasts" })
        .getByRole("link", { name: PODCAST_TITLE }).waitFor();
      await visitor.getByRole("list", { name: "Trending episodes" })
        .getByRole("link", { name: THIRD }).waitFor();
      await checkPage(visitor);

      await pollPage(
        visitor,
        "/timeline",
        "the podcast is on the timeline",
        async () => (await listText(visitor, "Public activity")).includes(PODCAST_TITLE),
      );
      await checkPage(visitor);
      await visitor.getByLabel("Activity", { exact: true }).selectOption({ label: "Plays" });
      await visitor.getByRole("button", { name: "Filter" }).click();
      await visitor.waitForURL((u) =>
        u.pathname === "/timeline" && u.searchParams.get("event_type") === "play"
      );
      const plays = visitor.getByRole("list", { name: "Public activity" });
      await plays.getByRole("link", { name: THIRD }).waitFor();
      await plays.getByRole("link", { name: USER }).first().waitFor();
      await checkPage(visitor);

      await visitor.goto(`/u/${USER}`);
      await visitor.getByRole("heading", { level: 1, name: USER }).waitFor();
      await visitor.getByText(PLAYLIST).first().waitFor();
      assert.ok((await visitor.locator("main").textContent())?.includes(PODCAST_TITLE));
      await checkPage(visitor);
    },
  );

  await h.step(
    t,
    "given its own level on its page and made private on /privacy, the podcast leaves /timeline and /discover",
    page,
    async () => {
      await page.goto(podcastPathOf(feed));
      await page.getByLabel("Privacy of this podcast", { exact: true }).selectOption("anonymous");
      await page.getByRole("button", { name: "Save Privacy of this podcast" }).click();
      await page.waitForURL((u) => u.pathname.startsWith("/podcasts/"));
      assert.equal(
        await page.getByLabel("Privacy of this podcast", { exact: true }).inputValue(),
        "anonymous",
      );
      await page.goto("/privacy");
      const level = page.getByLabel(`Privacy of ${PODCAST_TITLE}`, { exact: true });
      assert.equal(await level.inputValue(), "anonymous");
      await checkPage(page); // The default, the podcast's own level.
      await level.selectOption("private");
      await page.getByRole("button", { name: `Save Privacy of ${PODCAST_TITLE}` }).click();
      await page.waitForURL((u) => u.pathname === "/privacy");
      assert.equal(
        await page.getByLabel(`Privacy of ${PODCAST_TITLE}`, { exact: true }).inputValue(),
        "private",
      );
      await pollPage(
        visitor,
        "/timeline",
        "the podcast leaves the timeline",
        async () => !(await listText(visitor, "Public activity")).includes(PODCAST_TITLE),
      );
      await h.runJob("popularity");
      await visitor.goto("/discover");
      await visitor.getByRole("heading", { name: "Trending podcasts" }).waitFor();
      assert.ok(!(await listText(visitor, "Trending podcasts")).includes(PODCAST_TITLE));
      assert.ok(!(await listText(visitor, "Trending episodes")).includes(THIRD));
    },
  );

  await h.step(
    t,
    "the OPML export downloads and imports back with the right counts",
    page,
    async () => {
      await page.goto("/subscriptions");
      const opml = await download(page, "Download your subscriptions (OPML)");
      assert.match(opml.name, /\.opml$/);
      assert.ok(opml.text.includes(h.feedUrl.replaceAll("&", "&amp;")), opml.text);
      const importFile = async () => {
        await page.getByLabel("OPML file").setInputFiles(opml.path);
        await page.getByRole("button", { name: "Import OPML" }).click();
      };
      await importFile();
      await page.getByRole("status").filter({
        hasText: "Import finished: 0 imported, 1 skipped (already followed or repeated in the " +
          "file), 0 invalid.",
      }).waitFor();

      await page.getByLabel(`Unsubscribe from ${PODCAST_TITLE}`).click();
      await checkPage(page); // The list, its privacy picker and a confirmation open.
      await page.getByRole("button", { name: "Unsubscribe", exact: true }).click();
      await page.getByRole("status").filter({ hasText: "Unsubscribed." }).waitFor();
      await page.getByText("You do not follow any podcast yet.").waitFor();
      await importFile();
      await page.getByRole("status")
        .filter({ hasText: "Import finished: 1 imported, 0 skipped" }).waitFor();
      await page.getByRole("list", { name: "Your podcasts" })
        .getByRole("link", { name: PODCAST_TITLE }).waitFor();
      assert.equal(
        await page.getByLabel(`Privacy of ${PODCAST_TITLE}`, { exact: true }).inputValue(),
        "private",
        "the podcast's own level outlives the unsubscription",
      );
    },
  );

  await h.step(t, "the JSON export from /account parses and holds the play", page, async () => {
    await page.goto("/account");
    await checkPage(page);
    const json = await download(page, "Download my data (JSON)");
    assert.match(json.name, /\.json$/);
    const data = JSON.parse(json.text) as {
      user: { username: string };
      play_statuses: { rss_source_item: string; position: number }[];
      saved_episodes: { rss_source_item: string }[];
      playlists: { name: string; items: unknown[] }[];
    };
    assert.equal(data.user.username, USER);
    const play = data.play_statuses.find((p) => p.rss_source_item === item);
    assert.equal(play?.position, SEEK_TO);
    assert.ok(data.saved_episodes.some((s) => s.rss_source_item === item));
    assert.deepEqual(data.playlists.map((p) => [p.name, p.items.length]), [[PLAYLIST, 1]]);
  });

  await h.step(
    t,
    "one episode's history is erased on /privacy after its confirmation",
    page,
    async () => {
      await page.goto("/privacy");
      const erase = page.locator("details", {
        has: page.locator("summary", { hasText: "Erase one episode…" }),
      });
      await erase.locator("summary").click();
      await erase.getByLabel("Episode", { exact: true }).selectOption({
        label: `${THIRD} — ${PODCAST_TITLE}`,
      });
      await checkPage(page); // With the podcast's own level listed and a confirmation open.
      // Without the box ticked the browser refuses the form; the server would say 422.
      await erase.getByLabel("I understand that an erased history cannot come back.").check();
      await erase.getByRole("button", { name: "Erase this episode's history" }).click();
      await page.getByRole("status")
        .filter({ hasText: `Your listening history of “${THIRD}” was erased` }).waitFor();
      await pollPage(
        page,
        "/history",
        "the play is gone from the history",
        async () => await page.getByText("No plays to show.").count() === 1,
      );
      await page.goto("/saved");
      await page.getByText("Nothing saved yet.").waitFor();
    },
  );

  await h.step(
    t,
    "the account is deleted with its password; the username is free again",
    page,
    async () => {
      await page.goto("/account");
      await page.locator("summary", { hasText: "Delete my account…" }).click();
      await page.getByLabel("Your password").fill(BROWSER_PASSWORD);
      await page.getByRole("button", { name: "Delete my account", exact: true }).click();
      await page.waitForURL("**/account/deleted");
      await page.getByRole("heading", { name: "Your account is deleted" }).waitFor();
      await checkPage(page);

      await page.goto("/users/log_in");
      await page.getByLabel("Username").fill(USER);
      await page.getByLabel("Password", { exact: true }).fill(BROWSER_PASSWORD);
      await page.getByRole("button", { name: "Log in", exact: true }).click();
      await page.getByRole("alert").filter({ hasText: "Wrong username or password." }).waitFor();

      await registerInBrowser(page, USER);
      await page.getByText("Nothing in progress.").waitFor();
      await page.goto("/subscriptions");
      await page.getByText("You do not follow any podcast yet.").waitFor();
    },
  );

  const seconds = (Date.now() - started) / 1000;
  console.log(`listener flow: ${seconds.toFixed(1)} s in the browser`);
});

/** The podcast page of `feed` (an encoded feed id). */
function podcastPathOf(feed: string): string {
  return `/podcasts/${encodeURIComponent(feed)}`;
}
