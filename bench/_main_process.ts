/**
 * `main.ts` (or another revision's) as a subprocess on a free loopback port with its own KV
 * file, for the benchmarks whose client runs in another process.
 */
import { freePort } from "../tests/_support/process.ts";

/** The last 8,000 characters of a stream (a server's log, for an error message). */
export async function tail(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text = (text + chunk).slice(-8_000);
  }
  return text;
}

/** A started server process: its base URL and the tails of its stdout and stderr. */
export interface MainProcess {
  readonly child: Deno.ChildProcess;
  readonly base: string;
  readonly logs: Promise<string[]>;
}

/**
 * Spawns the server with `PORT`, `KV_PATH`, `LOG_LEVEL=warn` and `BASE_URL` set, `env` over
 * them, and `flags` before the script (e.g. `--cpu-prof`). It does not wait for it to listen.
 */
export function spawnMain(options: {
  cwd: string;
  kvPath: string;
  env?: Record<string, string>;
  flags?: readonly string[];
  /** The script (default: this tree's `main.ts`). */
  mainTs?: string;
}): MainProcess {
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      "--allow-sys",
      ...options.flags ?? [],
      options.mainTs ?? new URL("../main.ts", import.meta.url).pathname,
    ],
    cwd: options.cwd,
    env: {
      PORT: String(port),
      KV_PATH: options.kvPath,
      LOG_LEVEL: "warn",
      BASE_URL: base,
      ...options.env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return { child, base, logs: Promise.all([tail(child.stdout), tail(child.stderr)]) };
}
