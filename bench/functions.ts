// Benchmark: function invocations against an authenticated GET, in one run on the embedded default. A trivial
// function, invoked cold (Node started for the run, or a spare process), warm one at a time (p50, p99) and 8 at a
// time (invocations a second, p99); the GET beside it (alternating with the warm runs) is the yardstick of the
// performance issue (an invocation at most 2× a GET at p50); the sandbox's round trip alone shows what the process
// boundary costs.
// Usage: npm run bench:functions
import { Pool } from "undici";
import { DEFAULT_RATE_LIMITS } from "../server/config";
import { SandboxPool } from "../server/functions/pool";
import { runFunction } from "../server/functions/runtime";
import { createOrg, createProject, signUp, startTestServer } from "../test/support/server";

const SEQUENTIAL = 500;
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
  // The GET and the invocation alternate, so that both meet the same moments of a noisy machine.
  const alternating = async (getPath: string, invokePath: string) => {
    const get: number[] = [];
    const invoke: number[] = [];
    for (let i = 0; i < 20; i++) await timed("GET", getPath).then(() => timed("POST", invokePath));
    for (let i = 0; i < SEQUENTIAL; i++) {
      get.push(await timed("GET", getPath));
      invoke.push(await timed("POST", invokePath));
    }
    return { get, invoke };
  };
  // Cold, from nothing: the first run of functions whose limits (memory) no run has used yet, so no spare process
  // of them is ready either: Node starts for the run.
  const fresh: number[] = [];
  for (let i = 0; i < 10; i++) {
    const slug = `fresh-${i}`;
    await server.api.post(`/projects/${projectId}/functions`, { token: owner.token, body: { slug, source: "export default async () => new Response('hello');", memory_mb: 200 + i } });
    await server.api.post(`/projects/${projectId}/functions/${slug}/deploy`, { token: owner.token });
    fresh.push(await timed("POST", `/projects/${projectId}/functions/${slug}/invoke`));
  }
  // Cold with a spare: each run after a variable changed, so no warm process fits it, a moment later (as a person or
  // a pipeline invokes after a change), by which the spare of its limits has started. Neither wait is timed.
  const cold: number[] = [];
  for (let i = 0; i < 10; i++) {
    await server.api.post(`/projects/${projectId}/env`, { token: owner.token, body: { key: "ROUND", value: String(i) } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    cold.push(await timed("POST", `/projects/${projectId}/functions/hello/invoke`));
  }
  const { get, invoke } = await alternating(`/projects/${projectId}`, `/projects/${projectId}/functions/hello/invoke`);
  const started = performance.now();
  const concurrent: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next++ < CONCURRENT) concurrent.push(await timed("POST", `/projects/${projectId}/functions/hello/invoke`));
  }));
  const perSecond = CONCURRENT / ((performance.now() - started) / 1000);
  await pool.close();
  await server.close();
  const roundTrip = await sandboxRoundTrips();

  process.stdout.write([
    "| measure | value |",
    "|---|---:|",
    `| authenticated GET /projects/:id, p50 (sequential) | ${percentile(get, 0.5).toFixed(2)} ms |`,
    `| invocation, cold: Node starts for it (no spare of its limits), p50 of 10 | ${percentile(fresh, 0.5).toFixed(1)} ms |`,
    `| invocation, cold: a spare process takes it, p50 of 10 | ${percentile(cold, 0.5).toFixed(1)} ms |`,
    `| invocation, warm, p50 (sequential) | ${percentile(invoke, 0.5).toFixed(2)} ms |`,
    `| invocation, p99 (sequential) | ${percentile(invoke, 0.99).toFixed(1)} ms |`,
    `| invocation p50 / GET p50 | ${(percentile(invoke, 0.5) / percentile(get, 0.5)).toFixed(2)}× |`,
    `| the sandbox's round trip alone (no HTTP, a warm process), p50 | ${percentile(roundTrip, 0.5).toFixed(2)} ms |`,
    `| invocations a second, 8 at a time | ${perSecond.toFixed(1)} |`,
    `| invocation, p99 (8 at a time) | ${percentile(concurrent, 0.99).toFixed(1)} ms |`,
  ].join("\n") + "\n");
}

/** What the process boundary costs by itself: runs handed straight to a warm sandboxed process, one at a time. */
async function sandboxRoundTrips(): Promise<number[]> {
  const sandboxes = new SandboxPool();
  const source = "export default async () => new Response('hello');";
  const request = { method: "POST", url: "http://127.0.0.1/invoke", headers: [] as [string, string][], body: null };
  const limits = { timeoutMs: 5_000, memoryMb: 128 };
  const times: number[] = [];
  for (let i = 0; i < 20 + SEQUENTIAL; i++) {
    const started = performance.now();
    const outcome = await runFunction({ source, request }, {}, limits, { pool: sandboxes, key: "bench" });
    if (outcome.kind !== "response") throw new Error(`sandbox run: ${outcome.kind}`);
    if (i >= 20) times.push(performance.now() - started);
  }
  sandboxes.close();
  return times;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
