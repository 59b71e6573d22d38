/** `GET /apps` and `POST /apps/{app_id}/revoke`: the apps a user has authorized (SPEC §2.2). */
import { Hono } from "hono";
import { listAppTokens, revokeAppToken } from "../../src/auth/app_tokens.ts";
import type { AuthDeps } from "../../src/auth/deps.ts";
import type { AppEnv } from "../context.ts";
import { checkCsrf, currentUser, readForm, redirectToLogIn } from "./_web.ts";
import { Confirm } from "./components.tsx";
import { Layout, render, ScopeList } from "./layout.tsx";

/** The apps page of a logged-in user. */
export function appsPageRoutes(deps: AuthDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/apps", async (c) => {
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, "/apps");
    const apps = await listAppTokens(deps, me.user.id);
    const csrf = me.session.csrf;
    const page = (
      <Layout title="Authorized apps" nav={{ username: me.user.username, csrf }}>
        {apps.length === 0 && <p>No app can use your account yet.</p>}
        {apps.map((a) => (
          <section aria-label={a.app_name}>
            <h2>{a.app_name}</h2>
            <p class="hint">
              Id <code>{a.app_id}</code> · authorized {a.authorized_at.slice(0, 10)} · last used
              {" "}
              {a.last_used_at ? a.last_used_at.slice(0, 16).replace("T", " ") : "never"}
            </p>
            <ScopeList scopes={a.scopes} />
            <Confirm
              action={`/apps/${encodeURIComponent(a.app_id)}/revoke`}
              csrf={csrf}
              label="Revoke access"
              accessibleLabel={`Revoke access of ${a.app_name}`}
              question={`Revoke ${a.app_name}? It stops syncing with your account at once.`}
              confirm="Revoke app"
            />
          </section>
        ))}
      </Layout>
    );
    return render(c, page);
  });

  app.post("/apps/:app_id/revoke", async (c) => {
    const form = await readForm(c);
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, "/apps");
    checkCsrf(me.session.csrf, form.csrf);
    const appId = c.req.param("app_id");
    if (await revokeAppToken(deps, me.user.id, appId)) {
      deps.logger.info("app revoked", { user_id: me.user.id, app_id: appId });
    }
    return c.redirect("/apps", 303);
  });

  return app;
}
