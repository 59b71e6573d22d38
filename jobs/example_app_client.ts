/**
 * A minimal app client (SPEC §2.2), to try the authorization flow by hand. From the
 * repository root (Deno from npm, as in the README):
 *
 *   npx -y deno@2.9.6 run -A jobs/example_app_client.ts --scopes user
 *     → prints the URL to open in a browser to approve the app
 *   npx -y deno@2.9.6 run -A jobs/example_app_client.ts --user alice
 *     → signs a request JWT and prints what GET /api/v1/me answers
 *   JWT=$(npx -y deno@2.9.6 run -A jobs/example_app_client.ts --user alice --print-jwt)
 *     → a request JWT valid for one hour, for curl
 *
 * The ES256 key pair is kept in the --key file (created on first run, reused afterwards),
 * by default under the git-ignored `data/`. Every failure is one line on stderr and a
 * non-zero exit, never a stack trace.
 */
import { parseArgs } from "node:util";
import { dirname } from "node:path";
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT } from "jose";
import type { JWK } from "jose";

/** Where the key pair is kept unless `--key` says otherwise (git-ignored with `data/`). */
const DEFAULT_KEY = "data/example_app_key.json";

const USAGE = `Usage: npx -y deno@2.9.6 run -A jobs/example_app_client.ts [options]
  --scopes <list>    comma-separated scopes the app asks for (default user.sync; "user"
                     covers everything the README's curl examples call)
  --user <id|name>   call /api/v1/me as this user instead of printing the authorize URL
  --print-jwt        with --user: only print a request JWT valid one hour (for curl)
  --base <url>       server base URL (default http://localhost:8000)
  --key <file>       where the app's key pair is kept (default ${DEFAULT_KEY})
  --app-id <id>      the app id, the JWT iss (default example-app)
  -h, --help         this text`;

/** A failure to report in one line (exit code 1, or 2 for a usage error). */
class ClientError extends Error {
  override name = "ClientError";
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

interface StoredKeys {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

async function loadOrCreateKeys(path: string): Promise<StoredKeys> {
  let text: string | null = null;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new ClientError(`cannot read the key file ${path}: ${(err as Error).message}`);
    }
  }
  if (text !== null) {
    try {
      const keys = JSON.parse(text) as StoredKeys;
      if (keys?.privateJwk && keys?.publicJwk) return keys;
    } catch {
      // Reported below.
    }
    throw new ClientError(`${path} is not a key file of this client; move it away or use --key`);
  }
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const keys = { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(keys, null, 2), { mode: 0o600 });
  console.error(`Created a new ES256 key pair in ${path}`);
  return keys;
}

function readArgs(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        key: { type: "string", default: DEFAULT_KEY },
        base: { type: "string", default: "http://localhost:8000" },
        "app-id": { type: "string", default: "example-app" },
        scopes: { type: "string", default: "user.sync" },
        user: { type: "string" },
        "print-jwt": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    throw new ClientError(`${(err as Error).message} (--help lists the options)`, 2);
  }
}

/** GET /api/v1/me with a fresh request JWT; a server that is not there is one clear line. */
async function callMe(base: string, jwt: string): Promise<number> {
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${jwt}` } });
  } catch {
    throw new ClientError(
      `cannot reach ${base}: is the server running? (npx -y deno@2.9.6 task start)`,
    );
  }
  console.log(`${res.status} ${res.statusText}`);
  console.log(JSON.stringify(await res.json().catch(() => null), null, 2));
  return res.ok ? 0 : 1;
}

async function main(args: string[]): Promise<number> {
  const values = readArgs(args);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const base = values.base.replace(/\/$/, "");
  if (!URL.canParse(base)) throw new ClientError(`--base: not a URL: ${base}`, 2);
  const appId = values["app-id"];
  const keys = await loadOrCreateKeys(values.key);
  const privateKey = await importJWK(keys.privateJwk, "ES256") as CryptoKey;
  const now = Math.floor(Date.now() / 1000);

  if (!values.user) {
    const publicKey = await importJWK(keys.publicJwk, "ES256", { extractable: true });
    const token = await new SignJWT({
      app: { name: "Example app", public_key: await exportSPKI(publicKey as CryptoKey) },
      scopes: values.scopes.split(",").map((s) => s.trim()).filter(Boolean),
    })
      .setProtectedHeader({ alg: "ES256" })
      .setIssuer(appId)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
    console.log(`Open this URL, log in and approve (valid for one hour):\n`);
    console.log(`${base}/authorize?token=${token}\n`);
    console.log(`Then run again with --user <your username> to call /api/v1/me.`);
    return 0;
  }

  const jwt = await new SignJWT({ device_id: "example-device", device_name: "Example client" })
    .setProtectedHeader({ alg: "ES256" })
    .setIssuer(appId)
    .setSubject(values.user)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + (values["print-jwt"] ? 3600 : 300))
    .sign(privateKey);
  if (values["print-jwt"]) {
    console.log(jwt);
    return 0;
  }
  return await callMe(base, jwt);
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    const known = err instanceof ClientError;
    console.error(`example_app_client: ${known ? err.message : String(err).split("\n")[0]}`);
    Deno.exit(known ? err.exitCode : 1);
  }
}
