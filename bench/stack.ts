// Benchmark: a generated stack of 501 resources of seven kinds through the engine harness (test/engine), as
// `pulumi up`, a no-op `preview`, `refresh` and `destroy` would run it. Twice, in one run: against a server without a
// practical rate limit (the work itself), and against one limited to 600 requests a minute (the free plan's limit,
// raised from 60), started at a minute boundary. It reports time and API calls per phase, the requests answered 429,
// and the time against the floor the limit sets: with fixed one-minute windows of 600, N calls that start s seconds
// into a window cannot end before (60 - s) + 60 * (ceil(N / 600) - 2) seconds.
// Usage: npm run build && npm run bench:stack
import { harnessStack, type ExampleStack } from "../test/engine/runner";
import { createKey, signUp, startTestServer } from "../test/support/server";

const PROJECTS = 10;
const LIMIT = 600;

/** Per project: 30 variables, 2 chained migrations, a branch of the migrated main, 4 buckets, 10 objects, 2 functions. */
const PROGRAM = `import * as lubes from "@lubes/pulumi";
const org = new lubes.Organization("bench", { name: "Bench" });
for (let p = 0; p < ${PROJECTS}; p++) {
  const project = new lubes.Project(\`p\${p}\`, { organizationId: org.id, name: \`bench-\${p}\` });
  const projectId = project.id;
  for (let e = 0; e < 30; e++) new lubes.EnvVar(\`p\${p}-env\${e}\`, { projectId, key: \`VAR_\${e}\`, value: \`value \${p}.\${e}\` });
  const first = new lubes.Migration(\`p\${p}-m1\`, { projectId, name: "001_items", sql: "CREATE TABLE items (id bigserial PRIMARY KEY, name text)" });
  const second = new lubes.Migration(\`p\${p}-m2\`, { projectId, name: "002_tags", sql: "CREATE TABLE tags (id bigserial PRIMARY KEY)" }, { dependsOn: [first] });
  new lubes.Branch(\`p\${p}-dev\`, { projectId, name: "dev" }, { dependsOn: [second] });
  const buckets = [0, 1, 2, 3].map((b) => new lubes.Bucket(\`p\${p}-b\${b}\`, { projectId, name: \`bucket-\${b}\`, forceDestroy: true }));
  for (let o = 0; o < 10; o++) new lubes.StorageObject(\`p\${p}-o\${o}\`, { projectId, bucket: buckets[o % 4]!.name, key: \`files/\${o}.txt\`, content: \`file \${o} of project \${p}\` });
  for (let f = 0; f < 2; f++) new lubes.Function(\`p\${p}-f\${f}\`, { projectId, slug: \`fn-\${f}\`, source: \`export default async () => new Response("fn \${f}")\` });
}
`;
const RESOURCES = 1 + PROJECTS * (1 + 30 + 2 + 1 + 4 + 10 + 2);

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
