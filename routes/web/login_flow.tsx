/**
 * The page of Nextcloud Login Flow v2 (SPEC §9): an app (AntennaPod's Nextcloud mode) sent
 * the user here; once logged in, they approve or deny "<app> wants an app password".
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { approveLoginFlow, denyLoginFlow, flowForPage } from "../../src/gpodder/login_flow.ts";
import type { AppDeps } from "../../src/services.ts";
import type { AppEnv } from "../context.ts";
import { checkCsrf, currentUser, readForm, redirectToLogIn } from "./_web.ts";
import { Layout, render } from "./layout.tsx";

function message(c: Context<AppEnv>, title: string, text: string, status: 200 | 404 = 200) {
  return render(
    c,
    <Layout title={title}>
      <p role="status">{text}</p>
    </Layout>,
    status,
  );
}

/** `GET /login/v2/flow/{token}` and its approve / deny forms. */
export function loginFlowRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/login/v2/flow/:token", async (c) => {
    const token = c.req.param("token");
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, `/login/v2/flow/${encodeURIComponent(token)}`);
    const flow = await flowForPage(deps, token);
    if (!flow || flow.approved) {
      return message(
        c,
        "Link expired",
        "This sign-in link is unknown or has expired. Start again from the app.",
        404,
      );
    }
    const csrf = me.session.csrf;
    const action = `/login/v2/flow/${encodeURIComponent(token)}`;
    return render(
      c,
      <Layout title="Connect an app" nav={{ username: me.user.username, csrf }}>
        <p>
          <strong>{flow.client}</strong> wants an app password for your account{" "}
          <strong>{me.user.username}</strong>. It will be able to sync your subscriptions and
          listening positions. You can revoke it at any time on the App passwords page.
        </p>
        <div class="actions">
          <form method="post" action={`${action}/approve`}>
            <input type="hidden" name="csrf" value={csrf} />
            <button type="submit" class="primary">Grant access</button>
          </form>
          <form method="post" action={`${action}/deny`}>
            <input type="hidden" name="csrf" value={csrf} />
            <button type="submit" class="secondary">Deny</button>
          </form>
        </div>
      </Layout>,
    );
  });

  app.post("/login/v2/flow/:token/approve", async (c) => {
    const token = c.req.param("token");
    const form = await readForm(c);
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, `/login/v2/flow/${encodeURIComponent(token)}`);
    checkCsrf(me.session.csrf, form.csrf);
    const ok = await approveLoginFlow(deps, token, me.user);
    return ok
      ? message(
        c,
        "App connected",
        "Access granted. You can close this page and go back to the app.",
      )
      : message(c, "Link expired", "This sign-in link is unknown or has expired.", 404);
  });

  app.post("/login/v2/flow/:token/deny", async (c) => {
    const token = c.req.param("token");
    const form = await readForm(c);
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, `/login/v2/flow/${encodeURIComponent(token)}`);
    checkCsrf(me.session.csrf, form.csrf);
    await denyLoginFlow(deps, token);
    return message(c, "Access denied", "The app was not given access.");
  });

  return app;
}
