/**
 * The browser-test harness: the real server (`main.ts` as a subprocess on a free loopback
 * port, with a temporary KV file), a loopback fixture feed origin that also serves a
 * 20-second WAV enclosure and a cover (`./_fixtures.ts`), and one headless Chromium per
 * test file, driven with `playwright-core`. Checks every page can get: `checkAxe` (axe-core,
 * serious and critical violations fail), `checkNoOverflow` (no sideways scrolling at 390 px),
 * `checkConsole` (no CSP violation, no uncaught script error), all three via `checkPage`.
 *
 * **Running.** Only the browser tests:
 *
 * ```sh
 * deno test -A tests/browser/
 * ```
 *
 * `-A` is needed (hence `deno task test` runs with `--allow-all`): playwright-core probes
 * `/proc/sys/fs/binfmt_misc` when it loads, which Deno allows only under `--allow-all`.
 * They need Chromium at `/usr/bin/chromium` (`apt-get install -y chromium`; `.ci/run`
 * installs it). Without it they FAIL with a message saying so: they never skip.
 *
 * **Screenshots.** When a step run through `h.step(...)` fails, a full-page screenshot and
 * the page's HTML are written to a fresh temporary directory (`$TMPDIR` or `/tmp`,
 * `balados-browser-shots-*`), whose path is printed. It is kept after the run.
 *
 * **Adding a flow.** One `Deno.test` per file starts the harness (`await using h = await
 * startBrowserHarness()`, sanitizers stay on) and runs each flow as a step, so the browser
 * and server start once:
 *
 * ```ts
 * Deno.test("listener pages work in a real browser", async (t) => {
 *   await using h = await startBrowserHarness();
 *   const page = await h.newPage();
 *   await h.step(t, "registers", page, async () => {
 *     await registerInBrowser(page, "alice");
 *   });
 *   await h.step(t, "subscribes to the fixture podcast", page, async () => {
 *     await page.goto("/subscriptions");
 *     await page.getByLabel("Feed URL").fill(h.feedUrl);
 *     // … then `await checkPage(page);` on every page visited.
 *   });
 * });
 * ```
 *
 * Drive pages by role and label (`getByRole("button", { name: "Log in" })`, `getByLabel`),
 * as a user would. Each `newPage()` is a fresh browser context with its own cookies; a
 * server allows 5 sign-ups per address per hour, so register at most 5 users per file.
 * Passwords are hashed for real (≈ 0.5 s per log-in): log in once and reuse the page.
 */
import type { AxeResults } from "axe-core";
import { type Browser, chromium, type Page } from "playwright-core";
import { type FeedServer, startFeedServer } from "../_support/feed_server.ts";
import { freePort, startMain, waitForHealth } from "../_support/process.ts";
import { AUDIO_PATH, browserRoutes, FEED_PATH } from "./_fixtures.ts";

export type { Page };

/** Where the Debian package puts Chromium (CI installs it there). */
export const CHROMIUM = "/usr/bin/chromium";
/** The narrow width every page must fit (a small phone). */
export const PHONE_WIDTH = 390;
/** The password `registerInBrowser` uses. */
export const BROWSER_PASSWORD = "correct horse battery staple";
const DESKTOP = { width: 1280, height: 900 };
const ACTION_TIMEOUT_MS = 10_000;

/** A running server, fixture origin and browser. Dispose (or `close()`) at the end. */
export interface BrowserHarness extends AsyncDisposable {
  /** The server's origin, `http://127.0.0.1:<port>`; pages resolve relative URLs on it. */
  readonly baseUrl: string;
  /** The fixture feed origin. */
  readonly feeds: FeedServer;
  /** The fixture podcast's feed URL (three episodes, see `./_fixtures.ts`). */
  readonly feedUrl: string;
  /** The 20-second WAV its episodes enclose. */
  readonly audioUrl: string;
  readonly browser: Browser;
  /** A page in a fresh browser context (own cookies), 1280 × 900, light scheme. */
  newPage(): Promise<Page>;
  /** Runs `fn` as the test step `name`; on failure saves a screenshot of `page`. */
  step(t: Deno.TestContext, name: string, page: Page, fn: () => Promise<void>): Promise<boolean>;
  /** Stops everything; throws if the server logged an error or did not exit cleanly. */
  close(): Promise<void>;
}

async function chromiumPresent(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** What each page reported on its console that a test should fail on. */
const problems = new WeakMap<Page, string[]>();

function watch(page: Page): void {
  const seen: string[] = [];
  problems.set(page, seen);
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content.Security.Policy/i.test(msg.text())) {
      seen.push(`CSP violation on ${page.url()}: ${msg.text()}`);
    }
  });
  page.on("pageerror", (err) => seen.push(`Script error on ${page.url()}: ${err.message}`));
}

let shotsDir: string | undefined;

async function screenshot(page: Page, name: string): Promise<void> {
  try {
    shotsDir ??= await Deno.makeTempDir({ prefix: "balados-browser-shots-" });
    const base = `${shotsDir}/${name.toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 80)}`;
    await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5_000 });
    await Deno.writeTextFile(`${base}.html`, await page.content());
    console.error(`browser test "${name}" failed on ${page.url()}; screenshot: ${base}.png`);
  } catch (err) {
    console.error(`browser test "${name}" failed; no screenshot (${err})`);
  }
}

/** The server's log lines at level error (a 500, a crashed job…). */
function loggedErrors(output: string): string[] {
  return output.split("\n").filter((line) => /"level":"error"/.test(line));
}

/** Options of {@linkcode startBrowserHarness}. */
export interface HarnessOptions {
  /** The Chromium executable (default {@linkcode CHROMIUM}). */
  readonly chromium?: string;
}

/**
 * Starts the server, the fixture origin and Chromium.
 * @throws {Error} when Chromium is missing (the tests must fail, not skip) or the server
 * does not come up.
 */
export async function startBrowserHarness(options: HarnessOptions = {}): Promise<BrowserHarness> {
  const executablePath = options.chromium ?? CHROMIUM;
  if (!await chromiumPresent(executablePath)) {
    throw new Error(
      `Chromium is missing: the browser tests need ${executablePath}. ` +
        "Install it with `apt-get install -y chromium` (.ci/run does).",
    );
  }
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    for (const f of cleanups.reverse()) await f().catch(() => {});
  };
  try {
    const feeds = await startFeedServer({ routes: browserRoutes() });
    cleanups.push(() => feeds.close());
    const dir = await Deno.makeTempDir({ prefix: "balados-browser-" });
    cleanups.push(() => Deno.remove(dir, { recursive: true }));
    const port = freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const child = startMain(dir, {
      PORT: String(port),
      KV_PATH: `${dir}/browser.kv`,
      BASE_URL: baseUrl,
      LOG_LEVEL: "warn",
      ALLOW_PRIVATE_FEEDS: "1",
      NO_COLOR: "1",
    });
    const output = Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]).then((parts) => parts.join("\n"));
    let stopped: Promise<Deno.CommandStatus> | undefined;
    const stopServer = () => {
      if (!stopped) {
        try {
          child.kill("SIGTERM");
        } catch {
          // Already exited.
        }
        stopped = child.status;
      }
      return stopped;
    };
    cleanups.push(() => Promise.all([stopServer(), output]));
    await waitForHealth(`${baseUrl}/health`);
    const browser = await chromium.launch({
      executablePath,
      // Autoplay without a gesture so player tests can call play(); no sound card needed.
      args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--mute-audio"],
    });
    cleanups.push(() => browser.close());

    let closed: Promise<void> | undefined;
    const close = () =>
      closed ??= (async () => {
        await browser.close();
        const status = await stopServer();
        const log = await output;
        await feeds.close();
        await Deno.remove(dir, { recursive: true });
        const errors = loggedErrors(log);
        if (errors.length > 0) {
          throw new Error(`the server logged errors during the browser run:\n${errors.join("\n")}`);
        }
        if (status.code !== 0) {
          throw new Error(`the server exited with ${status.code}:\n${log.slice(-4000)}`);
        }
      })();

    return {
      baseUrl,
      feeds,
      feedUrl: `${feeds.origin}${FEED_PATH}`,
      audioUrl: `${feeds.origin}${AUDIO_PATH}`,
      browser,
      async newPage() {
        const context = await browser.newContext({
          baseURL: baseUrl,
          viewport: DESKTOP,
          colorScheme: "light",
        });
        const page = await context.newPage();
        page.setDefaultTimeout(ACTION_TIMEOUT_MS);
        watch(page);
        return page;
      },
      step(t, name, page, fn) {
        return t.step(name, async () => {
          try {
            await fn();
          } catch (err) {
            await screenshot(page, name);
            throw err;
          }
        });
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/** The minified axe-core build, beside the package's entry point. */
let axeSource: Promise<string> | undefined;
function minifiedAxe(): Promise<string> {
  return axeSource ??= Deno.readTextFile(new URL("axe.min.js", import.meta.resolve("axe-core")));
}

/** Serious and critical axe violations as readable lines. */
export function describeViolations(results: AxeResults): string[] {
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => [
      `${v.impact} ${v.id}: ${v.help} (${v.helpUrl})`,
      ...v.nodes.slice(0, 5).map((n) =>
        `    at ${n.target.join(" ")}: ${(n.failureSummary ?? "").replace(/\s+/g, " ")}`
      ),
    ]);
}

/** Options of {@linkcode checkAxe} and {@linkcode checkPage}. */
export interface AxeOptions {
  /** Names the run in messages, e.g. "dark scheme". */
  readonly label?: string;
  /** Only these rules (e.g. the colour rules, when only the scheme changed). */
  readonly only?: readonly string[];
  /**
   * Rule ids tolerated on this page: known problems reported but not fixed yet. Keep each
   * with a comment saying where the problem is, and remove it with the fix.
   */
  readonly allow?: readonly string[];
}

/** The rules whose outcome depends on colours: all that changes with the scheme. */
const COLOUR_RULES = ["color-contrast", "link-in-text-block"] as const;

/**
 * Runs axe-core on the page as it is now and fails on serious or critical violations.
 * The source is evaluated through the DevTools protocol, which the page's CSP does not
 * govern (an injected `<script>` would be refused by `script-src 'self'`), so the CSP
 * stays on while testing.
 * @throws {Error} listing each violation, its rule and the elements it concerns.
 */
export async function checkAxe(page: Page, options: AxeOptions = {}): Promise<void> {
  if (await page.evaluate("typeof window.axe") === "undefined") {
    await page.evaluate(await minifiedAxe());
  }
  const runOptions = {
    resultTypes: ["violations"],
    ...(options.only ? { runOnly: { type: "rule", values: options.only } } : {}),
  };
  const results = await page.evaluate(
    `axe.run(document, ${JSON.stringify(runOptions)})`,
  ) as AxeResults;
  const allowed = new Set(options.allow ?? []);
  results.violations = results.violations.filter((v) => !allowed.has(v.id));
  const lines = describeViolations(results);
  if (lines.length > 0) {
    const where = `${page.url()}${options.label ? ` (${options.label})` : ""}`;
    throw new Error(`accessibility violations on ${where}:\n${lines.join("\n")}`);
  }
}

/** In-page: the overflow and the innermost elements sticking out to the right. */
const OVERFLOW_PROBE = `(() => {
  const width = window.innerWidth;
  const scroll = document.documentElement.scrollWidth;
  if (scroll <= width) return null;
  const out = [...document.querySelectorAll("body *")].filter(
    (e) => e.getBoundingClientRect().right > width + 0.5,
  );
  const innermost = out.filter((e) => !out.some((o) => o !== e && e.contains(o)));
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
    [...e.classList].map((c) => "." + c).join("") + " \\"" +
    (e.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40) + "\\" right=" +
    Math.round(e.getBoundingClientRect().right);
  return { width, scroll, wide: innermost.slice(0, 8).map(name) };
})()`;

/**
 * Fails when the page scrolls sideways at `width` px (SPEC §10: works at 390 px), naming
 * the elements that stick out. Restores the viewport afterwards.
 * @throws {Error} when `scrollWidth > innerWidth`.
 */
export async function checkNoOverflow(page: Page, width = PHONE_WIDTH): Promise<void> {
  const before = page.viewportSize() ?? DESKTOP;
  await page.setViewportSize({ width, height: 844 });
  try {
    const found = await page.evaluate(OVERFLOW_PROBE) as
      | { width: number; scroll: number; wide: string[] }
      | null;
    if (found) {
      throw new Error(
        `${page.url()} scrolls sideways at ${found.width} px (content is ${found.scroll} px ` +
          `wide); sticking out:\n    ${found.wide.join("\n    ")}`,
      );
    }
  } finally {
    await page.setViewportSize(before);
  }
}

/**
 * Fails on what the page reported so far: a Content-Security-Policy violation (an inline
 * script or style attribute) or an uncaught script error. Clears the list.
 */
export function checkConsole(page: Page): void {
  const seen = problems.get(page) ?? [];
  const found = seen.splice(0);
  if (found.length > 0) throw new Error(found.join("\n"));
}

/**
 * Every page check: axe in the light scheme, its colour rules again in the dark scheme,
 * no sideways scrolling at 390 px, no CSP violation or script error.
 */
export async function checkPage(
  page: Page,
  options: Pick<AxeOptions, "allow"> = {},
): Promise<void> {
  await checkAxe(page, { ...options, label: "light scheme" });
  await page.emulateMedia({ colorScheme: "dark" });
  try {
    await checkAxe(page, { ...options, label: "dark scheme", only: COLOUR_RULES });
  } finally {
    await page.emulateMedia({ colorScheme: "light" });
  }
  await checkNoOverflow(page);
  checkConsole(page);
}

/** What has the keyboard focus: its id, name and whether `:focus-visible` draws an outline. */
export interface FocusState {
  readonly tag: string;
  readonly id: string;
  readonly text: string;
  readonly focusVisible: boolean;
  readonly outline: string;
}

/** The focused element, as `FocusState`. */
export async function focusState(page: Page): Promise<FocusState> {
  return await page.evaluate(`(() => {
    const e = document.activeElement || document.body;
    const s = getComputedStyle(e);
    const drawn = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
    return {
      tag: e.tagName.toLowerCase(),
      id: e.id,
      text: (e.textContent || "").trim().slice(0, 40),
      focusVisible: e.matches(":focus-visible"),
      outline: drawn ? s.outlineWidth + " " + s.outlineStyle + " " + s.outlineColor : "none",
    };
  })()`) as FocusState;
}

/** Options of `registerInBrowser` and `logInInBrowser`. */
export interface AccountOptions {
  /** Default {@linkcode BROWSER_PASSWORD}. */
  readonly password?: string;
  /** Use the form already on the page (e.g. after a redirect to log in and back). */
  readonly here?: boolean;
}

/** Registers `username` through the form (by label), ending logged in on the page after. */
export async function registerInBrowser(
  page: Page,
  username: string,
  options: AccountOptions = {},
): Promise<void> {
  if (!options.here) await page.goto("/users/register");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(options.password ?? BROWSER_PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("button", { name: `Log out ${username}` }).waitFor();
}

/** Logs in through the form (by label), ending on the page after. */
export async function logInInBrowser(
  page: Page,
  username: string,
  options: AccountOptions = {},
): Promise<void> {
  if (!options.here) await page.goto("/users/log_in");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(options.password ?? BROWSER_PASSWORD);
  await page.getByRole("button", { name: "Log in", exact: true }).click();
  await page.getByRole("button", { name: `Log out ${username}` }).waitFor();
}
