/** `GET/POST /users/register`, `GET/POST /users/log_in`, `POST /users/log_out` (SPEC §2.1). */
import { Hono } from "hono";
import type { AuthDeps } from "../../src/auth/deps.ts";
import {
  releaseLoginAttempt,
  reserveLoginAttempt,
  reserveSignUp,
  slowDown,
} from "../../src/auth/login_limits.ts";
import {
  authenticate,
  checkNewUser,
  createUser,
  hasAdmin,
  PASSWORD_MIN,
} from "../../src/auth/users.ts";
import { DomainError } from "../../src/domain/errors.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import {
  anonymousCsrf,
  checkAnonymousCsrf,
  checkCsrf,
  clientIp,
  currentUser,
  endSession,
  readForm,
  safeReturnTo,
  startSession,
} from "./_web.ts";
import { Flash } from "./components.tsx";
import { Field, Layout, render } from "./layout.tsx";

/** Said when a logged-out form comes back without its CSRF cookie or with an old token. */
const EXPIRED_FORM = "This form had expired, so nothing was sent. It is ready again: " +
  "please submit it once more (and allow cookies for this site).";

/** Whether a logged-out form carries the token of its double-submit cookie. */
function anonymousCsrfOk(
  c: Parameters<typeof checkAnonymousCsrf>[0],
  form: Record<string, string>,
) {
  try {
    checkAnonymousCsrf(c, form);
    return true;
  } catch {
    return false;
  }
}

/** Where a visitor lands after logging in when no return path was given. */
const HOME = "/apps";

function ReturnTo(props: { path: string | null }) {
  return props.path ? <input type="hidden" name="return_to" value={props.path} /> : null;
}

function RegisterForm(
  props: {
    csrf: string;
    returnTo: string | null;
    values?: Record<string, string>;
    errors?: Record<string, string>;
  },
) {
  const { values = {}, errors = {} } = props;
  return (
    <form method="post" action="/users/register">
      <input type="hidden" name="csrf" value={props.csrf} />
      <ReturnTo path={props.returnTo} />
      <Flash error={errors.form} />
      <Field
        name="username"
        label="Username"
        value={values.username}
        error={errors.username}
        hint="3 to 32 characters: letters, digits, '_', '.' or '-'."
        autocomplete="username"
        required
      />
      <Field
        name="email"
        label="Email (optional)"
        type="email"
        value={values.email}
        error={errors.email}
        autocomplete="email"
      />
      <Field
        name="password"
        label="Password"
        type="password"
        error={errors.password}
        hint={`At least ${PASSWORD_MIN} characters.`}
        autocomplete="new-password"
        required
      />
      <button type="submit">Create account</button>
    </form>
  );
}

function LogInForm(
  props: { csrf: string; returnTo: string | null; username?: string; error?: string },
) {
  return (
    <form method="post" action="/users/log_in">
      <input type="hidden" name="csrf" value={props.csrf} />
      <ReturnTo path={props.returnTo} />
      <Flash error={props.error} />
      <Field
        name="username"
        label="Username"
        value={props.username}
        autocomplete="username"
        required
      />
      <Field
        name="password"
        label="Password"
        type="password"
        autocomplete="current-password"
        required
      />
      <button type="submit">Log in</button>
    </form>
  );
}

/** Registration, log-in and log-out pages. */
export function userRoutes(deps: AuthDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Closed registration still lets the operator create the first (admin) account.
  const closed = async () => deps.config.registration === "closed" && await hasAdmin(deps);

  app.get("/users/register", async (c) => {
    if (await closed()) {
      return render(
        c,
        <Layout title="Registration is closed">
          <p>This server does not accept new accounts. Ask its administrator for one.</p>
        </Layout>,
      );
    }
    const returnTo = safeReturnTo(c.req.query("return_to"));
    const page = (
      <Layout title="Create an account">
        <RegisterForm csrf={anonymousCsrf(c, deps)} returnTo={returnTo} />
        <p>
          Already have an account? <a href="/users/log_in">Log in</a>.
        </p>
      </Layout>
    );
    return render(c, page);
  });

  app.post("/users/register", async (c) => {
    if (await closed()) {
      throw new HttpError(403, "forbidden", "Registration is closed on this server.");
    }
    const form = await readForm(c);
    const returnTo = safeReturnTo(form.return_to);
    const values = {
      username: (form.username ?? "").slice(0, 64),
      email: (form.email ?? "").slice(0, 300),
    };
    if (!anonymousCsrfOk(c, form)) {
      // A page, not JSON: a fresh token (and cookie) and what was typed, minus the password.
      const page = (
        <Layout title="Create an account">
          <RegisterForm
            csrf={anonymousCsrf(c, deps)}
            returnTo={returnTo}
            values={values}
            errors={{ form: EXPIRED_FORM }}
          />
        </Layout>
      );
      return render(c, page, 403);
    }
    // Invalid forms cost nothing; only an attempt that hashes a password counts.
    const invalid = Object.keys(checkNewUser({ ...values, password: form.password ?? "" }))
      .length > 0;
    const wait = invalid ? 0 : await reserveSignUp(deps, clientIp(c, deps.config.trustedProxies));
    if (wait > 0) {
      const minutes = Math.ceil(wait / 60);
      c.header("Retry-After", String(wait));
      return render(
        c,
        <Layout title="Create an account">
          <RegisterForm
            csrf={form.csrf}
            returnTo={returnTo}
            values={values}
            errors={{
              form:
                `Too many accounts were created from your address. Try again in ${minutes} minute${
                  minutes === 1 ? "" : "s"
                }.`,
            }}
          />
        </Layout>,
        429,
      );
    }
    try {
      const user = await createUser(deps, { ...values, password: form.password ?? "" }, {
        onlyFirst: deps.config.registration === "closed",
      });
      deps.logger.info("user registered", { user_id: user.id, role: user.role });
      await startSession(c, deps, user.id);
      return c.redirect(returnTo ?? HOME, 303);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const errors: Record<string, string> = err.code === "conflict"
        ? { username: err.message }
        : { ...(err.details as Record<string, string>) };
      const page = (
        <Layout title="Create an account">
          <RegisterForm csrf={form.csrf} returnTo={returnTo} values={values} errors={errors} />
        </Layout>
      );
      return render(c, page, err.code === "conflict" ? 409 : 422);
    }
  });

  app.get("/users/log_in", async (c) => {
    const registrationClosed = await closed();
    const returnTo = safeReturnTo(c.req.query("return_to"));
    return render(
      c,
      <Layout title="Log in">
        <LogInForm csrf={anonymousCsrf(c, deps)} returnTo={returnTo} />
        {!registrationClosed && (
          <p>
            No account yet?{" "}
            <a
              href={`/users/register${
                returnTo ? `?return_to=${encodeURIComponent(returnTo)}` : ""
              }`}
            >
              Create one
            </a>.
          </p>
        )}
      </Layout>,
    );
  });

  app.post("/users/log_in", async (c) => {
    const form = await readForm(c);
    const returnTo = safeReturnTo(form.return_to);
    if (!anonymousCsrfOk(c, form)) {
      const page = (
        <Layout title="Log in">
          <LogInForm
            csrf={anonymousCsrf(c, deps)}
            returnTo={returnTo}
            username={(form.username ?? "").slice(0, 64)}
            error={EXPIRED_FORM}
          />
        </Layout>
      );
      return render(c, page, 403);
    }
    const attempt = { username: form.username ?? "", ip: clientIp(c, deps.config.trustedProxies) };
    const reserved = await reserveLoginAttempt(deps, attempt);
    const wait = reserved.wait;
    if (wait > 0) {
      // A page, not JSON: this answers a browser form.
      const minutes = Math.ceil(wait / 60);
      const page = (
        <Layout title="Log in">
          <LogInForm
            csrf={form.csrf}
            returnTo={returnTo}
            username={attempt.username.slice(0, 64)}
            error={`Too many failed log-ins. Try again in ${minutes} minute${
              minutes === 1 ? "" : "s"
            }.`}
          />
        </Layout>
      );
      c.header("Retry-After", String(wait));
      return render(c, page, 429);
    }
    await slowDown(reserved);
    const user = await authenticate(deps, attempt.username, form.password ?? "");
    if (!user) {
      const page = (
        <Layout title="Log in">
          <LogInForm
            csrf={form.csrf}
            returnTo={returnTo}
            username={attempt.username.slice(0, 64)}
            error="Wrong username or password."
          />
        </Layout>
      );
      return render(c, page, 401);
    }
    await releaseLoginAttempt(deps, attempt);
    await startSession(c, deps, user.id);
    return c.redirect(returnTo ?? HOME, 303);
  });

  app.post("/users/log_out", async (c) => {
    const form = await readForm(c);
    const me = await currentUser(c, deps);
    if (!me) return c.redirect("/users/log_in", 303);
    checkCsrf(me.session.csrf, form.csrf);
    await endSession(c, deps);
    return c.redirect("/users/log_in", 303);
  });

  return app;
}
