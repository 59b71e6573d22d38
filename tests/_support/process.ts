/** Helpers for end-to-end tests that run main.ts as a subprocess on loopback. */

/** A free loopback port (bind to 0, read it, release it). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

/** Polls `url` until the server answers (or the deadline passes). */
export async function waitForHealth(url: string, deadlineMs = 20_000): Promise<Response> {
  const until = Date.now() + deadlineMs;
  while (true) {
    try {
      return await fetch(url);
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts main.ts with `env` (merged over this process's environment) and `args` (e.g.
 * `["job", "popularity"]` for a one-off job; none to serve).
 */
export function startMain(
  dir: string,
  env: Record<string, string>,
  args: readonly string[] = [],
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname, ...args],
    cwd: dir,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}
