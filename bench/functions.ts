// Benchmark: function invocations against an authenticated GET, in one run on the embedded default. A trivial
// function, invoked cold (a new process), warm one at a time (p50, p99) and 8 at a time (invocations a second, p99);
// the GET beside it is the yardstick of the performance issue (an invocation at most 2× a GET at p50).
// Usage: npm run bench:functions
import { Pool } from "undici";
import { DEFAULT_RATE_LIMITS } from "../server/config";
import { createOrg, createProject, signUp, startTestServer } from "../test/support/server";

const SEQUENTIAL = 60;
const CONCURRENT = 200;
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? 0;

async function main(): Promise<void> {
  const rateLimits = { ...DEFAULT_RATE_LIMITS, free: 1e9, pro: 1e9, team: 1e9 };
  const server = await startTestServer("pglite", { rateLimits });
  const owner = await signUp(server.api, "bench");
  const projectId = (await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id, "Bench")).id;
  await server.api.post(`/projects/${projectId}/functions`, { token: owner.token, body: { slug: "hello", source: "export default async () => new Response('hello');" } });
  await server.api.post(`/projects/${projectId}/functions/hello/deploy`, { token: owner.token });
  const pool = new Pool(new URL(server.url).origin, { connections: 8 });
  const headers = { authorization: `Bearer ${owner.token}` };
  const timed = async (method: "GET" | "POST", path: string) => {
    const started = performance.now();
    const res = await pool.request({ method, path: `/v1${path}`, headers });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
    return performance.now() - started;
  };
  const sequential = async (method: "GET" | "POST", path: string) => {
    for (let i = 0; i < 5; i++) await timed(method, path);
    const times: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) times.push(await timed(method, path));
    return times;
  };
  // Cold: each run after a variable changed, so no warm process fits it (the variable's write is not timed).
  const cold: number[] = [];
  for (let i = 0; i < 10; i++) {
    await server.api.post(`/projects/${projectId}/env`, { token: owner.token, body: { key: "ROUND", value: String(i) } });
    cold.push(await timed("POST", `/projects/${projectId}/functions/hello/invoke`));
  }
  const get = await sequential("GET", `/projects/${projectId}`);
  const invoke = await sequential("POST", `/projects/${projectId}/functions/hello/invoke`);
  const started = performance.now();
  const concurrent: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next++ < CONCURRENT) concurrent.push(await timed("POST", `/projects/${projectId}/functions/hello/invoke`));
  }));
  const perSecond = CONCURRENT / ((performance.now() - started) / 1000);
  await pool.close();
  await server.close();

  process.stdout.write([
    "| measure | value |",
    "|---|---:|",
    `| authenticated GET /projects/:id, p50 (sequential) | ${percentile(get, 0.5).toFixed(1)} ms |`,
    `| invocation, cold (a new process), p50 of 10 | ${percentile(cold, 0.5).toFixed(1)} ms |`,
    `| invocation, warm, p50 (sequential) | ${percentile(invoke, 0.5).toFixed(1)} ms |`,
    `| invocation, p99 (sequential) | ${percentile(invoke, 0.99).toFixed(1)} ms |`,
    `| invocation p50 / GET p50 | ${(percentile(invoke, 0.5) / percentile(get, 0.5)).toFixed(1)}× |`,
    `| invocations a second, 8 at a time | ${perSecond.toFixed(1)} |`,
    `| invocation, p99 (8 at a time) | ${percentile(concurrent, 0.99).toFixed(1)} ms |`,
  ].join("\n") + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
