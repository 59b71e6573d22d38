/**
 * `GET /account` and its forms (SPEC §10, §4.7): change the password, download the JSON
 * export (the same stream as `GET /api/v1/export`) and the OPML, delete the account.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { releaseLoginAttempt, reserveLoginAttempt, slowDown } from "../../src/auth/login_limits.ts";
import { changeAccountPassword } from "../../src/auth/password_change.ts";
import { isAccountPassword, PASSWORD_MIN } from "../../src/auth/users.ts";
import { ValidationError } from "../../src/domain/errors.ts";
import { deleteAccount } from "../../src/lifecycle/data_rights.ts";
import { exportAccount, exportHeaders } from "../../src/lifecycle/export.ts";
import type { AppDeps } from "../../src/services.ts";
import type { AppEnv } from "../context.ts";
import { flash, flashed } from "./_flash.ts";
import {
  checkCsrf,
  clientIp,
  endSession,
  navOf,
  readForm,
  requireUser,
  SESSION_COOKIE,
  type WebUser,
} from "./_web.ts";
import { Confirm, Flash } from "./components.tsx";
import { Field, Layout, render } from "./layout.tsx";

type WebContext = Context<AppEnv>;

const SLOT = "account";

/** Field errors of the account page's two password forms. */
interface AccountErrors {
  current_password?: string;
  new_password?: string;
  new_password_confirm?: string;
  /** The whole password form's (too many attempts). */
  password_form?: string;
  delete_password?: string;
}

function AccountPage(props: { me: WebUser; ok?: string | null; errors?: AccountErrors }) {
  const { me } = props;
  const errors = props.errors ?? {};
  const csrf = me.session.csrf;
  return (
    <Layout title="Account" nav={navOf(me)}>
      <Flash ok={props.ok} error={errors.password_form} />
      <p>
        You are logged in as <strong>{me.user.username}</strong>
        {me.user.email ? ` (${me.user.email})` : ""}.
      </p>
      <h2>Change password</h2>
      <form method="post" action="/account/password" class="narrow-form">
        <input type="hidden" name="csrf" value={csrf} />
        <Field
          name="current_password"
          label="Current password"
          type="password"
          autocomplete="current-password"
          error={errors.current_password}
          required
        />
        <Field
          name="new_password"
          label="New password"
          type="password"
          autocomplete="new-password"
          hint={`At least ${PASSWORD_MIN} characters.`}
          error={errors.new_password}
          required
        />
        <Field
          name="new_password_confirm"
          label="New password again"
          type="password"
          autocomplete="new-password"
          error={errors.new_password_confirm}
          required
        />
        <p class="hint">
          Your other browsers and apps logged in with your password are logged out.
        </p>
        <button type="submit">Change password</button>
      </form>
      <h2>Your data</h2>
      <p>
        Everything the server holds about you — subscriptions, plays, playlists, privacy, apps and
        every stored event — as one JSON file, and your subscriptions as OPML for any podcast app.
      </p>
      <div class="actions">
        <a class="button secondary" href="/account/export" download>Download my data (JSON)</a>
        <a class="button secondary" href="/subscriptions.opml" download>
          Download subscriptions (OPML)
        </a>
      </div>
      <h2>Delete account</h2>
      <p>
        Deleting your account erases your history, playlists, tokens, app passwords and public
        activity at once. It cannot be undone; download your data first if you want to keep it.
      </p>
      <Confirm
        action="/account/delete"
        csrf={csrf}
        label="Delete my account…"
        question="Enter your password to delete your account for good."
        confirm="Delete my account"
        open={Boolean(errors.delete_password)}
      >
        <Field
          name="password"
          id="delete_password"
          label="Your password"
          type="password"
          autocomplete="current-password"
          error={errors.delete_password}
          required
        />
      </Confirm>
    </Layout>
  );
}

/** Reserves a password check against the log-in limits; a wait (seconds) when refused. */
async function reserve(c: WebContext, deps: AppDeps, me: WebUser) {
  const attempt = { username: me.user.username, ip: clientIp(c, deps.config.trustedProxies) };
  const reserved = await reserveLoginAttempt(deps, attempt);
  if (reserved.wait === 0) await slowDown(reserved);
  return { attempt, wait: reserved.wait };
}

function tooMany(wait: number): string {
  const minutes = Math.ceil(wait / 60);
  return `Too many wrong passwords. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

/** The account page and its forms. */
export function accountPageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/account", async (c) => {
    const me = await requireUser(c, deps);
    if (me instanceof Response) return me;
    return render(c, <AccountPage me={me} ok={await flashed<string>(c, deps, me, SLOT)} />);
  });

  app.post("/account/password", async (c) => {
    const form = await readForm(c);
    const me = await requireUser(c, deps, "/account");
    if (me instanceof Response) return me;
    checkCsrf(me.session.csrf, form.csrf);
    const { attempt, wait } = await reserve(c, deps, me);
    if (wait > 0) {
      c.header("Retry-After", String(wait));
      return render(c, <AccountPage me={me} errors={{ password_form: tooMany(wait) }} />, 429);
    }
    try {
      const r = await changeAccountPassword(deps, me.user.id, {
        current: form.current_password ?? "",
        next: form.new_password ?? "",
        confirmation: form.new_password_confirm ?? "",
      }, getCookie(c, SESSION_COOKIE));
      await releaseLoginAttempt(deps, attempt);
      const others = r.sessionsEnded === 0
        ? ""
        : ` ${r.sessionsEnded} other session${
          r.sessionsEnded === 1 ? " was" : "s were"
        } logged out.`;
      await flash(c, deps, me, SLOT, `Your password was changed.${others}`);
      return c.redirect("/account", 303);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const d = (err.details ?? {}) as Record<string, string>;
      // Only a wrong current password counts as a failed attempt.
      if (!d.current) await releaseLoginAttempt(deps, attempt);
      const errors: AccountErrors = {
        current_password: d.current,
        new_password: d.next,
        new_password_confirm: d.confirmation,
      };
      return render(c, <AccountPage me={me} errors={errors} />, 422);
    }
  });

  app.get("/account/export", async (c) => {
    const me = await requireUser(c, deps, "/account");
    if (me instanceof Response) return me;
    const x = await exportAccount(deps, me.user.id, me.user.username);
    c.header("X-Content-Type-Options", "nosniff");
    return c.body(x.body, 200, exportHeaders(x));
  });

  app.post("/account/delete", async (c) => {
    const form = await readForm(c);
    const me = await requireUser(c, deps, "/account");
    if (me instanceof Response) return me;
    checkCsrf(me.session.csrf, form.csrf);
    const { attempt, wait } = await reserve(c, deps, me);
    if (wait > 0) {
      c.header("Retry-After", String(wait));
      return render(c, <AccountPage me={me} errors={{ delete_password: tooMany(wait) }} />, 429);
    }
    if (!await isAccountPassword(me.user, form.password ?? "")) {
      const errors = { delete_password: "This is not your password; nothing was deleted." };
      return render(c, <AccountPage me={me} errors={errors} />, 422);
    }
    await releaseLoginAttempt(deps, attempt);
    await deleteAccount(deps, me.user.id);
    deps.logger.info("account deleted from the web", { user_id: me.user.id });
    await endSession(c, deps);
    return c.redirect("/account/deleted", 303);
  });

  app.get("/account/deleted", (c) =>
    render(
      c,
      <Layout title="Your account is deleted" narrow>
        <p>
          Your account and everything stored about it are gone: history, playlists, tokens, app
          passwords and public activity. Apps that used it can no longer sign in.
        </p>
        <p>Thank you for listening with Balados Sync.</p>
        <div class="actions">
          <a class="button secondary" href="/">Go to the home page</a>
        </div>
      </Layout>,
    ));

  return app;
}
