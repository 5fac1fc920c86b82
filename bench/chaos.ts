// Benchmark: the chaos scenario of the reliability issue at full size. A generated stack of 201 resources of every kind
// (bench/stack-program.ts, four projects) through the engine harness, once against a sound API and once while the
// server injects faults (LUBES_FAULTS rules switched with PUT /v1/admin/faults): 10% 5xx (503 and 502), 5% 429 with
// Retry-After to the window's end, 2% connections reset before anything runs, 2% work that commits and then loses its
// answer. Each run: `up`, a check that the server holds exactly what the program declares, a second `up` that must
// change nothing, and `destroy`. Reports wall time, requests, and how many were answered 5xx or 429 or never answered.
// Usage: npm run build && npm run bench:chaos
import { harnessStack } from "../test/engine/runner";
import { RESOURCES_PER_PROJECT, expectedCensus, stackCensus, stackProgram } from "./stack-program";
import { createKey, setFaults, signUp, startTestServer } from "../test/support/server";

const PROJECTS = 4;
const RESOURCES = 1 + PROJECTS * RESOURCES_PER_PROJECT;
const FAULTS = "fail=0.05,bad_gateway=0.05,rate_limit=0.05,reset=0.02,drop=0.02";

interface Counts {
  requests: number;
  failed: number;
  limited: number;
  unanswered: number;
}

async function run(faults: string): Promise<{ upSeconds: number; destroySeconds: number; up: Counts; destroy: Counts }> {
  const server = await startTestServer("pglite", { faults: {} });
  const owner = await signUp(server.api, "chaos");
  const key = await createKey(server.api, owner.token, { name: "chaos" });
  let counts: Counts = { requests: 0, failed: 0, limited: 0, unanswered: 0 };
  server.app.server.on("request", (request, response) => {
    if (request.url?.startsWith("/v1/admin/faults")) return;
    counts.requests += 1;
    response.on("close", () => {
      if (request.socket.destroyed) counts.unanswered += 1;
      else if (response.statusCode === 429) counts.limited += 1;
      else if (response.statusCode >= 500) counts.failed += 1;
    });
  });
  const switchTo = (text: string) => setFaults(server.api, text);
  const stack = harnessStack({ files: { "Pulumi.yaml": "name: chaos\nruntime: nodejs\n", "index.ts": stackProgram(PROJECTS) }, stack: "chaos", config: { "lubes:apiUrl": server.url, "lubes:apiKey": key }, secret: ["lubes:apiKey"] });
  try {
    await switchTo(faults);
    let started = performance.now();
    const up = await stack.up();
    const upSeconds = (performance.now() - started) / 1000;
    const upCounts = { ...counts };
    process.stderr.write(`${faults}: up ${upSeconds.toFixed(1)} s, ${JSON.stringify(upCounts)}\n`);
    await switchTo("off");
    if (up.summary["create"] !== RESOURCES) throw new Error(`up: ${JSON.stringify(up.summary)}`);
    // The key, not the session: a run with 429s outlasts an access token.
    const held = await stackCensus(server.api, key);
    if (JSON.stringify(held) !== JSON.stringify(expectedCensus(PROJECTS))) throw new Error(`the server holds ${JSON.stringify(held)}, the program declares ${JSON.stringify(expectedCensus(PROJECTS))}`);
    await switchTo(faults);
    const again = await stack.up();
    if (Object.entries(again.summary).some(([op, n]) => op !== "same" && n > 0)) throw new Error(`second up changed: ${JSON.stringify(again.summary)}`);
    counts = { requests: 0, failed: 0, limited: 0, unanswered: 0 };
    started = performance.now();
    const destroy = await stack.destroy();
    const destroySeconds = (performance.now() - started) / 1000;
    process.stderr.write(`${faults}: destroy ${destroySeconds.toFixed(1)} s, ${JSON.stringify(counts)}\n`);
    await switchTo("off");
    if (destroy.summary["delete"] !== RESOURCES) throw new Error(`destroy: ${JSON.stringify(destroy.summary)}`);
    const left = await stackCensus(server.api, key);
    if (left["organizations"] !== 0) throw new Error(`destroy left ${JSON.stringify(left)}`);
    return { upSeconds, destroySeconds, up: upCounts, destroy: counts };
  } finally {
    stack.dispose();
    await server.close();
  }
}

async function main(): Promise<void> {
  const sound = await run("off");
  const chaos = await run(FAULTS);
  const row = (name: string, r: Awaited<ReturnType<typeof run>>) =>
    `| ${name} | ${r.upSeconds.toFixed(1)} s | ${r.up.requests} | ${r.up.failed} | ${r.up.limited} | ${r.up.unanswered} | ${r.destroySeconds.toFixed(1)} s | ${r.destroy.requests} | ${r.destroy.failed + r.destroy.limited + r.destroy.unanswered} |`;
  process.stdout.write([
    `${RESOURCES} resources; faults: ${FAULTS}. Both runs converged in one up, held exactly what the program declares, changed nothing on a second up, and destroy left nothing.`,
    "",
    "| run | up | up requests | answered 5xx | answered 429 | never answered | destroy | destroy requests | destroy faults |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    row("sound API", sound),
    row("chaos", chaos),
  ].join("\n") + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
