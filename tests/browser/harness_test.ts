import assert from "node:assert/strict";
import { AUDIO_SECONDS, EPISODE_TITLES, PODCAST_TITLE } from "./_fixtures.ts";
import { checkAxe, checkConsole, checkNoOverflow, startBrowserHarness } from "./_browser.ts";

Deno.test("browser harness: a missing Chromium fails the run with a clear message", async () => {
  await assert.rejects(
    startBrowserHarness({ chromium: "/nonexistent/chromium" }),
    /Chromium is missing: the browser tests need \/nonexistent\/chromium\. Install it/,
  );
});

Deno.test("browser harness: real Chromium, fixture podcast and audio, and checks that bite", async (t) => {
  await using h = await startBrowserHarness();
  const page = await h.newPage();

  await h.step(t, "the fixture feed lists three episodes enclosing the WAV", page, async () => {
    const xml = await (await fetch(h.feedUrl)).text();
    assert.match(xml, new RegExp(`<title>${PODCAST_TITLE}</title>`));
    for (const title of EPISODE_TITLES) assert.ok(xml.includes(title), title);
    assert.ok(xml.includes(`${h.audioUrl}?ep=1`));
  });

  await h.step(t, "the enclosure loads, plays and seeks under the pages' CSP", page, async () => {
    // A page of the server, so its Content-Security-Policy (media-src) applies.
    await page.goto("/users/log_in");
    const played = await page.evaluate(`(async () => {
      const audio = document.createElement("audio");
      audio.preload = "auto";
      audio.src = ${JSON.stringify(`${h.audioUrl}?ep=1`)};
      document.body.append(audio);
      const once = (name) => new Promise((resolve, reject) => {
        audio.addEventListener(name, resolve, { once: true });
        audio.addEventListener("error", () => reject(new Error("audio error " +
          (audio.error && audio.error.code))), { once: true });
      });
      await once("loadedmetadata");
      const duration = audio.duration;
      await audio.play();
      // Playing, however slowly a loaded machine runs it: a quarter second within 5 s.
      const until = Date.now() + 5000;
      while (audio.currentTime < 0.25 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const advanced = audio.currentTime;
      audio.pause();
      const seeked = once("seeked");
      audio.currentTime = 12;
      await seeked;
      return { duration, advanced, after: audio.currentTime };
    })()`) as { duration: number; advanced: number; after: number };
    assert.ok(Math.abs(played.duration - AUDIO_SECONDS) < 0.1, `duration ${played.duration}`);
    assert.ok(played.advanced >= 0.25, `played to ${played.advanced}`);
    assert.ok(Math.abs(played.after - 12) < 0.1, `seeked to ${played.after}`);
    const ranged = h.feeds.requests.some((r) => r.headers.get("range") !== null);
    assert.ok(ranged, "the browser asked for byte ranges");
    checkConsole(page);
  });

  await h.step(t, "checkAxe names a serious violation and the element", page, async () => {
    await page.goto("about:blank");
    await page.setContent(
      `<!doctype html><html lang="en"><title>x</title><main><img src="/nope.png"></main></html>`,
    );
    await assert.rejects(checkAxe(page), /critical image-alt: .*\n\s+at img/);
    await checkAxe(page, { allow: ["image-alt"] }); // A known, reported problem.
  });

  await h.step(t, "checkNoOverflow names what sticks out at 390 px", page, async () => {
    await page.goto("about:blank");
    await page.setContent(
      `<!doctype html><html lang="en"><body><div class="wide" style="width:600px">long</div>`,
    );
    await assert.rejects(checkNoOverflow(page), /scrolls sideways at 390 px[\s\S]*div\.wide/);
    assert.equal(page.viewportSize()?.width, 1280, "the viewport is restored");
  });

  await h.step(t, "checkConsole reports an inline style the CSP refused", page, async () => {
    await page.goto("/users/log_in");
    await page.evaluate(`document.querySelector("main").innerHTML += '<p style="color:red">x</p>'`);
    await page.waitForTimeout(100);
    assert.throws(() => checkConsole(page), /CSP violation on .*\/users\/log_in/);
  });
});
