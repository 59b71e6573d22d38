/**
 * Nextcloud Login Flow v2 (SPEC §9), the only way AntennaPod sets up its Nextcloud mode:
 * the app starts a flow and gets a log-in page URL (with one secret) and a poll token
 * (another secret); the user opens the page, logs in and approves; the app polls until it
 * receives a new app password — once. Flows expire after 20 minutes. Only hashes of the two
 * secrets are keys; the app password waits in the flow record until it is polled.
 */
import { createAppPassword } from "../auth/app_passwords.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { looksLikeToken, randomToken } from "../auth/random.ts";
import { secretHash } from "../store/hash.ts";
import * as keys from "../store/keys.ts";

/** How long a flow may wait for the user and the app. */
export const LOGIN_FLOW_TTL_MS = 20 * 60_000;

/** What `["login_flow", hash]` holds (keyed by the poll token's hash and the page's). */
interface FlowRecord {
  readonly poll_hash: string;
  /** Who asked (the app's User-Agent), shown on the approval page. */
  readonly client: string;
  readonly created_at: number;
  readonly approved?: { readonly login_name: string; readonly app_password: string };
}

/** Starts a flow: the page token (for the log-in URL) and the poll token. */
export async function startLoginFlow(
  deps: AuthDeps,
  client: string,
): Promise<{ pageToken: string; pollToken: string }> {
  const pageToken = randomToken();
  const pollToken = randomToken();
  const pollHash = await secretHash(pollToken);
  const record: FlowRecord = {
    poll_hash: pollHash,
    client: client.slice(0, 120) || "An app",
    created_at: deps.clock.now(),
  };
  await deps.kv.atomic()
    .set(keys.loginFlowKey(pollHash), record, { expireIn: LOGIN_FLOW_TTL_MS })
    .set(keys.loginFlowKey(await secretHash(pageToken)), { poll_hash: pollHash }, {
      expireIn: LOGIN_FLOW_TTL_MS,
    })
    .commit();
  return { pageToken, pollToken };
}

async function live(
  deps: AuthDeps,
  pollHash: string,
): Promise<Deno.KvEntryMaybe<FlowRecord> | null> {
  const entry = await deps.kv.get<FlowRecord>(keys.loginFlowKey(pollHash));
  if (!entry.value || deps.clock.now() - entry.value.created_at > LOGIN_FLOW_TTL_MS) return null;
  return entry;
}

/** The flow a log-in page token belongs to (who asks), or null when unknown or expired. */
export async function flowForPage(
  deps: AuthDeps,
  pageToken: string,
): Promise<{ client: string; pollHash: string; approved: boolean } | null> {
  if (!looksLikeToken(pageToken)) return null;
  const page = await deps.kv.get<{ poll_hash: string }>(
    keys.loginFlowKey(await secretHash(pageToken)),
  );
  if (!page.value) return null;
  const flow = await live(deps, page.value.poll_hash);
  return flow
    ? {
      client: flow.value!.client,
      pollHash: page.value.poll_hash,
      approved: !!flow.value!.approved,
    }
    : null;
}

/** The user approved: a new app password waits for the app's next poll. */
export async function approveLoginFlow(
  deps: AuthDeps & { newId: () => string },
  pageToken: string,
  user: { id: string; username: string },
): Promise<boolean> {
  const flow = await flowForPage(deps, pageToken);
  if (!flow || flow.approved) return false;
  const entry = await live(deps, flow.pollHash);
  if (!entry) return false;
  const stamp = new Date(deps.clock.now()).toISOString().slice(0, 16).replace("T", " ");
  const created = await createAppPassword(
    deps,
    user.id,
    `${entry.value!.client} (${stamp})`.slice(0, 100),
    deps.newId,
  );
  const next: FlowRecord = {
    ...entry.value!,
    approved: { login_name: user.username, app_password: created.password },
  };
  const left = Math.max(1, LOGIN_FLOW_TTL_MS - (deps.clock.now() - entry.value!.created_at));
  const res = await deps.kv.atomic().check(entry).set(entry.key, next, { expireIn: left }).commit();
  return res.ok;
}

/** The user denied: the flow ends. */
export async function denyLoginFlow(deps: AuthDeps, pageToken: string): Promise<void> {
  const flow = await flowForPage(deps, pageToken);
  if (!flow) return;
  await deps.kv.atomic().delete(keys.loginFlowKey(flow.pollHash))
    .delete(keys.loginFlowKey(await secretHash(pageToken))).commit();
}

/**
 * The app polls: null until approved (and for unknown or expired tokens); then the
 * credentials, once — the flow is gone afterwards.
 */
export async function pollLoginFlow(
  deps: AuthDeps,
  pollToken: string,
): Promise<{ loginName: string; appPassword: string } | null> {
  if (!looksLikeToken(pollToken)) return null;
  const entry = await live(deps, await secretHash(pollToken));
  if (!entry?.value?.approved) return null;
  const res = await deps.kv.atomic().check(entry).delete(entry.key).commit();
  if (!res.ok) return null;
  return {
    loginName: entry.value.approved.login_name,
    appPassword: entry.value.approved.app_password,
  };
}
