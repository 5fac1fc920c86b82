// LubesClient: every call of the provider to the Lubes API. It parses each answer with the contract, retries what is
// safe to retry with backoff and jitter, sends one Idempotency-Key per POST (the same on every attempt), waits
// rather than fails when the rate limit is spent, and never puts the API key in an error or log.
import { randomUUID } from "node:crypto";
import { Agent, errors as undiciErrors, request, type Dispatcher } from "undici";
import type { z } from "zod";
import type { Endpoint } from "../../contract";
import type { Credentials } from "./credentials";
import { LubesError, NetworkError, RateLimitedError, ResponseShapeError, TimeoutError, errorFromResponse } from "./errors";
import { RateLimiter } from "./limiter";
import { buildPath } from "./path";
import { isInProgress, isRetryable, retryDelayMs } from "./retry";

/** The version this package was released as (its package.json). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package's own manifest, by its exported path
export const PACKAGE_VERSION = (require("@lubes/pulumi/package.json") as { version: string }).version;
export const USER_AGENT = `lubes-pulumi/${PACKAGE_VERSION}`;

type Output<E> = E extends Endpoint<z.ZodType, z.ZodType, z.ZodType, infer R> ? (E["status"] extends 204 ? undefined : z.output<R>) : never;

type InputOf<S> = S extends z.ZodType ? z.input<S> : never;

/**
 * A call's inputs, typed from the endpoint's contract row: path parameters and query keys by name (query values as the
 * URL carries them), the body as the row's schema takes it. Renaming a contract field breaks the build, not an `up`.
 */
export interface CallInput<E extends Endpoint = Endpoint> {
  params?: { [K in keyof InputOf<NonNullable<E["params"]>>]: string };
  query?: { [K in keyof InputOf<NonNullable<E["query"]>>]?: string | number | boolean | undefined };
  body?: InputOf<NonNullable<E["body"]>>;
  /** Bytes sent as they are (object uploads), instead of JSON of `body`. */
  raw?: { bytes: Uint8Array; contentType: string };
  /** Reuse a key across separate calls that are the same operation; by default each call gets its own. */
  idempotencyKey?: string;
  /** Extra request headers, e.g. `if-none-match: *` for a create that must not overwrite. */
  headers?: Record<string, string>;
  /** The answer is bytes (a download), returned as a Buffer. */
  bytes?: boolean;
}

/** One HTTP attempt, for counting calls and for logs. */
export interface CallRecord {
  method: string;
  path: string;
  status: number | null;
  attempt: number;
  durationMs: number;
}

export interface ClientOptions {
  /** Per attempt. */
  timeoutMs?: number;
  /** Over all attempts and waits of one call. */
  deadlineMs?: number;
  maxRetries?: number;
  dispatcher?: Dispatcher;
  onCall?: (record: CallRecord) => void;
  /** Tests replace time. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** Retries of a refused connection: about 4 s with backoff, enough for a server's restart. */
const REFUSED_RETRIES = 5;

const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);

function transportError(error: unknown, endpoint: string, credentials: Credentials): LubesError | undefined {
  const code = (error as { code?: string }).code ?? "";
  const where = `${credentials.apiUrl}${credentials.sources ? ` (set by ${credentials.sources.apiUrl})` : ""}`;
  const fields = { status: null, details: undefined, requestId: null, endpoint };
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError || error instanceof undiciErrors.ConnectTimeoutError) {
    return new TimeoutError(`The Lubes API at ${where} did not answer in time`, { ...fields, code: "timeout" });
  }
  if (NETWORK_CODES.has(code) || error instanceof undiciErrors.SocketError) {
    const hint = code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN"
      ? "check that the server is running there, or set the right URL with `pulumi config set lubes:apiUrl <url>` (or LUBES_API_URL)"
      : undefined;
    return new NetworkError(`Could not reach the Lubes API at ${where} (${code || "connection lost"})`, { ...fields, code: code === "ECONNREFUSED" ? "connection_refused" : "network_error", hint });
  }
  return undefined;
}

function firstHeader(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export class LubesClient {
  readonly limiter: RateLimiter;
  private readonly dispatcher: Dispatcher;
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;
  private readonly maxRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly credentials: Credentials, private readonly options: ClientOptions = {}) {
    this.dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, connections: 16 });
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.deadlineMs = options.deadlineMs ?? 10 * 60_000;
    this.maxRetries = options.maxRetries ?? 10;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.limiter = new RateLimiter(this.now, this.sleep);
  }

  get apiUrl(): string {
    return this.credentials.apiUrl;
  }

  /** Calls `endpoint` and returns its answer as the contract describes it. */
  async call<E extends Endpoint>(endpoint: E, input: CallInput<E> = {}): Promise<Output<E>> {
    return (await this.send(endpoint, input)).body;
  }

  /** The bytes an endpoint answers with (an object's download), with the same retries as any call. */
  async download<E extends Endpoint>(endpoint: E, input: CallInput<E> = {}): Promise<Buffer> {
    return (await this.send(endpoint, { ...input, bytes: true })).body as unknown as Buffer;
  }

  /** As `call`, with the answer's status (201 created, 200 already there). */
  async send<E extends Endpoint>(endpoint: E, input: CallInput<E> = {}): Promise<{ status: number; body: Output<E> }> {
    const path = buildPath(endpoint.path, input.params, endpoint.wildcard);
    const label = `${endpoint.method} ${path}`;
    const url = new URL(this.credentials.apiUrl + path);
    const query: Record<string, string | number | boolean | undefined> = input.query ?? {};
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    // POSTs, and PUTs (a create-only upload recognises its own earlier write by it), keep one key over their retries.
    const idempotencyKey = endpoint.method === "POST" || endpoint.method === "PUT" ? (input.idempotencyKey ?? randomUUID()) : undefined;
    const deadline = this.now() + this.deadlineMs;

    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(endpoint, url, label, input, idempotencyKey, attempt, deadline);
      if (!(outcome instanceof LubesError)) return outcome as { status: number; body: Output<E> };
      // A server that refuses connections for several seconds is down, not flaky: say so soon, naming its URL. Work
      // still in progress is waited for until the deadline, however many attempts that takes.
      const retries = outcome.code === "connection_refused" ? Math.min(this.maxRetries, REFUSED_RETRIES) : isInProgress(outcome) ? Infinity : this.maxRetries;
      if (!isRetryable(outcome) || attempt >= retries) throw outcome;
      const delay = retryDelayMs(attempt, outcome, outcome.hints, this.now(), this.random);
      if (this.now() + delay > deadline) throw this.pastDeadline(outcome, label, attempt + 1, delay);
      await this.sleep(delay);
    }
  }

  /** Waiting `delay` more would pass the call's deadline: fail now, saying when a rate limit resets. */
  private pastDeadline(last: LubesError, label: string, attempts: number, delay: number): LubesError {
    const fields = { status: last.status, code: "deadline_exceeded", details: last.details, requestId: last.requestId, endpoint: label };
    if (last instanceof RateLimitedError) {
      const resetAt = new Date(this.now() + delay).toISOString();
      return new RateLimitedError(`The Lubes rate limit is spent until ${resetAt} (in ${Math.ceil(delay / 1000)} s), past this call's deadline of ${Math.round(this.deadlineMs / 1000)} s: run again after the reset, or ask for a higher plan limit`, fields);
    }
    return new TimeoutError(`Gave up after ${attempts} attempts in ${Math.round(this.deadlineMs / 1000)} s; last error: ${last.message}`, fields);
  }

  /** A hint after the server's words, where the cause is likely a setting of ours. */
  private hintFor(status: number, code: string): string | undefined {
    const sources = this.credentials.sources;
    if (status === 401) {
      return `the API key from ${sources?.apiKey ?? "lubes:apiKey or LUBES_API_KEY"} was refused; set a valid key with \`pulumi config set --secret lubes:apiKey <key>\` (or the LUBES_API_KEY environment variable)`;
    }
    if (status === 404 && code === "route_not_found" && !/\/v\d+$/.test(new URL(this.credentials.apiUrl).pathname)) {
      return `the API URL ${this.credentials.apiUrl}${sources ? ` (from ${sources.apiUrl})` : ""} probably lacks its version: set it to ${this.credentials.apiUrl}/v1`;
    }
    return undefined;
  }

  private async attempt(endpoint: Endpoint, url: URL, label: string, input: CallInput, idempotencyKey: string | undefined, attempt: number, deadline: number): Promise<{ status: number; body: unknown } | (LubesError & { hints: { retryAfter?: string | undefined; rateLimitReset?: string | undefined } })> {
    const headers: Record<string, string> = { ...input.headers, authorization: `Bearer ${this.credentials.apiKey}`, "user-agent": USER_AGENT, accept: "application/json" };
    let body: string | Uint8Array | undefined;
    if (input.raw) {
      body = input.raw.bytes;
      headers["content-type"] = input.raw.contentType;
    } else if (input.body !== undefined) {
      body = JSON.stringify(input.body);
      headers["content-type"] = "application/json";
    }
    if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;

    const waitUntil = this.limiter.waitUntil();
    if (waitUntil > deadline) {
      const error = new RateLimitedError("waiting for the plan's rate limit", { status: null, code: "rate_limited", details: undefined, requestId: null, endpoint: label });
      throw this.pastDeadline(error, label, attempt, waitUntil - this.now());
    }
    await this.limiter.acquire();
    const started = this.now();
    let status: number | null = null;
    let responseHeaders: Record<string, string | string[] | undefined> = {};
    try {
      const response = await request(url, {
        dispatcher: this.dispatcher,
        method: endpoint.method,
        headers,
        body: body ?? null,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = response.statusCode;
      responseHeaders = response.headers;
      const received = Buffer.from(await response.body.arrayBuffer());
      if (input.bytes && status < 400) return { status, body: received };
      const text = received.toString("utf8");
      const one = (name: string) => firstHeader(responseHeaders, name);
      let parsed: unknown = undefined;
      if (text) {
        try {
          parsed = JSON.parse(text) as unknown;
        } catch {
          parsed = undefined;
        }
      }
      const requestId = one("x-request-id") ?? null;
      if (status >= 400) {
        return Object.assign(errorFromResponse(label, status, parsed, requestId, (code) => this.hintFor(status ?? 0, code)), { hints: { retryAfter: one("retry-after"), rateLimitReset: one("x-ratelimit-reset") } });
      }
      if (endpoint.status === 204 || !endpoint.response) return { status, body: undefined };
      if (parsed === undefined) {
        return Object.assign(new ResponseShapeError(`${label} answered ${status} without a JSON body`, { status, code: "bad_response", details: undefined, requestId, endpoint: label }), { hints: {} });
      }
      const checked = endpoint.response.safeParse(parsed);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        const field = issue?.path.map(String).join(".") || "(body)";
        return Object.assign(new ResponseShapeError(`${label} answered a body the contract does not describe: ${field}: ${issue?.message ?? "invalid"}`, { status, code: "bad_response", details: { field }, requestId, endpoint: label }), { hints: {} });
      }
      return { status, body: checked.data };
    } catch (error) {
      const mapped = transportError(error, label, this.credentials);
      if (!mapped) throw error;
      return Object.assign(mapped, { hints: {} });
    } finally {
      this.limiter.release({
        limit: firstHeader(responseHeaders, "x-ratelimit-limit"),
        remaining: firstHeader(responseHeaders, "x-ratelimit-remaining"),
        reset: firstHeader(responseHeaders, "x-ratelimit-reset"),
        date: firstHeader(responseHeaders, "date"),
      });
      this.options.onCall?.({ method: endpoint.method, path: url.pathname, status, attempt, durationMs: this.now() - started });
    }
  }

  async close(): Promise<void> {
    if (!this.options.dispatcher) await this.dispatcher.close();
  }
}
