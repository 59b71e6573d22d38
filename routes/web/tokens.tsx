/** `GET/POST /users/tokens` and `POST /users/tokens/{id}/revoke`: user tokens (SPEC §2.4). */
import { Hono } from "hono";
import type { Context } from "hono";
import type { AuthDeps } from "../../src/auth/deps.ts";
import { createUserToken, listUserTokens, revokeUserToken } from "../../src/auth/user_tokens.ts";
import { DomainError, NotFoundError } from "../../src/domain/errors.ts";
import type { AppEnv } from "../context.ts";
import { flash, flashed } from "./_flash.ts";
import { checkCsrf, navOf, readForm, requireUser, type WebUser } from "./_web.ts";
import { Confirm, Flash, When } from "./components.tsx";
import { Field, Layout, render } from "./layout.tsx";

/** What the page shows once after a change (kept server-side, never in the URL). */
interface TokensFlash {
  readonly created?: { readonly name: string; readonly token: string };
  readonly revoked?: string;
}

const SLOT = "tokens";
const NAME_MAX = 100;

async function tokensPage(
  c: Context<AppEnv>,
  deps: AuthDeps,
  me: WebUser,
  extra: { shown?: TokensFlash | null; error?: string; name?: string; status?: 409 | 422 } = {},
) {
  const tokens = await listUserTokens(deps, me.user.id);
  const csrf = me.session.csrf;
  const created = extra.shown?.created;
  const base = deps.config.baseUrl;
  const page = (
    <Layout title="User tokens" nav={navOf(me)}>
      <p>
        A user token lets an RSS reader read your personal feeds and record what you play. Anyone
        who has it can do the same, so treat it like a password.
      </p>
      <Flash ok={extra.shown?.revoked ? `Token “${extra.shown.revoked}” revoked.` : null} />
      {created && (
        <div class="notice" role="status">
          <p>
            Token <strong>{created.name}</strong> created. Copy it now: it will not be shown again.
          </p>
          <code class="token">{created.token}</code>
          <p>Your subscriptions feed:</p>
          <code class="token">{`${base}/rss/${created.token}/subscriptions`}</code>
          <p>
            A playlist's feed: <code>{`${base}/rss/${created.token}/playlists/`}</code>
            followed by the playlist's id (shown on each <a href="/playlists">playlist</a>).
          </p>
        </div>
      )}
      <h2>New token</h2>
      <form method="post" action="/users/tokens">
        <input type="hidden" name="csrf" value={csrf} />
        <Field
          name="name"
          label="Name"
          value={extra.name}
          hint={`Where you will use it, e.g. My RSS reader (at most ${NAME_MAX} characters).`}
          error={extra.error}
          required
        />
        <button type="submit">Create token</button>
      </form>
      <h2>Your tokens</h2>
      {tokens.length === 0 ? <p>None yet.</p> : (
        <table class="responsive">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Starts with</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="sr-only">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr>
                <td>
                  <strong>{t.name}</strong>
                </td>
                <td data-label="Starts with">
                  <code>{t.prefix}…</code>
                </td>
                <td data-label="Created">
                  <When iso={t.created_at} />
                </td>
                <td data-label="Last used">
                  <When iso={t.last_used_at} />
                </td>
                <td>
                  <Confirm
                    action={`/users/tokens/${encodeURIComponent(t.id)}/revoke`}
                    csrf={csrf}
                    label="Revoke"
                    accessibleLabel={`Revoke ${t.name}`}
                    question={`Revoke “${t.name}”? Readers using it stop getting your feeds.`}
                    confirm="Revoke token"
                  />
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
    const me = await requireUser(c, deps, "/users/tokens");
    if (me instanceof Response) return me;
    return await tokensPage(c, deps, me, {
      shown: await flashed<TokensFlash>(c, deps, me, SLOT),
    });
  });

  app.post("/users/tokens", async (c) => {
    const form = await readForm(c);
    const me = await requireUser(c, deps, "/users/tokens");
    if (me instanceof Response) return me;
    checkCsrf(me.session.csrf, form.csrf);
    try {
      const created = await createUserToken(deps, me.user.id, form.name ?? "");
      // Shown once on the page the browser is sent to: a reload re-reads, never re-creates.
      await flash<TokensFlash>(c, deps, me, SLOT, {
        created: { name: created.name, token: created.token },
      });
      return c.redirect("/users/tokens", 303);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const status = err.code === "conflict" ? 409 : 422;
      const name = (form.name ?? "").trim().slice(0, NAME_MAX * 2);
      return await tokensPage(c, deps, me, { error: err.message, name, status });
    }
  });

  app.post("/users/tokens/:id/revoke", async (c) => {
    const form = await readForm(c);
    const me = await requireUser(c, deps, "/users/tokens");
    if (me instanceof Response) return me;
    checkCsrf(me.session.csrf, form.csrf);
    const id = c.req.param("id");
    const name = (await listUserTokens(deps, me.user.id)).find((t) => t.id === id)?.name;
    if (name === undefined || !await revokeUserToken(deps, me.user.id, id)) {
      throw new NotFoundError("You have no token with this id.");
    }
    await flash<TokensFlash>(c, deps, me, SLOT, { revoked: name });
    return c.redirect("/users/tokens", 303);
  });

  return app;
}
