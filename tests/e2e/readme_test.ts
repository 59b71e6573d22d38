/**
 * The README's examples run as written on a fresh clone: the example client's block, the API
 * at a glance and the RSS examples are extracted from README.md and run in order by bash
 * against main.ts on a loopback port. The only substitutions are the ones a reader's machine
 * makes for them: the Deno binary for `npx -y deno@2.9.6`, the server's address for
 * `localhost:8000`, and a loopback fixture origin for the example feed and audio hosts, so
 * nothing leaves 127.0.0.1. Every curl must succeed (`--fail`, `set -e`, `pipefail`).
 */
import assert from "node:assert/strict";
import { csrfOf } from "../_support/auth_app.ts";
import { freePort, startMain, waitForHealth } from "../_support/process.ts";

const ROOT = new URL("../../", import.meta.url);
const CLIENT = new URL("jobs/example_app_client.ts", ROOT).pathname;
const SECTIONS = [
  "For app developers",
  "The API at a glance",
  "RSS: proxy, personal feeds, play gateway",
];

/** The ```sh blocks under a heading, up to the next heading (fences are skipped over). */
function shellBlocks(readme: string, heading: string): string[] {
  const lines = readme.split("\n");
  const blocks: string[] = [];
  let inSection = false;
  let block: string[] | null = null;
  let fenced = false;
  for (const line of lines) {
    if (line.startsWith("```")) {
      fenced = !fenced;
      if (inSection && line.startsWith("```sh")) block = [];
      else if (inSection && block && !fenced) {
        blocks.push(block.join("\n"));
        block = null;
      }
      continue;
    }
    if (!fenced && /^#{1,6} /.test(line)) inSection = line.replace(/^#+ /, "") === heading;
    else if (block) block.push(line);
  }
  assert.ok(blocks.length > 0, `README: no sh block under "${heading}"`);
  return blocks;
}

/** A loopback origin serving any `/feeds/<name>.xml` with the README's episode `ep-42`. */
function startOrigin() {
  const fetched: string[] = [];
  const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, (req): Response => {
    const { pathname } = new URL(req.url);
    fetched.push(pathname);
    const name = /^\/feeds\/([\w-]+)\.xml$/.exec(pathname)?.[1];
    if (!name) return new Response("not found", { status: 404 });
    const origin = `http://127.0.0.1:${server.addr.port}`;
    const rss = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Podcast ${name}</title><link>${origin}/</link>
<item><guid>ep-42</guid><title>Episode 42</title><pubDate>Thu, 15 Jan 2026 08:00:00 GMT</pubDate>
<enclosure url="${origin}/cdn/ep42.mp3" length="1" type="audio/mpeg"/></item>
</channel></rss>`;
    return new Response(rss, { headers: { "content-type": "application/rss+xml" } });
  });
  return { server, fetched, origin: `http://127.0.0.1:${server.addr.port}` };
}

/** The README's text with this machine's addresses: no name outside loopback is left. */
function localize(script: string, base: string, origin: string): string {
  const out = script
    .replaceAll("npx -y deno@2.9.6", `'${Deno.execPath()}'`)
    .replaceAll("jobs/example_app_client.ts", `'${CLIENT}' --base ${base}`)
    .replaceAll("localhost:8000", base.replace(/^http:\/\//, ""))
    .replaceAll("https://feeds.example.org/", `${origin}/feeds/`)
    .replaceAll("https://cdn.example.org/", `${origin}/cdn/`);
  assert.doesNotMatch(out, /localhost|example\.(org|com)|https:/, "only loopback addresses");
  return out;
}

/** Runs a script with bash in `cwd`: errors stop it, every curl must answer 2xx/3xx. */
async function bash(script: string, cwd: string) {
  const strict = `set -euo pipefail
curl() {
  command curl -sS --fail-with-body --max-time 10 "$@" || { echo "FAILED: curl $*" >&2; return 1; }
}
`;
  const out = await new Deno.Command("bash", {
    args: ["-c", strict + script],
    cwd,
    env: { NO_PROXY: "127.0.0.1", no_proxy: "127.0.0.1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(40_000),
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** What a person does in the browser: register `alice`, open the authorize URL, approve. */
async function approveInBrowser(base: string, authorizeUrl: string): Promise<void> {
  const jar = new Map<string, string>();
  const send = async (path: string, fields?: Record<string, string>) => {
    const headers = new Headers();
    if (jar.size > 0) headers.set("Cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    if (fields) headers.set("Content-Type", "application/x-www-form-urlencoded");
    const res = await fetch(new URL(path, base), {
      method: fields ? "POST" : "GET",
      headers,
      body: fields ? new URLSearchParams(fields) : undefined,
      redirect: "manual",
    });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(";")[0];
      jar.set(pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1));
    }
    return { status: res.status, html: await res.text() };
  };
  const register = await send("/users/register");
  const password = "correct horse battery";
  const made = await send("/users/register", {
    csrf: csrfOf(register.html),
    username: "alice",
    password,
  });
  assert.equal(made.status, 303, made.html.slice(0, 300));
  const url = new URL(authorizeUrl);
  const page = await send(url.pathname + url.search);
  assert.equal(page.status, 200, page.html.slice(0, 300));
  const token = /name="token" value="([^"]+)"/.exec(page.html)?.[1];
  assert.ok(token, "the authorize form");
  const approved = await send("/authorize", {
    csrf: csrfOf(page.html),
    token,
    decision: "approve",
  });
  assert.ok(approved.status < 400, `approve: ${approved.status}`);
}

Deno.test("the README's client, API and RSS examples run as written against a fresh server", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const [client, ...rest] = SECTIONS.map((s) => shellBlocks(readme, s).join("\n"));
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const { server, fetched, origin } = startOrigin();
  const child = startMain(dir, {
    PORT: String(port),
    KV_PATH: `${dir}/server/balados.kv`,
    BASE_URL: base,
    ALLOW_PRIVATE_FEEDS: "1",
    LOG_LEVEL: "warn",
  });
  try {
    const health = await waitForHealth(`${base}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();

    // Up to the client's first call: it makes the key pair and prints the authorize URL.
    const lines = client.split("\n");
    const first = lines.findIndex((l) => /^client --/.test(l));
    assert.ok(first >= 0, "the client block calls the client");
    const setup = await bash(localize(lines.slice(0, first + 1).join("\n"), base, origin), dir);
    assert.equal(setup.code, 0, setup.stderr);
    const authorizeUrl = /(http:\/\/\S+\/authorize\?token=\S+)/.exec(setup.stdout)?.[1];
    assert.ok(authorizeUrl, `${setup.stdout}\n${setup.stderr}`);
    const key = await Deno.stat(`${dir}/data/example_app_key.json`);
    assert.ok(key.isFile, "the key pair is kept under data/, which git ignores");
    const ignored = (await Deno.readTextFile(new URL(".gitignore", ROOT))).split("\n");
    assert.ok(ignored.includes("data/"));
    await approveInBrowser(base, authorizeUrl);

    // Then everything, in order, as a reader pastes it.
    const run = await bash(localize([client, ...rest].join("\n"), base, origin), dir);
    const last = (text: string) => text.trim().split("\n").slice(-3).join("\n");
    assert.equal(run.code, 0, `a README example failed:\n${last(run.stdout)}\n${last(run.stderr)}`);
    assert.match(run.stdout, /"username":"alice"/, "GET /api/v1/me");
    assert.match(run.stdout, /"imported":1/, "the inline OPML was imported");
    assert.match(run.stdout, /<guid>ep-42<\/guid>/, "the proxy and the personal feeds");
    assert.match(run.stdout, /HTTP\/1\.1 302/, "the play gateway redirects");
    assert.ok(run.stdout.includes(`location: ${origin}/cdn/ep42.mp3`), "to the enclosure");
    assert.ok(fetched.includes("/feeds/podcast.xml"), "feeds came from the loopback origin");
  } finally {
    child.kill("SIGTERM");
    await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the example client without a server says so in one line and exits 1", async () => {
  const dir = await Deno.makeTempDir();
  const run = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLIENT, "--key", `${dir}/k/key.json`, ...args],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
  try {
    const down = await run("--user", "alice", "--base", `http://127.0.0.1:${freePort()}`);
    const err = new TextDecoder().decode(down.stderr).trim().split("\n");
    assert.equal(down.code, 1);
    assert.match(
      err.at(-1)!,
      /^example_app_client: cannot reach http:\/\/127\.0\.0\.1:\d+: is the server running\?/,
    );
    assert.ok(!err.some((l) => /^\s+at /.test(l)), "no stack trace");

    const bad = await run("--nope");
    assert.equal(bad.code, 2);
    const badErr = new TextDecoder().decode(bad.stderr).trim();
    assert.equal(badErr.split("\n").length, 1, badErr);
    assert.match(badErr, /--help lists the options/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
