// Benchmark: lubes-server request throughput and latency on embedded PGlite and on PostgreSQL, in one run, against a
// bare Fastify route answering the same JSON (the floor a framework sets: issue 16 asks for at least 0.15× of it).
// Usage: npm run bench:server [-- --requests 10000 --concurrency 8]. Needs PostgreSQL binaries for the second engine.
import { parseArgs } from "node:util";
import Fastify from "fastify";
import { Pool } from "undici";
import { buildApp } from "../server/app";
import { DEFAULT_RATE_LIMITS } from "../server/config";
import { findPostgresBin, startPostgres } from "../test/support/postgres";

const { values } = parseArgs({ options: { requests: { type: "string", default: "10000" }, concurrency: { type: "string", default: "8" } } });
const REQUESTS = Number(values.requests);
/** Creates cost a database each on PostgreSQL: fewer of them. */
const CREATES = Math.min(REQUESTS, 1000);
/** A project as lubes-server answers it, for the bare route to answer too. */
let sampleProject: unknown = {};
const CONCURRENCY = Number(values.concurrency);

interface Scenario {
  name: string;
  requests?: number;
  request: (i: number) => { method: "GET" | "POST"; path: string; body?: unknown; headers?: Record<string, string> };
}

async function run(pool: Pool, token: string, scenario: Scenario): Promise<{ rps: number; p50: number; p99: number }> {
  const total = scenario.requests ?? REQUESTS;
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      const { method, path, body, headers } = scenario.request(next++);
      const t = performance.now();
      const res = await pool.request({
        method, path: `/v1${path}`,
        headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}), ...headers },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      await res.body.dump();
      if (res.statusCode >= 400) throw new Error(`${scenario.name}: ${res.statusCode}`);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { rps: total / seconds, p50: at(0.5), p99: at(0.99) };
}

async function benchEngine(engine: string, databaseUrl: string | undefined): Promise<Map<string, { rps: number; p50: number; p99: number }>> {
  const app = await buildApp({
    ...(databaseUrl ? { databaseUrl } : {}),
    rateLimits: { ...DEFAULT_RATE_LIMITS, free: 1e9, pro: 1e9, team: 1e9 },
    dev: false, accessTokenTtlSeconds: 900, now: () => new Date(), logger: false,
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  const origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const pool = new Pool(origin, { connections: CONCURRENCY });
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await pool.request({ method: "POST", path: `/v1${path}`, headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    return (await res.body.json()) as Record<string, string>;
  };
  const session = (await post("/auth/register", { email: "bench@example.com", password: "bench password" })) as unknown as { access_token: string };
  const org = await post("/organizations", { name: "Bench" }, session.access_token);
  const key = (await post("/api-keys", { name: "bench" }, session.access_token))["key"] ?? "";
  const project = await post("/projects", { name: "Bench", organization_id: org["id"] }, key);
  sampleProject = project;

  const scenarios: Array<[Scenario, string]> = [
    [{ name: "GET /projects/:id (API key)", request: () => ({ method: "GET", path: `/projects/${project["id"]}` }) }, key],
    [{ name: "GET /projects/:id (access token)", request: () => ({ method: "GET", path: `/projects/${project["id"]}` }) }, session.access_token],
    [{ name: "GET /projects?limit=20", request: () => ({ method: "GET", path: "/projects?limit=20" }) }, key],
    [{ name: "POST /projects", requests: CREATES, request: (i) => ({ method: "POST", path: "/projects", body: { name: `P ${i}`, organization_id: org["id"] } }) }, key],
    [{ name: "POST /projects + Idempotency-Key", requests: CREATES, request: (i) => ({ method: "POST", path: "/projects", body: { name: `Q ${i}`, organization_id: org["id"] }, headers: { "idempotency-key": `k-${i}` } }) }, key],
  ];
  const results = new Map<string, { rps: number; p50: number; p99: number }>();
  for (const [scenario, token] of scenarios) results.set(scenario.name, await run(pool, token, scenario));
  await pool.close();
  await app.close();
  process.stderr.write(`${engine} done\n`);
  return results;
}

/** The same project JSON from a bare Fastify route: no authentication, no rate limit, no database. */
async function benchBare(project: unknown): Promise<{ rps: number; p50: number; p99: number }> {
  const app = Fastify({ logger: false });
  app.get("/v1/projects/:id", (_request, reply) => reply.send(project));
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  const pool = new Pool(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, { connections: CONCURRENCY });
  const result = await run(pool, "none", { name: "bare", request: () => ({ method: "GET", path: "/projects/proj_bench" }) });
  await pool.close();
  await app.close();
  return result;
}

async function main(): Promise<void> {
  const engines: Array<[string, () => Promise<string | undefined>, () => Promise<void>]> = [["pglite", () => Promise.resolve(undefined), () => Promise.resolve()]];
  const bin = findPostgresBin();
  if (bin) {
    const cluster = await startPostgres(bin);
    engines.push(["postgres", cluster.createDatabase, cluster.stop]);
  }
  const all = new Map<string, Map<string, { rps: number; p50: number; p99: number }>>();
  for (const [engine, database, stop] of engines) {
    all.set(engine, await benchEngine(engine, await database()));
    await stop();
  }
  const names = [...(all.get("pglite")?.keys() ?? [])];
  const lines = [`${REQUESTS} requests per scenario, ${CONCURRENCY} concurrent, keep-alive, loopback, node ${process.version}`, "",
    `| scenario | ${[...all.keys()].map((e) => `${e} req/s | ${e} p50 ms | ${e} p99 ms`).join(" | ")} |${all.has("postgres") ? " postgres/pglite |" : ""}`,
    `|---|${[...all.keys()].map(() => "---:|---:|---:").join("|")}|${all.has("postgres") ? "---:|" : ""}`];
  for (const name of names) {
    const cells = [...all.values()].map((r) => { const x = r.get(name); return x ? `${x.rps.toFixed(0)} | ${x.p50.toFixed(1)} | ${x.p99.toFixed(1)}` : "-"; });
    const ratio = all.has("postgres") ? ` ${((all.get("postgres")?.get(name)?.rps ?? 0) / (all.get("pglite")?.get(name)?.rps ?? 1)).toFixed(2)}× |` : "";
    lines.push(`| ${name} | ${cells.join(" | ")} |${ratio}`);
  }
  const bare = await benchBare(sampleProject);
  const embedded = all.get("pglite")?.get("GET /projects/:id (API key)");
  lines.push("", `Bare Fastify route, same JSON: ${bare.rps.toFixed(0)} req/s (p50 ${bare.p50.toFixed(2)} ms); GET /projects/:id (API key) on the embedded default: ${((embedded?.rps ?? 0) / bare.rps).toFixed(3)}× of it.`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
