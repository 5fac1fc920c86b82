// The load driver of issue 14: mixed traffic from many concurrent clients against a lubes-server URL. `setUpTenants`
// makes a few users, each with an organization and a project holding a table, a bucket, variables and a deployed
// function; `runTraffic` then runs N clients for a duration, each sending one request at a time, picked from a
// weighted mix of endpoint classes. Every request is timed and held to the status (and for downloads and invocations,
// the bytes) it should answer, so a run counts 5xx, unanswered requests and wrong answers apart. Used by bench/load.ts
// (a compiled server in a child process) and test/server/load.test.ts (an in-process test server).
import { randomBytes } from "node:crypto";
import { FormData, Pool } from "undici";

export const CLASSES = ["read", "write", "sql", "storage", "function", "auth"] as const;
export type LoadClass = (typeof CLASSES)[number];

/** Read-heavy, as a control plane and an app backend are; logins are rare since each costs a scrypt (~60 ms). */
export const DEFAULT_MIX: Record<LoadClass, number> = { read: 30, write: 15, sql: 20, storage: 15, function: 15, auth: 5 };

/** What each client keeps of its own at most: its variables and objects are created, updated and deleted in turn. */
const MAX_OWNED = 8;
/** Rows a client keeps in its tenant's table: the SQL class trims past it, so a soak's data stays the same size. */
const KEPT_ROWS = 50;
const PASSWORD = "load traffic password";

const FUNCTION_SOURCE = `export default async (request, env) =>
  new Response(JSON.stringify({ tenant: env.TENANT, echo: await request.text() }), { headers: { "content-type": "application/json" } });`;

export interface Tenant {
  name: string;
  email: string;
  projectId: string;
  bucket: string;
  slug: string;
}

interface Answer {
  status: number;
  bytes: Buffer;
}

interface SendOptions {
  token?: string;
  json?: unknown;
  form?: FormData;
}

/** One keep-alive pool to the server; `url` is the API's base, e.g. `http://127.0.0.1:8787/v1`. */
export class LoadHttp {
  private readonly pool: Pool;
  private readonly prefix: string;

  constructor(url: string, connections: number, timeoutMs = 30_000) {
    const parsed = new URL(url);
    this.pool = new Pool(parsed.origin, { connections, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    this.prefix = parsed.pathname.replace(/\/$/, "");
  }

  async send(method: string, path: string, options: SendOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (options.token) headers["authorization"] = `Bearer ${options.token}`;
    let body: string | FormData | undefined = options.form;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    const res = await this.pool.request({ method, path: `${this.prefix}${path}`, headers, ...(body !== undefined ? { body } : {}) });
    return { status: res.statusCode, bytes: Buffer.from(await res.body.arrayBuffer()) };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** A setup step that must succeed: throws with the answer otherwise. */
async function must(http: LoadHttp, status: number, method: string, path: string, options: SendOptions = {}): Promise<any> {
  const answer = await http.send(method, path, options);
  if (answer.status !== status) throw new Error(`setup: ${method} ${path}: ${answer.status} ${answer.bytes.toString("utf8").slice(0, 300)}`);
  return answer.bytes.length > 0 ? JSON.parse(answer.bytes.toString("utf8")) : undefined;
}

async function setUpTenant(http: LoadHttp, index: number, run: string): Promise<Tenant> {
  const name = `t${index}`;
  const email = `load-${run}-${name}@example.com`;
  const session = await must(http, 201, "POST", "/auth/register", { json: { email, password: PASSWORD, name } });
  const token: string = session.access_token;
  const organization = await must(http, 201, "POST", "/organizations", { token, json: { name: `Load ${name}` } });
  const project = await must(http, 201, "POST", "/projects", { token, json: { name: `Load ${name}`, organization_id: organization.id } });
  const base = `/projects/${String(project.id)}`;
  await must(http, 200, "POST", `${base}/db/query`, { token, json: { query: "CREATE TABLE items (id bigserial PRIMARY KEY, client int NOT NULL, note text NOT NULL)" } });
  await must(http, 200, "POST", `${base}/db/query`, { token, json: { query: "CREATE INDEX items_client ON items (client, id)" } });
  await must(http, 201, "POST", `${base}/storage/buckets`, { token, json: { name: "load" } });
  // The function reads TENANT; the traffic's variable writes stay out of production, so its variables never change
  // and invocations measure the warm path rather than a process start after every write.
  await must(http, 201, "POST", `${base}/env`, { token, json: { key: "TENANT", value: name, environments: ["production"] } });
  for (const key of ["DATABASE_URL", "API_SECRET", "FEATURE_FLAGS"]) {
    await must(http, 201, "POST", `${base}/env`, { token, json: { key, value: `${key.toLowerCase()}-${name}`, sensitive: key === "API_SECRET" } });
  }
  await must(http, 201, "POST", `${base}/functions`, { token, json: { slug: "echo", source: FUNCTION_SOURCE } });
  await must(http, 201, "POST", `${base}/functions/echo/deploy`, { token });
  return { name, email, projectId: String(project.id), bucket: "load", slug: "echo" };
}

/** `count` tenants, one after the other (a project's first query opens its database: not load to measure). */
export async function setUpTenants(url: string, count: number): Promise<Tenant[]> {
  const http = new LoadHttp(url, 1);
  const run = randomBytes(3).toString("hex");
  const tenants: Tenant[] = [];
  try {
    for (let i = 0; i < count; i++) tenants.push(await setUpTenant(http, i, run));
  } finally {
    await http.close();
  }
  return tenants;
}

interface Client {
  id: number;
  /** The run's tag in its variables' and objects' keys, so runs on the same tenants never meet each other's. */
  tag: string;
  tenant: Tenant;
  access: string;
  refresh: string;
  /** Its variables' keys and its objects' keys with their bytes: what it may update, download or delete. */
  keys: string[];
  objects: Map<string, Buffer>;
  sequence: number;
  /** Requests made per class: the position in that class's cycle of operations. */
  turns: Record<LoadClass, number>;
}

/** One request of a class: what to send, what it must answer, and what the client keeps of a good answer. */
interface Step {
  op: string;
  method: string;
  path: string;
  json?: unknown;
  form?: FormData;
  token?: string;
  expect: number;
  /** A reason when the answer's content is wrong. */
  verify?: (answer: Answer) => string | undefined;
  after?: (answer: Answer) => void;
}

/**
 * The next operation of a class for this client. Operations follow a fixed cycle per class (the classes themselves
 * are drawn at random) so that the rare ones (a trim, a login) come early: even a short run exercises every one.
 */
function turn<T>(client: Client, name: LoadClass, cycle: readonly T[]): T {
  return cycle[client.turns[name]++ % cycle.length] as T;
}

const project = (client: Client) => `/projects/${client.tenant.projectId}`;
const json = (answer: Answer): any => JSON.parse(answer.bytes.toString("utf8"));
const ENVIRONMENTS = ["preview", "development"];

function readStep(client: Client): Step {
  const [op, suffix] = turn(client, "read", [["GET project", ""], ["GET env", "/env?limit=20"], ["GET buckets", "/storage/buckets"]] as const);
  return { op, method: "GET", path: `${project(client)}${suffix}`, expect: 200 };
}

/** Creates a variable, updates one it made, or deletes the oldest it made: exactly one expected status each. */
function writeStep(client: Client): Step {
  const chosen = turn(client, "write", ["create", "update", "create", "delete", "update"] as const);
  const op = client.keys.length === 0 ? "create" : client.keys.length >= MAX_OWNED ? "delete" : chosen;
  if (op === "delete") {
    const key = client.keys.shift() as string;
    return { op: "delete variable", method: "DELETE", path: `${project(client)}/env/${key}`, expect: 204 };
  }
  if (op === "update") {
    const key = client.keys[client.sequence % client.keys.length] as string;
    return { op: "update variable", method: "POST", path: `${project(client)}/env`, json: { key, value: `v${client.sequence}`, environments: ENVIRONMENTS }, expect: 200 };
  }
  const key = `LOAD_${client.tag}_C${client.id}_${client.sequence}`;
  return {
    op: "create variable", method: "POST", path: `${project(client)}/env`, json: { key, value: "v0", environments: ENVIRONMENTS }, expect: 201,
    after: () => client.keys.push(key),
  };
}

/** Reads the client's newest rows, inserts one, or trims its rows to the newest KEPT_ROWS. */
function sqlStep(client: Client): Step {
  const op = turn(client, "sql", ["select", "insert", "trim", "select", "insert", "select", "select", "insert", "select", "select"] as const);
  const query = (text: string, params: unknown[]): Step => ({ op, method: "POST", path: `${project(client)}/db/query`, json: { query: text, params }, expect: 200 });
  if (op === "select") return query("SELECT id, note FROM items WHERE client = $1 ORDER BY id DESC LIMIT 10", [client.id]);
  if (op === "insert") {
    const step = query("INSERT INTO items (client, note) VALUES ($1, $2) RETURNING id", [client.id, `note ${client.sequence}`]);
    return { ...step, verify: (answer) => (json(answer).row_count === 1 ? undefined : `row_count ${String(json(answer).row_count)}`) };
  }
  return query("DELETE FROM items WHERE client = $1 AND id NOT IN (SELECT id FROM items WHERE client = $1 ORDER BY id DESC LIMIT $2)", [client.id, KEPT_ROWS]);
}

function uploadStep(client: Client): Step {
  const key = `${client.tag}/c${client.id}/${client.sequence}.bin`;
  const bytes = randomBytes(1024 + (client.sequence % 3072));
  const form = new FormData();
  form.append("bucket", client.tenant.bucket);
  form.append("key", key);
  form.append("file", new Blob([bytes], { type: "application/octet-stream" }), "upload.bin");
  return {
    op: "upload", method: "POST", path: `${project(client)}/storage/objects`, form, expect: 201,
    verify: (answer) => (json(answer).size === bytes.length ? undefined : `size ${String(json(answer).size)} for ${bytes.length} bytes`),
    after: () => client.objects.set(key, bytes),
  };
}

/** Uploads a small object (1 to 4 KiB), downloads one it uploaded (the same bytes must come back), or deletes one. */
function storageStep(client: Client): Step {
  const chosen = turn(client, "storage", ["upload", "download", "delete", "upload", "download", "upload", "download", "download", "delete", "download"] as const);
  const owned = [...client.objects.keys()];
  if (owned.length === 0 || (chosen === "upload" && owned.length < MAX_OWNED)) return uploadStep(client);
  const key = owned[client.sequence % owned.length] as string;
  const path = `${project(client)}/storage/objects/${client.tenant.bucket}/${key}`;
  if (chosen !== "delete") {
    const bytes = client.objects.get(key) as Buffer;
    return { op: "download", method: "GET", path, expect: 200, verify: (answer) => (answer.bytes.equals(bytes) ? undefined : `${answer.bytes.length} bytes, not the ${bytes.length} uploaded`) };
  }
  client.objects.delete(key);
  return { op: "delete object", method: "DELETE", path, expect: 204 };
}

function functionStep(client: Client): Step {
  const payload = `c${client.id}-${client.sequence}`;
  return {
    op: "invoke", method: "POST", path: `${project(client)}/functions/${client.tenant.slug}/invoke`, json: payload, expect: 200,
    verify: (answer) => {
      const body = json(answer);
      return body.tenant === client.tenant.name && body.echo === JSON.stringify(payload) ? undefined : `answered ${answer.bytes.toString("utf8").slice(0, 100)}`;
    },
  };
}

/** Refreshes the client's session (the refresh token rotates), or one time in ten logs in afresh. */
function authStep(client: Client): Step {
  const adopt = (answer: Answer) => {
    const session = json(answer);
    client.access = session.access_token;
    client.refresh = session.refresh_token;
  };
  const op = turn(client, "auth", ["refresh", "login", "refresh", "refresh", "refresh", "refresh", "refresh", "refresh", "refresh", "refresh"] as const);
  if (op === "login") return { op, method: "POST", path: "/auth/login", json: { email: client.tenant.email, password: PASSWORD }, expect: 200, after: adopt };
  return { op, method: "POST", path: "/auth/refresh", json: { refresh_token: client.refresh }, expect: 200, after: adopt };
}

const STEPS: Record<LoadClass, (client: Client) => Step> = { read: readStep, write: writeStep, sql: sqlStep, storage: storageStep, function: functionStep, auth: authStep };

export interface ClassStats {
  requests: number;
  /** Answered requests a second over the run. */
  throughput: number;
  p50: number;
  p99: number;
  max: number;
  /** `<op> <status>` → count, e.g. `upload 201`. */
  statuses: Record<string, number>;
  serverErrors: number;
  unanswered: number;
  /** Answered, not 5xx, but not with the expected status or content. */
  unexpected: number;
}

export interface MemorySample {
  seconds: number;
  rssMiB: number;
}

export interface LoadReport {
  seconds: number;
  clients: number;
  classes: Record<LoadClass, ClassStats>;
  requests: number;
  serverErrors: number;
  unanswered: number;
  unexpected: number;
  /** The first few problems, to say what went wrong. */
  problems: string[];
  memory: MemorySample[];
}

export interface TrafficOptions {
  url: string;
  tenants: Tenant[];
  clients: number;
  durationMs: number;
  mix?: Record<LoadClass, number>;
  /** The server's resident memory in bytes, sampled every `sampleEveryMs` (and at the start and the end). */
  rss?: () => number;
  sampleEveryMs?: number;
  onSample?: (sample: MemorySample) => void;
}

interface Tally {
  latencies: number[];
  statuses: Record<string, number>;
  serverErrors: number;
  unanswered: number;
  unexpected: number;
}

function pickClass(mix: Record<LoadClass, number>, total: number): LoadClass {
  let r = Math.random() * total;
  for (const name of CLASSES) {
    r -= mix[name];
    if (r < 0) return name;
  }
  return "read";
}

/** Sends one step and files its outcome; never throws. */
async function perform(http: LoadHttp, client: Client, step: Step, tally: Tally, problems: string[]): Promise<void> {
  const note = (text: string) => { if (problems.length < 20) problems.push(`${step.op} ${step.method} ${step.path}: ${text}`); };
  const started = performance.now();
  let answer: Answer;
  try {
    answer = await http.send(step.method, step.path, { token: step.token ?? client.access, ...(step.json !== undefined ? { json: step.json } : {}), ...(step.form ? { form: step.form } : {}) });
  } catch (error) {
    tally.unanswered += 1;
    note(error instanceof Error ? error.message : String(error));
    return;
  }
  tally.latencies.push(performance.now() - started);
  const label = `${step.op} ${answer.status}`;
  tally.statuses[label] = (tally.statuses[label] ?? 0) + 1;
  const wrong = answer.status === step.expect ? safeVerify(step, answer) : `answered ${answer.status}, expected ${step.expect}`;
  if (answer.status >= 500) tally.serverErrors += 1;
  else if (wrong) tally.unexpected += 1;
  if (wrong) note(`${wrong}: ${answer.bytes.toString("utf8").slice(0, 200)}`);
  else step.after?.(answer);
}

function safeVerify(step: Step, answer: Answer): string | undefined {
  try {
    return step.verify?.(answer);
  } catch (error) {
    return `unreadable answer (${String(error)})`;
  }
}

function summarise(tally: Tally, seconds: number): ClassStats {
  const sorted = [...tally.latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const requests = sorted.length + tally.unanswered;
  return { requests, throughput: sorted.length / seconds, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0, statuses: tally.statuses, serverErrors: tally.serverErrors, unanswered: tally.unanswered, unexpected: tally.unexpected };
}

function byClass<T>(make: (name: LoadClass) => T): Record<LoadClass, T> {
  return Object.fromEntries(CLASSES.map((name) => [name, make(name)])) as Record<LoadClass, T>;
}

/** Each client logs in as its tenant's user, so every client has a session (and a refresh chain) of its own. */
async function startClients(http: LoadHttp, tenants: Tenant[], count: number): Promise<Client[]> {
  const clients: Client[] = [];
  const tag = randomBytes(3).toString("hex").toUpperCase();
  for (let id = 0; id < count; id++) {
    const tenant = tenants[id % tenants.length] as Tenant;
    const session = await must(http, 200, "POST", "/auth/login", { json: { email: tenant.email, password: PASSWORD } });
    clients.push({ id, tag, tenant, access: session.access_token, refresh: session.refresh_token, keys: [], objects: new Map(), sequence: 0, turns: byClass(() => 0) });
  }
  return clients;
}

/** Runs the clients for the duration and reports per class. */
export async function runTraffic(options: TrafficOptions): Promise<LoadReport> {
  const mix = options.mix ?? DEFAULT_MIX;
  const total = CLASSES.reduce((sum, name) => sum + mix[name], 0);
  const http = new LoadHttp(options.url, options.clients);
  const clients = await startClients(http, options.tenants, options.clients);
  const tallies = byClass((): Tally => ({ latencies: [], statuses: {}, serverErrors: 0, unanswered: 0, unexpected: 0 }));
  const problems: string[] = [];
  const memory: MemorySample[] = [];
  const started = performance.now();
  const sample = () => {
    if (!options.rss) return;
    const entry = { seconds: (performance.now() - started) / 1000, rssMiB: options.rss() / 1024 / 1024 };
    memory.push(entry);
    options.onSample?.(entry);
  };
  sample();
  const sampler = setInterval(sample, options.sampleEveryMs ?? 5000);
  const deadline = started + options.durationMs;
  const loop = async (client: Client) => {
    while (performance.now() < deadline) {
      const name = pickClass(mix, total);
      client.sequence += 1;
      await perform(http, client, STEPS[name](client), tallies[name], problems);
    }
  };
  try {
    await Promise.all(clients.map(loop));
  } finally {
    clearInterval(sampler);
    await http.close();
  }
  const seconds = (performance.now() - started) / 1000;
  sample();
  const classes = byClass((name) => summarise(tallies[name], seconds));
  const sum = (field: "requests" | "serverErrors" | "unanswered" | "unexpected") => CLASSES.reduce((n, name) => n + classes[name][field], 0);
  return { seconds, clients: options.clients, classes, requests: sum("requests"), serverErrors: sum("serverErrors"), unanswered: sum("unanswered"), unexpected: sum("unexpected"), problems, memory };
}
