/**
 * `GET/POST /app-passwords` and `POST /app-passwords/{id}/revoke` (SPEC §2.5): passwords
 * for apps that only speak HTTP Basic (gpodder clients such as AntennaPod or gPodder).
 */
import { Hono } from "hono";
import type { Context } from "hono";
import {
  createAppPassword,
  type CreatedAppPassword,
  listAppPasswords,
  revokeAppPassword,
} from "../../src/auth/app_passwords.ts";
import { DomainError } from "../../src/domain/errors.ts";
import type { AppDeps } from "../../src/services.ts";
import type { AppEnv } from "../context.ts";
import { checkCsrf, currentUser, readForm, redirectToLogIn, type WebUser } from "./_web.ts";
import { Confirm, When } from "./components.tsx";
import { Field, Layout, render } from "./layout.tsx";

async function page(
  c: Context<AppEnv>,
  deps: AppDeps,
  me: WebUser,
  extra: { created?: CreatedAppPassword; error?: string; status?: 200 | 201 | 409 | 422 } = {},
) {
  const passwords = await listAppPasswords(deps, me.user.id);
  const csrf = me.session.csrf;
  const view = (
    <Layout title="App passwords" nav={{ username: me.user.username, csrf }}>
      <p>
        Podcast apps that sync with the gpodder.net protocol (AntennaPod, gPodder, Kasts…) sign in
        with your username and a password. Give each app its own app password: you can revoke it
        here without changing your account password.
      </p>
      {extra.created && (
        <div class="notice" role="status">
          <p>
            App password <strong>{extra.created.name}</strong>{" "}
            created. Copy it now: it will not be shown again.
          </p>
          <code class="token">{extra.created.password}</code>
          <p>
            In the app, use the server <code>{deps.config.baseUrl}</code>, your username{" "}
            <strong>{me.user.username}</strong> and this password.
          </p>
        </div>
      )}
      <h2>New app password</h2>
      <form method="post" action="/app-passwords">
        <input type="hidden" name="csrf" value={csrf} />
        <Field
          name="name"
          label="Name"
          hint="Which app or device will use it, e.g. AntennaPod on my phone."
          error={extra.error}
          required
        />
        <button type="submit">Create app password</button>
      </form>
      <h2>Your app passwords</h2>
      {passwords.length === 0 ? <p>None yet.</p> : (
        <table class="responsive">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="sr-only">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {passwords.map((p) => (
              <tr>
                <td>
                  <strong>{p.name}</strong>
                </td>
                <td data-label="Created">
                  <When iso={p.created_at} />
                </td>
                <td data-label="Last used">
                  <When iso={p.last_used_at} />
                </td>
                <td>
                  <Confirm
                    action={`/app-passwords/${encodeURIComponent(p.id)}/revoke`}
                    csrf={csrf}
                    label="Revoke"
                    accessibleLabel={`Revoke ${p.name}`}
                    question={`Revoke “${p.name}”? The app using it is signed out at once.`}
                    confirm="Revoke app password"
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
  return render(c, view, extra.status ?? 200);
}

/** The app passwords page of a logged-in user. */
export function appPasswordPageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/app-passwords", async (c) => {
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, "/app-passwords");
    return await page(c, deps, me);
  });

  app.post("/app-passwords", async (c) => {
    const form = await readForm(c);
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, "/app-passwords");
    checkCsrf(me.session.csrf, form.csrf);
    try {
      const created = await createAppPassword(deps, me.user.id, form.name ?? "", deps.newId);
      return await page(c, deps, me, { created, status: 201 });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const status = err.code === "conflict" ? 409 : 422;
      return await page(c, deps, me, { error: err.message, status });
    }
  });

  app.post("/app-passwords/:id/revoke", async (c) => {
    const form = await readForm(c);
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, "/app-passwords");
    checkCsrf(me.session.csrf, form.csrf);
    await revokeAppPassword(deps, me.user.id, c.req.param("id"));
    deps.basicAuth.forgetUser(me.user.id);
    return c.redirect("/app-passwords", 303);
  });

  return app;
}
