/** The page shell of the web pages: plain, accessible HTML with a little inline CSS. */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { describeScope } from "../../src/domain/scopes.ts";
import type { AppEnv } from "../context.ts";

const CSS = `
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;color:#1d1d1f}
header{display:flex;gap:1rem;align-items:center;border-bottom:1px solid #ddd;margin-bottom:1rem}
header nav{display:flex;gap:1rem;align-items:center;margin-left:auto}
label{display:block;margin-top:.75rem;font-weight:600}
input[type=text],input[type=password],input[type=email]{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
button{padding:.5rem 1rem;font:inherit;margin-top:1rem;cursor:pointer}
button.link{margin:0;padding:0;border:0;background:none;color:#0645ad;text-decoration:underline}
.error{color:#b00020}.hint{color:#555;font-size:.9rem}
.notice{background:#fff8e1;border:1px solid #f0c36d;padding:.75rem;border-radius:4px}
code.token{display:block;word-break:break-all;background:#f4f4f4;padding:.5rem}
ul.scopes li{margin:.25rem 0}
img.app{max-width:64px;max-height:64px;vertical-align:middle}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eee}
`;

/** Who is logged in, for the header (log-out needs the session's CSRF token). */
export interface NavUser {
  readonly username: string;
  readonly csrf: string;
}

/** The whole page around `children`. */
export function Layout(props: { title: string; nav?: NavUser | null; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{props.title} · Balados Sync</title>
        <style>{CSS}</style>
      </head>
      <body>
        <header>
          <p>
            <strong>Balados Sync</strong>
          </p>
          {props.nav
            ? (
              <nav aria-label="Account">
                <a href="/apps">Apps</a>
                <a href="/users/tokens">Tokens</a>
                <a href="/app-passwords">App passwords</a>
                <a href="/devices">Devices</a>
                <form method="post" action="/users/log_out">
                  <input type="hidden" name="csrf" value={props.nav.csrf} />
                  <button type="submit" class="link">Log out {props.nav.username}</button>
                </form>
              </nav>
            )
            : (
              <nav aria-label="Account">
                <a href="/users/log_in">Log in</a>
                <a href="/users/register">Register</a>
              </nav>
            )}
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A form field with its label and, when set, its error message (linked for screen readers). */
export function Field(
  props: {
    name: string;
    label: string;
    type?: string;
    value?: string;
    error?: string;
    hint?: string;
    required?: boolean;
    autocomplete?: string;
  },
) {
  const described = [
    props.hint ? `${props.name}-hint` : "",
    props.error ? `${props.name}-error` : "",
  ]
    .filter(Boolean).join(" ");
  return (
    <div>
      <label for={props.name}>{props.label}</label>
      {props.hint && <p class="hint" id={`${props.name}-hint`}>{props.hint}</p>}
      <input
        id={props.name}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value ?? ""}
        required={props.required}
        autocomplete={props.autocomplete}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={described || undefined}
      />
      {props.error && <p class="error" id={`${props.name}-error`}>{props.error}</p>}
    </div>
  );
}

/** Requested or granted scopes in plain words, each followed by its name. */
export function ScopeList(props: { scopes: readonly string[] }) {
  return (
    <ul class="scopes">
      {props.scopes.map((s) => (
        <li>
          {describeScope(s)} <code class="hint">({s})</code>
        </li>
      ))}
    </ul>
  );
}

/**
 * Answers with a page and headers that keep it out of frames, caches and referrers.
 * No `form-action` in the CSP: after approval the browser follows a redirect to the app.
 */
export function render(
  c: Context<AppEnv>,
  page: ReturnType<typeof Layout>,
  status: ContentfulStatusCode = 200,
) {
  c.header(
    "Content-Security-Policy",
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; " +
      "frame-ancestors 'none'; base-uri 'none'",
  );
  c.header("X-Frame-Options", "DENY");
  c.header("Referrer-Policy", "no-referrer");
  c.header("Cache-Control", "no-store");
  c.header("X-Content-Type-Options", "nosniff");
  return c.html(page, status);
}
