/**
 * A minimal app client (SPEC §2.2), to try the authorization flow by hand:
 *
 *   deno run --allow-read --allow-write --allow-net jobs/example_app_client.ts --key app_key.json
 *     → prints the URL to open in a browser to approve the app
 *   deno run … jobs/example_app_client.ts --key app_key.json --user alice
 *     → signs a request JWT and prints what GET /api/v1/me answers
 *   JWT=$(deno run … jobs/example_app_client.ts --user alice --print-jwt)
 *     → a request JWT valid for one hour, for curl
 *
 * The ES256 key pair is kept in the --key file (created on first run, reused afterwards).
 */
import { parseArgs } from "node:util";
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT } from "jose";
import type { JWK } from "jose";

const USAGE = `Usage: deno run --allow-read --allow-write --allow-net jobs/example_app_client.ts
  --key <file>       where the app's key pair is kept (default ./app_key.json)
  --base <url>       server base URL (default http://localhost:8000)
  --app-id <id>      the app id, the JWT iss (default example-app)
  --scopes <list>    comma-separated scopes to request (default user.sync)
  --user <id|name>   call /api/v1/me as this user instead of printing the authorize URL
  --print-jwt        with --user: only print a request JWT valid one hour (for curl)`;

interface StoredKeys {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

async function loadOrCreateKeys(path: string): Promise<StoredKeys> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as StoredKeys;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const keys = { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
  await Deno.writeTextFile(path, JSON.stringify(keys, null, 2), { mode: 0o600 });
  console.error(`Created a new ES256 key pair in ${path}`);
  return keys;
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      key: { type: "string", default: "./app_key.json" },
      base: { type: "string", default: "http://localhost:8000" },
      "app-id": { type: "string", default: "example-app" },
      scopes: { type: "string", default: "user.sync" },
      user: { type: "string" },
      "print-jwt": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const base = values.base.replace(/\/$/, "");
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
  const res = await fetch(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${jwt}` } });
  console.log(`${res.status} ${res.statusText}`);
  console.log(JSON.stringify(await res.json().catch(() => null), null, 2));
  return res.ok ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
