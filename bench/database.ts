// Benchmark: project databases. In one run, per engine:
//  1. latency of SELECT 1 through POST /db/query against the same query on the driver directly;
//  2. time to branch a 10,000-row database;
//  3. process memory after 50 projects have each used a database (embedded: bounded by lazy open and idle close).
// Usage: npm run bench:database
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { Pool } from "undici";
import { buildApp } from "../server/app";
import { DEFAULT_RATE_LIMITS, type ServerOptions } from "../server/config";
import { findPostgresBin, startPostgres } from "../test/support/postgres";

const QUERIES = 500;
const PROJECTS = 50;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const mib = () => Math.round(process.memoryUsage().rss / 1024 / 1024);

async function main(): Promise<void> {
  const lines: string[] = [];
  const bin = findPostgresBin();
  const cluster = bin ? await startPostgres(bin) : undefined;
  for (const engine of cluster ? ["pglite", "postgres"] : ["pglite"]) {
    const databaseUrl = engine === "postgres" ? await cluster?.createDatabase() : undefined;
    const options: ServerOptions = {
      ...(databaseUrl ? { databaseUrl } : {}),
      rateLimits: { ...DEFAULT_RATE_LIMITS, free: 1e9, pro: 1e9, team: 1e9 },
      dev: false, accessTokenTtlSeconds: 900, now: () => new Date(), logger: false,
      maxOpenDatabases: 8, databaseIdleMs: 60_000,
    };
    const app = await buildApp(options);
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    const http = new Pool(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, { connections: 4 });
    const call = async (method: "GET" | "POST", path: string, body?: unknown, token?: string) => {
      const res = await http.request({ method, path: `/v1${path}`, headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      const json = (await res.body.json()) as Record<string, unknown>;
      if (res.statusCode >= 400) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
      return json;
    };
    const session = await call("POST", "/auth/register", { email: `bench-${engine}@example.com`, password: "bench password" });
    const org = await call("POST", "/organizations", { name: "Bench" }, session["access_token"] as string);
    const key = (await call("POST", "/api-keys", { name: "bench" }, session["access_token"] as string))["key"] as string;
    const project = await call("POST", "/projects", { name: "Bench", organization_id: org["id"] }, key);
    const query = (sql: string, projectId = project["id"] as string) => call("POST", `/projects/${projectId}/db/query`, { query: sql }, key);
    await query("CREATE TABLE items (id bigserial PRIMARY KEY, name text, payload text); INSERT INTO items (name, payload) SELECT 'item ' || g, md5(g::text) FROM generate_series(1, 10000) g");

    // 1. SELECT 1: HTTP against the driver, sequential, after a warm-up; with the HTTP floors beside it.
    const timed = async (fn: () => Promise<unknown>) => {
      for (let i = 0; i < 50; i++) await fn();
      const times: number[] = [];
      for (let i = 0; i < QUERIES; i++) {
        const t = performance.now();
        await fn();
        times.push(performance.now() - t);
      }
      return times;
    };
    const health = await timed(() => call("GET", "/health"));
    const authenticated = await timed(() => call("GET", `/projects/${project["id"] as string}`, undefined, key));
    const viaHttp = await timed(() => query("SELECT 1"));
    const direct: number[] = [];
    if (engine === "pglite") {
      const db = new PGlite();
      await db.waitReady;
      for (let i = 0; i < 50; i++) await db.query("SELECT 1");
      for (let i = 0; i < QUERIES; i++) {
        const t = performance.now();
        await db.query("SELECT 1");
        direct.push(performance.now() - t);
      }
      await db.close();
    } else {
      const branch = ((await call("GET", `/projects/${project["id"] as string}/db/branches`, undefined, key))["data"] as Array<{ id: string }>)[0];
      const client = new pg.Client({ connectionString: (databaseUrl ?? "").replace(/\/[^/]*$/, `/lubes_${branch?.id ?? ""}`) });
      await client.connect();
      for (let i = 0; i < 50; i++) await client.query("SELECT 1");
      for (let i = 0; i < QUERIES; i++) {
        const t = performance.now();
        await client.query("SELECT 1");
        direct.push(performance.now() - t);
      }
      await client.end();
    }

    // 2. Branching a 10,000-row database, five times.
    const branchTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await call("POST", `/projects/${project["id"] as string}/db/branches`, { name: `b${i}` }, key);
      branchTimes.push(performance.now() - t);
    }

    // 3. Memory with 50 projects that each have used their database.
    const before = mib();
    let halfway = 0;
    for (let i = 0; i < PROJECTS; i++) {
      const p = await call("POST", "/projects", { name: `P${i}`, organization_id: org["id"] }, key);
      await query("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 100)", p["id"] as string);
      if (i === PROJECTS / 2 - 1) halfway = mib();
    }
    const after = mib();

    lines.push(
      `| ${engine} | ${median(health).toFixed(2)} ms | ${median(authenticated).toFixed(2)} ms | ${median(viaHttp).toFixed(2)} ms | ${median(direct).toFixed(3)} ms | ${(median(viaHttp) / median(direct)).toFixed(1)}× | ${(median(viaHttp) / median(authenticated)).toFixed(2)}× | ` +
        `${median(branchTimes).toFixed(0)} ms | ${before} MiB | ${halfway} MiB | ${after} MiB |`,
    );
    await http.close();
    await app.close();
  }
  await cluster?.stop();
  process.stdout.write([
    `SELECT 1: median of ${QUERIES} sequential requests; branch: median of 5 branches of a 10,000-row database; memory: RSS of the whole process (server, workers, bench) before and after ${PROJECTS} projects each ran a query (at most 8 embedded databases open).`,
    "",
    "| engine | GET /health | GET /projects/:id | SELECT 1 via HTTP | SELECT 1 on the driver | HTTP / driver | HTTP query / authenticated GET | branch 10k rows | RSS before | RSS after 25 projects | RSS after 50 projects |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...lines,
  ].join("\n") + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
