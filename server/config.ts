// lubes-server configuration: the environment variables of DESIGN.md, parsed once and checked.
import path from "node:path";
import { PLANS, type Plan } from "../contract";
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from "./databases/types";
import { DEFAULT_MAX_INVOCATIONS, DEFAULT_MAX_INVOCATIONS_PER_PROJECT } from "./functions/slots";

export type RateLimits = Record<Plan, number>;
export const DEFAULT_RATE_LIMITS: RateLimits = { free: 100, pro: 1_000, team: 10_000 };
export const DEFAULT_MAX_OBJECT_BYTES = 100 * 1024 * 1024;

export interface ServerOptions {
  /** Where embedded data lives (`LUBES_DATA_DIR`); undefined keeps the embedded database in memory (tests). */
  dataDir?: string;
  /** `LUBES_DATABASE_URL`: use real PostgreSQL instead of the embedded default. */
  databaseUrl?: string;
  rateLimits: RateLimits;
  /** `LUBES_DEV=1`: enables the dev outbox, where tests read password-reset mail. Never on a shared server. */
  dev: boolean;
  /**
   * `LUBES_SECRET_KEY`: the root secret (at least 32 characters). Unset, it lives in `<dataDir>/secret.key` (mode 0600,
   * made on first start); never in the database. Every process sharing one PostgreSQL needs the same one.
   */
  secretKey?: string;
  /** `LUBES_SMTP_URL` (smtp:// or smtps://, credentials in the URL) and `LUBES_MAIL_FROM`: how mail leaves. */
  smtp?: { url: string; from: string };
  /**
   * `LUBES_PUBLIC_URL`: the base URL clients reach this server at (behind a proxy, say). Unset, absolute URLs in
   * answers (object URLs, signed URLs) are built from each request's own Host.
   */
  publicUrl?: string;
  accessTokenTtlSeconds: number;
  /** The clock; tests move it to expire tokens and roll rate-limit windows. */
  now: () => Date;
  logger: boolean;
  /** Where the log goes: standard output, unless a test reads it. */
  logStream?: { write(line: string): void };
  /** Project SQL: statement timeout and result caps (`LUBES_QUERY_TIMEOUT_MS`). */
  queryLimits?: QueryLimits;
  /** Embedded branch databases open at once (`LUBES_MAX_OPEN_DATABASES`), and how long an unused one stays open. */
  maxOpenDatabases?: number;
  databaseIdleMs?: number;
  /** The largest object a storage upload may store (`LUBES_MAX_OBJECT_BYTES`). */
  maxObjectBytes?: number;
  /** False keeps this process from building deployments (another process, or a later start, will). */
  buildDeployments?: boolean;
  /**
   * Fault injection for reliability tests (`LUBES_FAULTS`, as written, and read); off unless set. When set (even to
   * `off`), `PUT /v1/admin/faults` changes it on the running server.
   */
  faults?: { text: string; rules: Faults };
  /** Function runs at once in this process (`LUBES_MAX_INVOCATIONS`), and per project (`…_PER_PROJECT`). */
  maxInvocations?: number;
  maxInvocationsPerProject?: number;
}

type FaultRequest = { method: string; url: string };
export type FaultRule = number | ((request: FaultRequest) => boolean);

/**
 * Faults injected for reliability tests (`LUBES_FAULTS`), each a probability or, in tests, a predicate; `/health`,
 * `/openapi.json` and `/admin/faults` are spared. Before handling: `delay` (added latency), `reset` (the connection
 * closed, nothing runs), `rateLimit` (429 with the caller's X-RateLimit-* and Retry-After), `badGateway` (502), `fail`
 * (503). As the handling starts: `cut` (the connection closed; the handling goes on, so a client that retries at once
 * meets its first attempt still running). After it: `drop` (the work is done and committed, then the connection is
 * closed instead of the answer: the worst case).
 */
export interface Faults {
  delay?: { minMs: number; maxMs: number; when?: (request: FaultRequest) => boolean };
  reset?: FaultRule;
  rateLimit?: FaultRule;
  badGateway?: FaultRule;
  fail?: FaultRule;
  cut?: FaultRule;
  drop?: FaultRule;
}

const FAULT_NAMES = { fail: "fail", bad_gateway: "badGateway", rate_limit: "rateLimit", reset: "reset", cut: "cut", drop: "drop" } as const;
const FAULT_SYNTAX = "fail, bad_gateway, rate_limit, reset, cut or drop=<0..1>, or delay=<ms> or <min>-<max>, each optionally @<path part> or @<METHOD> <path part>; or off";

/** `@/db/migrations` or `@POST /v1/projects`: the requests whose path contains that part (and of that method). */
function routeOf(spec: string | undefined): ((request: FaultRequest) => boolean) | undefined {
  if (spec === undefined) return undefined;
  const space = spec.indexOf(" ");
  const [method, part] = /^[A-Z]+ /.test(spec) ? [spec.slice(0, space), spec.slice(space + 1)] : [undefined, spec];
  return (request) => (method === undefined || request.method === method) && (request.url.split("?")[0] ?? "").includes(part);
}

/** `<ms>` or `<min>-<max>` milliseconds, at most a minute. */
function delayOf(value: string): { minMs: number; maxMs: number } | undefined {
  const [min, max = min] = value.split("-").map((n) => (/^\d+$/.test(n.trim()) ? Number(n) : NaN));
  if (min === undefined || max === undefined || !(min >= 0 && max >= min && max <= 60_000)) return undefined;
  return { minMs: min, maxMs: max };
}

/**
 * Parses `LUBES_FAULTS` (or what `PUT /v1/admin/faults` is sent), e.g. `fail=0.1,rate_limit=0.05@/db/query,delay=20-200`;
 * `off` (or nothing) injects none. Throws a message naming the part it cannot read.
 */
export function parseFaults(text: string): Faults {
  const faults: Faults = {};
  if (text.trim() === "" || text.trim() === "off") return faults;
  for (const part of text.split(",")) {
    const at = part.indexOf("@");
    const [name = "", value = ""] = (at < 0 ? part : part.slice(0, at)).split("=").map((s) => s.trim());
    const route = at < 0 ? undefined : part.slice(at + 1).trim();
    const when = routeOf(route);
    const known = Object.entries(FAULT_NAMES).find(([written]) => written === name)?.[1];
    const rate = Number(value);
    const delay = name === "delay" ? delayOf(value) : undefined;
    if (route === "") throw new Error(`LUBES_FAULTS: "${part.trim()}": ${FAULT_SYNTAX}`);
    if (delay) faults.delay = { ...delay, ...(when ? { when } : {}) };
    else if (known && value !== "" && rate >= 0 && rate <= 1) faults[known] = when ? (request) => when(request) && Math.random() < rate : rate;
    else throw new Error(`LUBES_FAULTS: "${part.trim()}": ${FAULT_SYNTAX}`);
  }
  return faults;
}

/** Parses `LUBES_RATE_LIMITS`, e.g. `free=600,pro=1000`: plans not named keep their defaults. */
export function parseRateLimits(text: string | undefined): RateLimits {
  const limits = { ...DEFAULT_RATE_LIMITS };
  if (!text?.trim()) return limits;
  for (const part of text.split(",")) {
    const [plan, value] = part.split("=").map((s) => s.trim());
    if (!PLANS.includes(plan as Plan) || !value || !/^\d+$/.test(value) || Number(value) < 1) {
      throw new Error(`LUBES_RATE_LIMITS: "${part}" is not plan=requests-per-minute (plans: ${PLANS.join(", ")})`);
    }
    limits[plan as Plan] = Number(value);
  }
  return limits;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`${name}: "${text}" is not a positive whole number`);
  return Number(text);
}

export interface ListenConfig {
  port: number;
  host: string;
}

/** The URL to print for a server listening on `host`:`port`. */
export const localUrl = (host: string, port: number): string => `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}/v1`;

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): { options: ServerOptions; listen: ListenConfig } {
  const port = Number(env["PORT"] ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT: "${env["PORT"]}" is not a port number`);
  const host = env["HOST"] ?? "127.0.0.1";
  const databaseUrl = env["LUBES_DATABASE_URL"]?.trim();
  const secretKey = env["LUBES_SECRET_KEY"]?.trim() || undefined;
  if (secretKey && secretKey.length < 32) throw new Error("LUBES_SECRET_KEY must be at least 32 characters, e.g. the output of `openssl rand -base64 32`");
  const smtpUrl = env["LUBES_SMTP_URL"]?.trim();
  if (smtpUrl && !/^smtps?:\/\/[^/]/.test(smtpUrl)) throw new Error("LUBES_SMTP_URL must be an smtp:// or smtps:// URL, e.g. smtps://user:password@smtp.example.com");
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error("LUBES_DATABASE_URL must be a postgres:// URL");
  return {
    listen: { port, host },
    options: {
      dataDir: path.resolve(env["LUBES_DATA_DIR"] ?? ".lubes"),
      ...(databaseUrl ? { databaseUrl } : {}),
      rateLimits: parseRateLimits(env["LUBES_RATE_LIMITS"]),
      dev: env["LUBES_DEV"] === "1",
      ...(secretKey ? { secretKey } : {}),
      ...(smtpUrl ? { smtp: { url: smtpUrl, from: env["LUBES_MAIL_FROM"]?.trim() || "Lubes <no-reply@lubes.local>" } } : {}),
      ...(env["LUBES_PUBLIC_URL"] ? { publicUrl: env["LUBES_PUBLIC_URL"].replace(/\/+$/, "") } : {}),
      accessTokenTtlSeconds: 15 * 60,
      now: () => new Date(),
      logger: env["LUBES_LOG"] !== "0",
      queryLimits: { ...DEFAULT_QUERY_LIMITS, timeoutMs: positiveInteger(env, "LUBES_QUERY_TIMEOUT_MS", DEFAULT_QUERY_LIMITS.timeoutMs) },
      maxOpenDatabases: positiveInteger(env, "LUBES_MAX_OPEN_DATABASES", 8),
      maxInvocations: positiveInteger(env, "LUBES_MAX_INVOCATIONS", DEFAULT_MAX_INVOCATIONS),
      maxInvocationsPerProject: positiveInteger(env, "LUBES_MAX_INVOCATIONS_PER_PROJECT", DEFAULT_MAX_INVOCATIONS_PER_PROJECT),
      databaseIdleMs: 60_000,
      maxObjectBytes: positiveInteger(env, "LUBES_MAX_OBJECT_BYTES", DEFAULT_MAX_OBJECT_BYTES),
      ...(env["LUBES_FAULTS"] !== undefined ? { faults: { text: env["LUBES_FAULTS"], rules: parseFaults(env["LUBES_FAULTS"]) } } : {}),
    },
  };
}
