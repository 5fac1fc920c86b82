// The dashboard's one way to the API: fetch with the session's bearer token, refreshed once when it has expired, and
// every failure turned into an ApiError carrying the message of the API's error envelope.
import type { User } from "../../../contract/auth";
import type { Pagination } from "../../../contract/common";
import type { z } from "zod";

export const API = "/v1";

export interface Session {
  access_token: string;
  refresh_token: string;
  user: User;
}

export type Page<T> = { data: T[]; pagination: z.infer<typeof Pagination> };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** For a 429: when the rate-limit window resets, on this browser's clock. */
  resetsAt: number | undefined;

  /** The request field the error is about (`details.field`: a value refused, a name taken), for a form to show it there. */
  get field(): string | undefined {
    return typeof this.details["field"] === "string" ? this.details["field"] : undefined;
  }
}

// localStorage, as the dashboards of Supabase and Neon: a new tab stays signed in. The page's strict CSP (script-src
// 'self') is what keeps other scripts from reading it.
const STORAGE_KEY = "lubes.session";

function stored(): Session | null {
  try {
    const text = localStorage.getItem(STORAGE_KEY);
    return text ? (JSON.parse(text) as Session) : null;
  } catch {
    return null;
  }
}

let session: Session | null = stored();
/** Why the last session ended, for the sign-in page to say so ("expired" when the API refused to renew it). */
let endReason: "expired" | "signed-out" | null = null;
const listeners = new Set<() => void>();

export const currentSession = (): Session | null => session;
export const sessionEndReason = () => endReason;

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function setSession(next: Session | null, reason: "expired" | "signed-out" | null = null): void {
  session = next;
  endReason = next ? null : reason;
  if (next) localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  else localStorage.removeItem(STORAGE_KEY);
  for (const listener of listeners) listener();
}

/** Another tab signed in or out: follow it. */
window.addEventListener("storage", (event) => {
  if (event.key !== STORAGE_KEY) return;
  session = stored();
  for (const listener of listeners) listener();
});

interface RequestOptions {
  body?: unknown;
  /** A multipart body (uploads); sent as it is. */
  form?: FormData;
  /** Request headers of the caller's own (`If-None-Match: *`). */
  headers?: Record<string, string>;
  /** A body of any type, sent as it is with its Content-Type (a function invocation's request). */
  raw?: { body: string; contentType: string };
  query?: Record<string, string | number | boolean | undefined>;
  /** Sign-in and the other public routes send no token, and their 401 is an answer, not an ended session. */
  anonymous?: boolean;
}

function urlOf(path: string, query: RequestOptions["query"] = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const search = params.toString();
  return `${API}${path}${search ? `?${search}` : ""}`;
}

async function send(method: string, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  if (!options.anonymous && session) headers["authorization"] = `Bearer ${session.access_token}`;
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.raw) {
    headers["content-type"] = options.raw.contentType;
    body = options.raw.body;
  } else if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  try {
    return await fetch(urlOf(path, options.query), { method, headers, ...(body === undefined ? {} : { body }) });
  } catch {
    throw new ApiError(0, "network_error", "Lubes could not be reached: check that lubes-server is running, then try again");
  }
}

/** Seconds until a rate-limit window resets, by the server's clock (Retry-After, else Reset minus Date). */
function secondsUntilReset(response: Response): number | undefined {
  const retryAfter = Number(response.headers.get("retry-after"));
  if (Number.isFinite(retryAfter) && retryAfter > 0) return Math.ceil(retryAfter);
  const reset = Number(response.headers.get("x-ratelimit-reset")) * 1000;
  const now = Date.parse(response.headers.get("date") ?? "");
  return Number.isFinite(reset) && Number.isFinite(now) ? Math.max(1, Math.ceil((reset - now) / 1000)) : undefined;
}

export async function errorOf(response: Response): Promise<ApiError> {
  let envelope: { error?: { code?: string; message?: string; details?: Record<string, unknown> } } = {};
  try {
    envelope = (await response.json()) as typeof envelope;
  } catch {
    // Not JSON (a proxy's page): the status says what there is to say.
  }
  const { code = "http_error", message = `The API answered ${response.status} ${response.statusText}`, details = {} } = envelope.error ?? {};
  const error = new ApiError(response.status, code, message, details);
  if (response.status === 429) error.resetsAt = Date.now() + (secondsUntilReset(response) ?? 60) * 1000;
  return error;
}

let refreshing: Promise<boolean> | null = null;

/** Renews the session with its refresh token, once for all the requests that found it expired together. */
function renew(): Promise<boolean> {
  const expired = session;
  if (!expired) return Promise.resolve(false);
  refreshing ??= (async () => {
    try {
      const response = await send("POST", "/auth/refresh", { anonymous: true, body: { refresh_token: expired.refresh_token } });
      if (!response.ok) return false;
      const next = (await response.json()) as Session;
      setSession({ access_token: next.access_token, refresh_token: next.refresh_token, user: next.user });
      return true;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/**
 * Sends one API request and answers the Response, whatever its status: for answers that are not the API's own (a
 * function's invocation). An expired session is renewed once; one that cannot be is ended.
 */
export async function apiResponse(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const response = await send(method, path, options);
  if (response.status !== 401 || options.anonymous || !session) return response;
  if (await renew()) return send(method, path, options);
  setSession(null, "expired");
  throw new ApiError(401, "session_expired", "Your session has expired: sign in again");
}

/** Sends one API request and answers its JSON body (undefined for 204), or throws an ApiError. */
export async function api<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await apiResponse(method, path, options);
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("content-type") ?? "";
  return (type.includes("json") ? await response.json() : await response.text()) as T;
}

/** A path segment, percent-encoded: names and keys come from users. */
export const seg = (value: string): string => encodeURIComponent(value);

/** A mail the server would have sent, with the one-time token it carries. */
export interface DevMail {
  subject: string;
  token: string | null;
}

/**
 * The mail a local server (LUBES_DEV=1) kept for `email` in its dev outbox instead of sending it, newest first; none
 * where there is no outbox (404) or it does not answer this client (403).
 */
export async function devOutbox(email: string): Promise<(DevMail & { token: string })[]> {
  try {
    const outbox = await api<{ data: DevMail[] }>("GET", "/dev/outbox", { anonymous: true, query: { email } });
    return outbox.data.filter((mail): mail is DevMail & { token: string } => mail.token !== null);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 403)) return [];
    throw error;
  }
}
