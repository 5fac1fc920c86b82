// The crash scenario of the reliability issue, shared by test/e2e/crash.test.ts (at CI size) and bench/crash.ts: the
// compiled lubes-server, on its embedded default or on PostgreSQL, is killed (SIGKILL) once it has received a given
// number of requests of an `up` of the generated stack (bench/stack-program.ts), and started again on the same data
// and port. The interrupted `up` may finish (its client retries through the restart) or fail; a second `up` must then
// converge, and the server hold exactly what the program declares: a write acknowledged before the kill and lost
// would leave the stack's state claiming a resource the server does not hold, and no later `up` would make it again.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { harnessStack, type StackRun } from "../test/engine/runner";
import { startRoundRobinProxy } from "../test/support/round-robin-proxy";
import { Api } from "../test/support/server";
import { startServerProcess, until, type ServerProcess } from "../test/support/server-process";
import { RESOURCES_PER_PROJECT, expectedCensus, stackCensus, stackProgram } from "./stack-program";

export interface CrashOptions {
  projects: number;
  /** Requests the server receives before it is killed. */
  killAfter: number;
  /** Run on this PostgreSQL database instead of the embedded default. */
  databaseUrl?: string;
}

export interface CrashRun {
  resources: number;
  /** How the interrupted `up` ended: its client retried through the restart, or it failed. */
  interruptedUp: "converged" | "failed";
  /** Resources the second `up` created (what the first left undone). */
  secondUpCreated: number;
  secondUpSeconds: number;
  /** What the server held after the second `up`, and what the program declares. */
  held: Record<string, number>;
  declared: Record<string, number>;
  /** A third `up` and the `destroy` that follows. */
  thirdUp: StackRun;
  destroy: StackRun;
  /** What the server held of the stack after `destroy`. */
  left: Record<string, number>;
}

const ENV = { LUBES_LOG: "0", LUBES_RATE_LIMITS: "free=100000,pro=100000,team=100000" };

export async function crashScenario(options: CrashOptions): Promise<CrashRun> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "lubes-crash-stack-"));
  const env: Record<string, string> = { ...ENV, LUBES_DATA_DIR: dataDir, ...(options.databaseUrl ? { LUBES_DATABASE_URL: options.databaseUrl } : {}) };
  let server: ServerProcess = await startServerProcess(env);
  // The proxy counts the requests and keeps the stack's URL the same across the restart.
  const proxy = await startRoundRobinProxy([server.url]);
  const { api_key: key } = JSON.parse(readFileSync(path.join(dataDir, "credentials.json"), "utf8")) as { api_key: string };
  const stack = harnessStack({
    files: { "Pulumi.yaml": "name: crash\nruntime: nodejs\n", "index.ts": stackProgram(options.projects) }, stack: "crash",
    config: { "lubes:apiUrl": proxy.url, "lubes:apiKey": key }, secret: ["lubes:apiKey"],
  });
  try {
    let ended = false;
    const interrupted = stack.up().then(() => "converged" as const, () => "failed" as const).finally(() => (ended = true));
    await until(() => {
      if (ended) throw new Error(`the up ended before the server received ${options.killAfter} requests`);
      return (proxy.counts[0] ?? 0) >= options.killAfter ? true : undefined;
    }, 5);
    await server.kill();
    server = await startServerProcess({ ...env, PORT: new URL(server.url).port });
    const interruptedUp = await interrupted;

    const started = performance.now();
    const second = await stack.up();
    const secondUpSeconds = (performance.now() - started) / 1000;
    const api = new Api(proxy.url);
    const held = await stackCensus(api, key);
    const thirdUp = await stack.up();
    const destroy = await stack.destroy();
    return {
      resources: 1 + options.projects * RESOURCES_PER_PROJECT, interruptedUp, secondUpCreated: second.summary.create, secondUpSeconds,
      held, declared: expectedCensus(options.projects), thirdUp, destroy, left: await stackCensus(api, key),
    };
  } finally {
    stack.dispose();
    await proxy.close();
    await server.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
