// Pieces every page uses: loading state, errors in the API's words, fields with their own error, pagination,
// confirmation, copying, and how dates and sizes read.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useId, useRef, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { ApiError, api, type Page } from "./api";

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads with `load` when `key` changes; `reload` loads again (after an action) without blanking what is shown. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [round, setRound] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let live = true;
    setState((previous) => ({ ...previous, loading: true }));
    latest.current().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error: unknown) => live && setState((previous) => ({ data: previous.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [key, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { ...state, reload };
}

/** Loads again every `ms` while the page is open and `active` holds: for logs and builds that are still going. */
export function usePoll(reload: () => void, ms: number, active: boolean): void {
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") reload();
    }, ms);
    return () => clearInterval(timer);
  }, [reload, ms, active]);
}

export const PAGE_SIZE = 20;

/** One page of a list endpoint, with the offset it shows. */
export function usePaged<T>(path: string, query: Record<string, string | undefined> = {}, limit = PAGE_SIZE) {
  const [offset, setOffset] = useState(0);
  const queryKey = JSON.stringify(query);
  useEffect(() => setOffset(0), [path, queryKey]);
  const loaded = useLoad(() => api<Page<T>>("GET", path, { query: { ...query, limit, offset } }), `${path}?${queryKey}&${offset}`);
  return { ...loaded, offset, setOffset, limit };
}

export function Pager({ page, offset, limit, setOffset, label }: { page: Page<unknown> | undefined; offset: number; limit: number; setOffset: (offset: number) => void; label: string }) {
  if (!page || (page.pagination.total <= limit && offset === 0)) return null;
  const { total } = page.pagination;
  const last = Math.min(offset + page.data.length, total);
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" class="secondary outline" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - limit))}>
        Previous
      </button>
      <span aria-live="polite">
        {total === 0 ? 0 : offset + 1}–{last} of {total}
      </span>
      <button type="button" class="secondary outline" disabled={!page.pagination.has_more} onClick={() => setOffset(offset + limit)}>
        Next
      </button>
    </nav>
  );
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * An error as the API worded it, unless it names one of `fields`, the fields its form shows errors beside (a 422
 * about a value, a 409 about a name taken). `retry` offers to load again (a failed load, a spent rate limit).
 */
export function ErrorMessage({ error, fields = [], retry }: { error: unknown; fields?: string[]; retry?: () => void }) {
  if (error === undefined || error === null) return null;
  if (error instanceof ApiError && error.field !== undefined && fields.includes(error.field)) return null;
  return (
    <div role="alert" class="error">
      <p>
        {messageOf(error)}
        {error instanceof ApiError && error.resetsAt !== undefined ? (
          <>
            {" "}
            <ResetCountdown at={error.resetsAt} />
          </>
        ) : null}
      </p>
      {retry ? (
        <button type="button" class="secondary outline" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** The time left until a rate-limit window resets, counting down. */
function ResetCountdown({ at }: { at: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const seconds = Math.max(0, Math.ceil((at - now) / 1000));
  return <span class="badge">{seconds > 0 ? `rate limited: resets in ${seconds} s` : "rate limit reset: try again"}</span>;
}

/** The message of an API error whose `details.field` is this field (a 422 about its value, a 409 about a name taken). */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError && error.field === field ? error.message : undefined;
}

interface InputProps {
  label: string;
  name: string;
  value: string;
  onInput: (value: string) => void;
  error?: string | undefined;
  hint?: string;
  type?: "text" | "email" | "password" | "number" | "search" | "url";
  autoComplete?: string;
  required?: boolean;
  placeholder?: string;
}

/** What a field says under it (`<id>-note`, its description): the API's error, announced, or else its hint. */
function FieldNote({ id, error, hint }: { id: string; error?: string | undefined; hint?: string | undefined }) {
  if (error) {
    return (
      <small key="error" id={`${id}-note`} class="error" role="alert">
        {error}
      </small>
    );
  }
  return hint ? (
    <small key="hint" id={`${id}-note`}>
      {hint}
    </small>
  ) : null;
}

/** A labelled input whose error (from the API) is shown under it and announced with it. */
export function Field({ label, name, value, onInput, error, hint, type = "text", autoComplete, required = false, placeholder }: InputProps) {
  const id = useId();
  const note = error ?? hint;
  // The label holds only its text, so a hint or error is the input's description, not part of its name.
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        name={name}
        // Preact types each input type's attributes apart (tsc needs the cast; eslint's program does not see why).
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
        type={type as "text"}
        value={value}
        required={required}
        {...(autoComplete ? { autoComplete } : {})}
        {...(placeholder ? { placeholder } : {})}
        onInput={(event) => onInput(event.currentTarget.value)}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={note ? `${id}-note` : undefined}
      />
      <FieldNote id={id} error={error} hint={hint} />
    </div>
  );
}


/** Runs an action with a busy flag and keeps its error; the form stays usable while it runs. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await action();
    } catch (caught) {
      setError(caught);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

/**
 * A button that asks before it acts, in a modal dialog (focus moves into it, and back when it closes). `subject`
 * completes the button's accessible name where many rows have the same button ("Revoke CI deploy"); `typed` asks
 * for that text to be typed first, for what cannot be undone at scale (a project). A failure is shown in the dialog,
 * which stays open. When the action removed the button (its row is gone), focus goes to the heading of the section it
 * was in, not to the page's start.
 */
export function ConfirmButton({ label, question, confirm = label, onConfirm, subject, typed, class: className = "secondary" }: { label: string; question: ComponentChildren; confirm?: string; onConfirm: () => Promise<unknown> | void; subject?: string; typed?: string; class?: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(undefined);
  const [typedText, setTypedText] = useState("");
  const open = () => {
    setFailure(undefined);
    setTypedText("");
    dialog.current?.showModal();
  };
  const confirmAction = async () => {
    const section = trigger.current?.closest("section, article, main");
    setBusy(true);
    try {
      await onConfirm();
    } catch (error) {
      setFailure(error);
      return;
    } finally {
      setBusy(false);
    }
    dialog.current?.close();
    requestAnimationFrame(() => {
      if (trigger.current?.isConnected) return;
      const heading = section?.isConnected ? section.querySelector<HTMLElement>("h1, h2, h3") : document.querySelector<HTMLElement>("main h1");
      heading?.setAttribute("tabindex", "-1");
      heading?.focus();
    });
  };
  return (
    <>
      <button type="button" ref={trigger} class={className} aria-label={subject ? `${label} ${subject}` : undefined} onClick={open}>
        {label}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <article>
          <h2 id={titleId}>{label}?</h2>
          <p>{question}</p>
          {typed !== undefined ? <Field label={`Type ${typed} to confirm`} name="confirm" value={typedText} onInput={setTypedText} autoComplete="off" /> : null}
          <ErrorMessage error={failure} />
          <footer>
            <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="button" aria-busy={busy} disabled={busy || (typed !== undefined && typedText !== typed)} onClick={() => void confirmAction()}>
              {confirm}
            </button>
          </footer>
        </article>
      </dialog>
    </>
  );
}

/** Copies text to the clipboard and says so; the text stays selectable where the clipboard is refused. */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [done, setDone] = useState<"copied" | "failed" | null>(null);
  const copy = () =>
    navigator.clipboard.writeText(text).then(
      () => setDone("copied"),
      () => setDone("failed"),
    );
  return (
    <button type="button" class="outline" onClick={() => void copy()}>
      {done === "copied" ? "Copied" : done === "failed" ? "Copy refused: select the text" : label}
    </button>
  );
}

export const formatDate = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : "never");

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** The header of a column of row actions: named for screen readers, blank on screen. */
export const ACTIONS = Symbol("actions");

/**
 * A table that scrolls sideways on a narrow screen instead of widening the page. With `headers`, the children are
 * its body's rows; without, they are the whole table (a head of its own).
 */
export function Table({ caption, headers, children }: { caption: string; headers?: (string | typeof ACTIONS)[]; children: ComponentChildren }) {
  return (
    <div class="overflow-auto" role="region" aria-label={caption} tabIndex={0}>
      <table class="striped">
        <caption class="visually-hidden">{caption}</caption>
        {headers ? (
          <>
            <thead>
              <tr>
                {headers.map((header, i) => (
                  <th scope="col" key={i}>
                    {header === ACTIONS ? <span class="visually-hidden">Actions</span> : header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>{children}</tbody>
          </>
        ) : (
          children
        )}
      </table>
    </div>
  );
}

/** What a page shows while its first load is under way, or when it failed before anything was shown. */
export function LoadState({ loaded, children }: { loaded: Loaded<unknown>; children: () => ComponentChildren }) {
  if (loaded.data === undefined) {
    return loaded.error !== undefined ? <ErrorMessage error={loaded.error} retry={loaded.reload} /> : <p aria-busy="true">Loading…</p>;
  }
  return (
    <>
      <ErrorMessage error={loaded.error} retry={loaded.reload} />
      {children()}
    </>
  );
}

/** A labelled textarea (SQL, source code, request bodies) whose error is shown under it and announced with it. */
export function TextArea({ label, name, value, onInput, error, hint, rows = 4, required = false, placeholder, code = false, onKeyDown }: {
  label: string;
  name: string;
  value: string;
  onInput: (value: string) => void;
  error?: string | undefined;
  hint?: string;
  rows?: number;
  required?: boolean;
  placeholder?: string;
  /** Monospace, no spell-checking or autocorrection: for SQL, code and JSON. */
  code?: boolean;
  onKeyDown?: (event: KeyboardEvent) => void;
}) {
  const id = useId();
  const note = error ?? hint;
  // The label holds only its text, so the hint is the textarea's description and not part of its name.
  return (
    <>
      <label for={id}>{label}</label>
      <textarea
        id={id}
        name={name}
        rows={rows}
        value={value}
        required={required}
        class={code ? "code" : undefined}
        spellcheck={!code}
        {...(code ? { autoCapitalize: "off", autoComplete: "off" } : {})}
        {...(placeholder ? { placeholder } : {})}
        {...(onKeyDown ? { onKeyDown } : {})}
        onInput={(event) => onInput(event.currentTarget.value)}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={note ? `${id}-note` : undefined}
      />
      <FieldNote id={id} error={error} hint={hint} />
    </>
  );
}

/** Focuses a page's main heading and names the browser tab after it. */
export function announcePage(heading: HTMLElement | null): void {
  if (!heading) return;
  heading.setAttribute("tabindex", "-1");
  heading.focus();
  document.title = `${heading.textContent ?? ""} · Lubes`;
}

/** For a page whose heading appears once its data has loaded: announces it then (see announcePage). */
export function usePageHeading(ready: boolean) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (ready) announcePage(heading.current);
  }, [ready]);
  return heading;
}

/**
 * A choice kept in the page's URL (`?branch=preview`), so a reload or a shared link opens the same view. Setting it
 * replaces the history entry: choosing is not navigating.
 */
export function useQueryState(name: string): [string | null, (value: string | null) => void] {
  const { path, query, route } = useLocation();
  const set = (value: string | null) => {
    const params = new URLSearchParams(query);
    if (value === null) params.delete(name);
    else params.set(name, value);
    const search = params.toString();
    route(`${path}${search ? `?${search}` : ""}`, true);
  };
  return [query[name] ?? null, set];
}
