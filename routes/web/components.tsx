/** Small building blocks shared by the pages: covers, confirmations, pagers, messages. */
import type { Child } from "hono/jsx";

/**
 * A podcast or episode cover. Without a URL a neutral placeholder is drawn, never a broken
 * image; the alt text is empty because the title always sits next to it.
 */
export function Cover(
  props: { url?: string | null; size?: "small" | "medium" | "large" | "grid" },
) {
  const cls = props.size && props.size !== "grid" ? `cover ${props.size}` : "cover";
  const safe = props.url && /^https?:\/\//i.test(props.url) ? props.url : null;
  if (safe) {
    return <img class={cls} src={safe} alt="" loading="lazy" referrerpolicy="no-referrer" />;
  }
  return (
    <span class={`${cls} cover-placeholder`} aria-hidden="true">
      <svg viewBox="0 0 24 24">
        <path
          fill="currentColor"
          d="M12 3a4 4 0 0 1 4 4v5a4 4 0 0 1-8 0V7a4 4 0 0 1 4-4zm-7 9h2a5 5 0 0 0 10 0h2a7 7 0 0 1-6 6.93V21h-2v-2.07A7 7 0 0 1 5 12z"
        />
      </svg>
    </span>
  );
}

/**
 * A destructive action behind a confirmation that works without JavaScript: a disclosure
 * whose summary names the action and whose form holds the real button.
 */
export function Confirm(
  props: {
    action: string;
    csrf: string;
    /** The summary, e.g. "Revoke". */
    label: string;
    /** Names what is acted on, for screen readers: "Revoke My reader". */
    accessibleLabel?: string;
    /** The question inside, e.g. "Revoke this token? Apps using it stop working." */
    question: string;
    confirm: string;
    fields?: Record<string, string>;
    /** Shown open, e.g. when its form came back with an error. */
    open?: boolean;
    children?: Child;
  },
) {
  return (
    <details class="confirm" open={props.open}>
      <summary aria-label={props.accessibleLabel}>{props.label}</summary>
      <div class="confirm-box">
        <p>{props.question}</p>
        <form method="post" action={props.action}>
          <input type="hidden" name="csrf" value={props.csrf} />
          {Object.entries(props.fields ?? {}).map(([k, v]) => (
            <input type="hidden" name={k} value={v} />
          ))}
          {props.children}
          <button type="submit" class="danger small">{props.confirm}</button>
        </form>
      </div>
    </details>
  );
}

/** Links to the next (and first) page of a cursor-paged list. */
export function Pager(props: { first?: string | null; next?: string | null }) {
  if (!props.first && !props.next) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {props.first ? <a href={props.first}>Newest</a> : <span></span>}
      {props.next ? <a href={props.next} rel="next">Older</a> : <span></span>}
    </nav>
  );
}

/** A success message after a POST-redirect-GET, or an error summary that takes focus. */
export function Flash(props: { ok?: string | null; error?: string | null }) {
  return (
    <>
      {props.ok && <p class="alert ok" role="status">{props.ok}</p>}
      {props.error && (
        <p class="alert error" role="alert" id="form-error" tabindex={-1} autofocus>
          {props.error}
        </p>
      )}
    </>
  );
}

/** A duration in seconds as h:mm:ss or m:ss. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
}

/** An ISO timestamp as "2026-11-30 14:05" (UTC), inside a `<time>` element. */
export function When(props: { iso?: string | null }) {
  if (!props.iso) return <span class="muted">never</span>;
  return <time datetime={props.iso}>{props.iso.slice(0, 16).replace("T", " ")}</time>;
}
