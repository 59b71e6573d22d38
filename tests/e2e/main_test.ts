import assert from "node:assert/strict";
import { freePort, startMain, waitForHealth } from "../_support/process.ts";

Deno.test("main.ts serves /health on its port and exits 0 on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const child = startMain(dir, {
    PORT: String(port),
    KV_PATH: `${dir}/data/test.kv`,
    LOG_LEVEL: "warn",
  });
  try {
    const res = await waitForHealth(`http://127.0.0.1:${port}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok", kv: "ok" });
    const stat = await Deno.stat(`${dir}/data/test.kv`);
    assert.ok(stat.isFile, "the KV file was created");
  } finally {
    child.kill("SIGTERM");
  }
  const [status, out, err] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  assert.equal(status.code, 0, `exit ${status.code}\n${out}\n${err}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("main.ts refuses a bad configuration with a one-line message", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname],
    env: { PORT: "not-a-port", KV_PATH: ":memory:" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.notEqual(out.code, 0);
  const msg = new TextDecoder().decode(out.stderr).trim();
  assert.match(msg, /^configuration error: PORT: /);
  assert.equal(msg.split("\n").length, 1);
});

Deno.test("deno task job and deno task projections:rebuild run against the configured KV", async () => {
  const dir = await Deno.makeTempDir();
  const root = new URL("../../", import.meta.url).pathname;
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", ...args],
      cwd: root,
      env: { KV_PATH: `${dir}/data/jobs.kv`, LOG_LEVEL: "warn", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return { code: out.code, text };
  };
  const job = await run("job", "project");
  assert.equal(job.code, 0, job.text);
  assert.match(job.text, /"job":"project"/);
  const rebuild = await run("projections:rebuild");
  assert.equal(rebuild.code, 0, rebuild.text);
  assert.match(rebuild.text, /"rebuilt":true/);
  const unknown = await run("job", "nope");
  assert.equal(unknown.code, 2, unknown.text);
  assert.match(unknown.text, /usage: deno task job/);
  await Deno.remove(dir, { recursive: true });
});
