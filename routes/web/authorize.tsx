/** `GET/POST /authorize`: a user approves or denies an app (SPEC §2.2 steps 2–3). */
import { Hono } from "hono";
import type { Context } from "hono";
import { authorizeApp, getAppToken } from "../../src/auth/app_tokens.ts";
import type { AuthDeps } from "../../src/auth/deps.ts";
import { type AuthorizationRequest, verifyAuthorizationJwt } from "../../src/auth/jwt.ts";
import { DomainError } from "../../src/domain/errors.ts";
import type { AppEnv } from "../context.ts";
import { checkCsrf, currentUser, readForm, redirectToLogIn } from "./_web.ts";
import { Layout, type NavUser, render, ScopeList } from "./layout.tsx";

type WebContext = Context<AppEnv>;

function withParams(uri: string, params: Record<string, string | null>): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== null) url.searchParams.set(name, value);
  }
  return url.href;
}

function whereTo(uri: string): string {
  const url = new URL(uri);
  return url.protocol === "https:" ? url.host : `${url.protocol}//${url.host}`;
}

function problem(c: WebContext, err: DomainError, nav: NavUser | null) {
  return render(
    c,
    <Layout title="This authorization request cannot be used" nav={nav}>
      <p class="error" role="alert">{err.message}</p>
      <p>Go back to the app and start again, or tell its developer.</p>
    </Layout>,
    400,
  );
}

async function verify(
  deps: AuthDeps,
  token: string | undefined,
): Promise<AuthorizationRequest | DomainError> {
  if (!token) return new DomainError("invalid_authorization", "The link has no token.");
  try {
    return await verifyAuthorizationJwt(token, { now: deps.clock.now() });
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
}

function AppCard(props: { request: AuthorizationRequest }) {
  const r = props.request;
  return (
    <section aria-labelledby="app-name">
      <h2 id="app-name">
        {r.app_image && <img class="app" src={r.app_image} alt="" />} {r.app_name}
      </h2>
      {r.app_url && (
        <p>
          Website:{" "}
          <a href={r.app_url} rel="noopener noreferrer nofollow">{new URL(r.app_url).host}</a>
        </p>
      )}
      <p class="hint">
        App id: <code>{r.app_id}</code>
      </p>
    </section>
  );
}

/** The authorize pages. */
export function authorizeRoutes(deps: AuthDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/authorize", async (c) => {
    const token = c.req.query("token");
    const me = await currentUser(c, deps);
    const nav = me ? { username: me.user.username, csrf: me.session.csrf } : null;
    const request = await verify(deps, token);
    if (request instanceof DomainError) return problem(c, request, nav);
    if (!me) return redirectToLogIn(c, `/authorize?token=${encodeURIComponent(token!)}`);
    const existing = await getAppToken(deps, me.user.id, request.app_id);
    const page = (
      <Layout title="Authorize an app" nav={nav}>
        <AppCard request={request} />
        <p>
          <strong>{request.app_name}</strong> asks to use your account{" "}
          <strong>{me.user.username}</strong> to:
        </p>
        <ScopeList scopes={request.scopes} />
        {existing?.value && existing.value.revoked_at === null && (
          <p class="notice">
            You already authorized this app. Approving again replaces its key and permissions.
          </p>
        )}
        {request.redirect_uri && (
          <p class="hint">After you answer you will be sent to {whereTo(request.redirect_uri)}.</p>
        )}
        <form method="post" action="/authorize" class="actions">
          <input type="hidden" name="csrf" value={me.session.csrf} />
          <input type="hidden" name="token" value={token} />
          <button type="submit" name="decision" value="approve">Approve</button>
          <button type="submit" name="decision" value="deny" class="secondary">
            Deny
          </button>
        </form>
      </Layout>
    );
    return render(c, page);
  });

  app.post("/authorize", async (c) => {
    const form = await readForm(c);
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, `/authorize?token=${encodeURIComponent(form.token ?? "")}`);
    checkCsrf(me.session.csrf, form.csrf);
    const nav = { username: me.user.username, csrf: me.session.csrf };
    const request = await verify(deps, form.token);
    if (request instanceof DomainError) return problem(c, request, nav);
    const state = request.state;
    if (form.decision === "deny") {
      if (request.redirect_uri) {
        return c.redirect(withParams(request.redirect_uri, { error: "access_denied", state }), 303);
      }
      return render(
        c,
        <Layout title="Access denied" nav={nav}>
          <p>{request.app_name} was not given access to your account.</p>
        </Layout>,
      );
    }
    if (form.decision !== "approve") {
      return problem(c, new DomainError("invalid_form", "Choose Approve or Deny."), nav);
    }
    await authorizeApp(deps, me.user.id, request);
    deps.logger.info("app authorized", { user_id: me.user.id, app_id: request.app_id });
    const { id: user_id, username } = me.user;
    if (request.redirect_uri) {
      return c.redirect(withParams(request.redirect_uri, { user_id, username, state }), 303);
    }
    return render(
      c,
      <Layout title="App authorized" nav={nav}>
        <p>{request.app_name} can now use your account. If it asks, give it:</p>
        <dl>
          <dt>User id</dt>
          <dd>
            <code>{user_id}</code>
          </dd>
          <dt>Username</dt>
          <dd>
            <code>{username}</code>
          </dd>
        </dl>
        <p>
          You can revoke its access at any time on the <a href="/apps">apps page</a>.
        </p>
      </Layout>,
    );
  });

  return app;
}
