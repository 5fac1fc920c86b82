// Benchmark: a generated stack of 501 resources of seven kinds through the engine harness (test/engine), as
// `pulumi up`, a no-op `preview`, `refresh` and `destroy` would run it. Twice, in one run: against a server without a
// practical rate limit (the work itself), and against one limited to 600 requests a minute (the free plan's limit,
// raised from 60), started at a minute boundary. It reports time and API calls per phase, the requests answered 429,
// and the time against the floor the limit sets: with fixed one-minute windows of 600, N calls that start s seconds
// into a window cannot end before (60 - s) + 60 * (ceil(N / 600) - 2) seconds.
// Usage: npm run build && npm run bench:stack
import { harnessStack, type ExampleStack } from "../test/engine/runner";
import { RESOURCES_PER_PROJECT, stackProgram } from "./stack-program";
import { createKey, signUp, startTestServer } from "../test/support/server";

const PROJECTS = 10;
const LIMIT = 600;

const PROGRAM = stackProgram(PROJECTS);
const RESOURCES = 1 + PROJECTS * RESOURCES_PER_PROJECT;

interface Phase {
  name: string;
  ms: number;
  calls: number;
  throttled: number;
}

async function runStack(limit: number): Promise<{ phases: Phase[]; startOffsetSeconds: number }> {
  const server = await startTestServer("pglite", { rateLimits: { free: limit, pro: limit, team: limit } });
  const owner = await signUp(server.api, "bench");
  const key = await createKey(server.api, owner.token, { name: "bench" });
  let calls = 0;
  let throttled = 0;
  server.app.server.on("request", (_request, response) => {
    calls += 1;
    response.on("finish", () => (throttled += response.statusCode === 429 ? 1 : 0));
  });
  const stack: ExampleStack = harnessStack({ files: { "Pulumi.yaml": "name: bench\nruntime: nodejs\n", "index.ts": PROGRAM }, stack: "bench", config: { "lubes:apiUrl": server.url, "lubes:apiKey": key }, secret: ["lubes:apiKey"] });
  // Start just after a window opens, so the floor is known and the run has a whole window to itself.
  if (limit <= LIMIT) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 200));
  const startOffsetSeconds = (Date.now() % 60_000) / 1000;
  const phases: Phase[] = [];
  const phase = async (name: string, run: () => Promise<{ summary: Record<string, number> }>, expected: (s: Record<string, number>) => boolean) => {
    calls = 0;
    throttled = 0;
    const started = performance.now();
    const result = await run();
    if (!expected(result.summary)) throw new Error(`${name}: unexpected summary ${JSON.stringify(result.summary)}`);
    phases.push({ name, ms: performance.now() - started, calls, throttled });
  };
  await phase("up", () => stack.up(), (s) => s["create"] === RESOURCES);
  await phase("preview (no-op)", () => stack.preview(), (s) => s["same"] === RESOURCES);
  await phase("refresh", () => stack.refresh(), (s) => s["same"] === RESOURCES);
  await phase("destroy", () => stack.destroy(), (s) => s["delete"] === RESOURCES);
  stack.dispose();
  await server.close();
  return { phases, startOffsetSeconds };
}

const windowFloorSeconds = (calls: number, offset: number) => (calls <= LIMIT ? 0 : 60 - offset + 60 * (Math.ceil(calls / LIMIT) - 2));

async function main(): Promise<void> {
  const free = await runStack(1_000_000);
  const limited = await runStack(LIMIT);
  const rows = free.phases.map((p, i) => {
    const l = limited.phases[i] ?? p;
    return `| ${p.name} | ${p.calls} | ${(p.ms / 1000).toFixed(1)} s | ${l.calls} | ${l.throttled} | ${(l.ms / 1000).toFixed(1)} s |`;
  });
  const total = (phases: Phase[], field: "ms" | "calls" | "throttled") => phases.reduce((sum, p) => sum + p[field], 0);
  const calls = total(limited.phases, "calls");
  const seconds = total(limited.phases, "ms") / 1000;
  const floor = windowFloorSeconds(calls, limited.startOffsetSeconds);
  const work = total(free.phases, "ms") / 1000;
  console.log(`Stack of ${RESOURCES} resources (${PROJECTS} projects), engine harness, embedded PGlite.\n`);
  console.log("| phase | calls (no limit) | time (no limit) | calls (600/min) | answered 429 | time (600/min) |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const row of rows) console.log(row);
  console.log(`\nWith the limit: ${calls} calls in ${seconds.toFixed(1)} s, started ${limited.startOffsetSeconds.toFixed(1)} s into a window.`);
  console.log(`Floor set by the limit (fixed windows): ${floor.toFixed(1)} s; the pure rate (${calls} / 10 per s): ${(calls / 10).toFixed(1)} s; the work alone (no limit): ${work.toFixed(1)} s.`);
  console.log(`Time against the floor: ${(seconds / floor).toFixed(2)}x; against max(floor, work): ${(seconds / Math.max(floor, work)).toFixed(2)}x.`);
}

void main();
