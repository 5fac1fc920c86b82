// What the end-to-end tests spend their time on: one engine-harness command (a process that runs the program, plus the
// provider processes it starts) and one in-process test server. Runs the gitops-environments example (12 resources)
// through `pulumi preview`, `refresh` and `up` with nothing to change, and reports the median wall time and CPU time of
// each. CPU counts this process (the server answering) and the harness's processes (read from /proc: Linux only).
//   npx tsx bench/harness-commands.ts [repetitions]
import { readFileSync } from "node:fs";
import { harnessStack } from "../test/engine/runner";
import { createKey, signUp, startTestServer } from "../test/support/server";

const REPETITIONS = Number(process.argv[2] ?? 5);

/** CPU seconds of this process and of every child it has waited for (utime, stime, cutime, cstime). */
function cpuSeconds(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
  // After the name: state is field 3, so utime..cstime (fields 14–17) sit at 11–14.
  return fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0) / 100;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function measure(what: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < REPETITIONS; i++) {
    const cpu = cpuSeconds();
    const started = performance.now();
    await what();
    walls.push((performance.now() - started) / 1000);
    cpus.push(cpuSeconds() - cpu);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

async function main(): Promise<void> {
  const rows: [string, { wall: number; cpu: number }][] = [];
  rows.push(["test server start (PGlite in memory)", await measure(async () => (await startTestServer("pglite")).close())]);

  const server = await startTestServer("pglite");
  const owner = await signUp(server.api, "bench");
  const key = await createKey(server.api, owner.token, { name: "bench" });
  const stack = harnessStack({
    example: "gitops-environments", stack: "dev",
    config: { "lubes:apiUrl": server.url, "lubes:apiKey": key, "lubes-gitops:databaseUrl": "postgres://app@db/dev" },
    secret: ["lubes:apiKey", "lubes-gitops:databaseUrl"],
  });
  try {
    const first = await stack.pulumi(["up", "--yes"]);
    if (first.code !== 0) throw new Error(first.text);
    for (const command of [["preview"], ["refresh", "--yes"], ["up", "--yes"]]) {
      rows.push([`harness \`${command[0] ?? ""}\`, nothing to change`, await measure(async () => {
        const run = await stack.pulumi(command);
        if (run.code !== 0) throw new Error(run.text);
      })]);
    }
    await stack.pulumi(["destroy", "--yes"]);
  } finally {
    stack.dispose();
    await server.close();
  }
  console.log(`| What (median of ${REPETITIONS}) | Wall | CPU, children included |`);
  console.log("|---|---:|---:|");
  for (const [what, { wall, cpu }] of rows) console.log(`| ${what} | ${wall.toFixed(2)} s | ${cpu.toFixed(2)} s |`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
