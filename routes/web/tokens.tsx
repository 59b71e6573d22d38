/** `GET/POST /users/tokens` and `POST /users/tokens/{id}/revoke`: user tokens (SPEC §2.4). */
import { Hono } from "hono";
import type { Context } from "hono";
import type { AuthDeps } from "../../src/auth/deps.ts";
import {
  type CreatedUserToken,
  createUserToken,
  listUserTokens,
} from "../../src/auth/user_tokens.ts";
import { revokeUserToken } from "../../src/auth/user_tokens.ts";
import { DomainError } from "../../src/domain/errors.ts";
import type { AppEnv } from "../context.ts";
import { checkCsrf, currentUser, readForm, redirectToLogIn, type WebUser } from "./_web.ts";
import { Field, Layout, render } from "./layout.tsx";

async function tokensPage(
  c: Context<AppEnv>,
  deps: AuthDeps,
  me: WebUser,
  extra: { created?: CreatedUserToken; error?: string; status?: 200 | 201 | 409 | 422 } = {},
) {
  const tokens = await listUserTokens(deps, me.user.id);
  const csrf = me.session.csrf;
  const feed = extra.created && `${deps.config.baseUrl}/rss/${extra.created.token}/subscriptions`;
  const page = (
    <Layout title="User tokens" nav={{ username: me.user.username, csrf }}>
      <p>
        A user token lets an RSS reader read your personal feeds and record what you play. Anyone
        who has it can do the same, so treat it like a password.
      </p>
      {extra.created && (
        <div class="notice" role="status">
          <p>
            Token <strong>{extra.created.name}</strong>{" "}
            created. Copy it now: it will not be shown again.
          </p>
          <code class="token">{extra.created.token}</code>
          <p>Your subscriptions feed:</p>
          <code class="token">{feed}</code>
        </div>
      )}
      <h2>New token</h2>
      <form method="post" action="/users/tokens">
        <input type="hidden" name="csrf" value={csrf} />
        <Field
          name="name"
          label="Name"
          hint="Where you will use it, e.g. My RSS reader."
          error={extra.error}
          required
        />
        <button type="submit">Create token</button>
      </form>
      <h2>Your tokens</h2>
      {tokens.length === 0 ? <p>None yet.</p> : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Starts with</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="hint">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr>
                <td>{t.name}</td>
                <td>
                  <code>{t.prefix}…</code>
                </td>
                <td>{t.created_at.slice(0, 10)}</td>
                <td>{t.last_used_at ? t.last_used_at.slice(0, 10) : "never"}</td>
                <td>
                  <form method="post" action={`/users/tokens/${t.id}/revoke`}>
                    <input type="hidden" name="csrf" value={csrf} />
                    <button type="submit" class="link" aria-label={`Revoke ${t.name}`}>
                      Revoke
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
  return render(c, page, extra.status ?? 200);
}

/** The user tokens page of a logged-in user. */
export function tokensPageRoutes(deps: AuthDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/users/tokens", async (c) => {
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, "/users/tokens");
    return await tokensPage(c, deps, me);
  });

  app.post("/users/tokens", async (c) => {
    const form = await readForm(c);
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, "/users/tokens");
    checkCsrf(me.session.csrf, form.csrf);
    try {
      const created = await createUserToken(deps, me.user.id, form.name ?? "");
      return await tokensPage(c, deps, me, { created, status: 201 });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const status = err.code === "conflict" ? 409 : 422;
      return await tokensPage(c, deps, me, { error: err.message, status });
    }
  });

  app.post("/users/tokens/:id/revoke", async (c) => {
    const form = await readForm(c);
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, "/users/tokens");
    checkCsrf(me.session.csrf, form.csrf);
    await revokeUserToken(deps, me.user.id, c.req.param("id"));
    return c.redirect("/users/tokens", 303);
  });

  return app;
}
