// Test harness: a real lubes-server on a loopback port, on embedded PGlite or on the throwaway PostgreSQL cluster,
// with a clock the test can move, and a small HTTP client.
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import pg from "pg";
import { servedEndpoints, type Organization, type Project } from "../../contract";
import { buildApp } from "../../server/app";
import { DEFAULT_RATE_LIMITS, type Faults, type RateLimits, type ServerOptions } from "../../server/config";
import type { QueryLimits } from "../../server/databases/types";
import { buildOpenApiDocument } from "../../server/openapi";
import { DocumentCheck } from "./openapi-check";

export type Engine = "pglite" | "postgres";

/** A fresh, empty database in the test cluster. */
export async function freshPostgresDatabase(): Promise<string> {
  // Loaded here, not at the top, so benchmarks can use this harness outside vitest.
  const { inject } = await import("vitest");
  const admin = inject("postgresUrl");
  if (!admin) throw new Error("no PostgreSQL cluster in this run");
  const name = `lubes_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  return admin.replace(/\/[^/]*$/, `/${name}`);
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string | undefined;
  body?: unknown;
  /** Sent as is, instead of JSON of `body`. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export class Api {
  constructor(readonly baseUrl: string) {}

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`;
    let body: string | Buffer | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get = <T = any>(path: string, options?: RequestOptions) => this.request<T>("GET", path, options);
  post = <T = any>(path: string, options?: RequestOptions) => this.request<T>("POST", path, options);
  patch = <T = any>(path: string, options?: RequestOptions) => this.request<T>("PATCH", path, options);
  delete = <T = any>(path: string, options?: RequestOptions) => this.request<T>("DELETE", path, options);
}

export interface TestServer {
  app: FastifyInstance;
  api: Api;
  url: string;
  /** Moves the server's clock forward. */
  advanceClock: (ms: number) => void;
  now: () => Date;
  /** What the OpenAPI check found so far (empty without the check): a test can hold each response to it as it goes. */
  documentFindings: readonly string[];
  close: () => Promise<void>;
}

export interface TestServerOptions {
  dataDir?: string;
  databaseUrl?: string;
  rateLimits?: Partial<RateLimits>;
  dev?: boolean;
  accessTokenTtlSeconds?: number;
  queryLimits?: QueryLimits;
  maxObjectBytes?: number;
  buildDeployments?: boolean;
  faults?: Faults;
  /** Start the server's clock this far from real time. */
  clockOffsetMs?: number;
  maxOpenDatabases?: number;
  /** The address to listen on; loopback unless a test needs another interface. */
  host?: string;
  maxInvocations?: number;
  maxInvocationsPerProject?: number;
  smtp?: ServerOptions["smtp"];
  secretKey?: string;
  publicUrl?: string;
  /** Receives the server's log (one line per request, and errors); without it the server logs nothing. */
  logStream?: ServerOptions["logStream"];
  /** Hold every response to the OpenAPI document (on by default under vitest; benchmarks go without). */
  checkDocument?: boolean;
}

/** The document of what a server serves (the dev outbox only with `dev`, fault switching only with faults), built once. */
const documents = new Map<string, Record<string, unknown>>();
const documentOf = (served: { dev: boolean; faults: boolean }) => {
  const key = JSON.stringify(served);
  return documents.get(key) ?? documents.set(key, buildOpenApiDocument(servedEndpoints(served), "/v1", served)).get(key) ?? {};
};

export async function startTestServer(engine: Engine, overrides: TestServerOptions = {}): Promise<TestServer> {
  let offset = overrides.clockOffsetMs ?? 0;
  const databaseUrl = overrides.databaseUrl ?? (engine === "postgres" ? await freshPostgresDatabase() : undefined);
  const options: ServerOptions = {
    ...(overrides.dataDir ? { dataDir: overrides.dataDir } : {}),
    ...(databaseUrl ? { databaseUrl } : {}),
    // Generous by default so suites are not throttled; the rate-limit tests set their own.
    rateLimits: { ...DEFAULT_RATE_LIMITS, free: 100_000, pro: 100_000, team: 100_000, ...overrides.rateLimits },
    dev: overrides.dev ?? true,
    accessTokenTtlSeconds: overrides.accessTokenTtlSeconds ?? 900,
    now: () => new Date(Date.now() + offset),
    logger: overrides.logStream !== undefined,
    ...(overrides.logStream ? { logStream: overrides.logStream } : {}),
    ...(overrides.queryLimits ? { queryLimits: overrides.queryLimits } : {}),
    ...(overrides.maxObjectBytes ? { maxObjectBytes: overrides.maxObjectBytes } : {}),
    ...(overrides.buildDeployments === false ? { buildDeployments: false } : {}),
    ...(overrides.faults ? { faults: { text: "(the test's own rules)", rules: overrides.faults } } : {}),
    ...(overrides.maxOpenDatabases ? { maxOpenDatabases: overrides.maxOpenDatabases } : {}),
    ...(overrides.maxInvocations ? { maxInvocations: overrides.maxInvocations } : {}),
    ...(overrides.maxInvocationsPerProject ? { maxInvocationsPerProject: overrides.maxInvocationsPerProject } : {}),
    ...(overrides.smtp ? { smtp: overrides.smtp } : {}),
    ...(overrides.secretKey ? { secretKey: overrides.secretKey } : {}),
    ...(overrides.publicUrl ? { publicUrl: overrides.publicUrl } : {}),
  };
  const app = await buildApp(options);
  const served = { dev: options.dev === true, faults: options.faults !== undefined };
  const check = (overrides.checkDocument ?? process.env["VITEST"] !== undefined) ? new DocumentCheck(documentOf(served), servedEndpoints(served)) : undefined;
  check?.install(app);
  await app.listen({ port: 0, host: overrides.host ?? "127.0.0.1" });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}/v1`;
  return { app, api: new Api(url), url, advanceClock: (ms) => (offset += ms), now: options.now, documentFindings: check?.findings ?? [], close: async () => {
    await app.close();
    check?.assertDescribed();
  } };
}

/** Switches the faults a server started with them injects (`PUT /v1/admin/faults`, LUBES_FAULTS syntax). */
export async function setFaults(api: Api, faults: string): Promise<void> {
  const res = await api.request("PUT", "/admin/faults", { body: { faults } });
  if (res.status !== 200) throw new Error(`PUT /admin/faults: ${res.status} ${res.text}`);
}

let userCounter = 0;

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
}

export async function signUp(api: Api, label = "user"): Promise<TestUser> {
  const email = `${label}-${++userCounter}-${randomBytes(3).toString("hex")}@example.com`;
  const password = "correct horse battery";
  const res = await api.post("/auth/register", { body: { email, password, name: label } });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  await verifyEmail(api, email, res.body.access_token);
  return { id: res.body.user.id, email, password, token: res.body.access_token, refreshToken: res.body.refresh_token };
}

/** The newest token the dev outbox holds for `email` whose mail's subject matches. */
export async function mailedToken(api: Api, email: string, subject: RegExp): Promise<string> {
  const outbox = await api.get(`/dev/outbox?email=${encodeURIComponent(email)}`);
  const mail = (outbox.body.data as Array<{ subject: string; token: string }>).find((m) => subject.test(m.subject));
  if (!mail) throw new Error(`no mail matching ${subject} for ${email}: ${outbox.text}`);
  return mail.token;
}

/** Verifies the email with the token mailed at registration, signed in, as its owner would (invitations join at once). */
export async function verifyEmail(api: Api, email: string, session: string): Promise<void> {
  const res = await api.post("/auth/verify-email", { token: session, body: { token: await mailedToken(api, email, /Verify/) } });
  if (res.status !== 200) throw new Error(`verify failed: ${res.status} ${res.text}`);
}

export async function createOrg(api: Api, token: string, body: Record<string, unknown> = {}): Promise<Organization> {
  const res = await api.post("/organizations", { token, body: { name: "Acme", ...body } });
  if (res.status !== 201) throw new Error(`create org failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function createProject(api: Api, token: string, organizationId: string, name = "Web"): Promise<Project> {
  const res = await api.post("/projects", { token, body: { name, organization_id: organizationId } });
  if (res.status !== 201) throw new Error(`create project failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function createKey(api: Api, token: string, body: Record<string, unknown>): Promise<string> {
  const res = await api.post("/api-keys", { token, body: { name: "test", ...body } });
  if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${res.text}`);
  return res.body.key;
}

/** The error envelope of the seed, asserted in one place. */
export function expectEnvelope(res: ApiResponse, status: number, code?: string): void {
  if (res.status !== status || typeof res.body?.error?.code !== "string" || typeof res.body?.error?.message !== "string" || (code && res.body.error.code !== code)) {
    throw new Error(`expected ${status}${code ? ` ${code}` : ""} in the error envelope, got ${res.status}: ${res.text}`);
  }
}
