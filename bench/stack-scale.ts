// Benchmark: `up` of generated stacks of 100, 250, 500 and 1,000 resources through the engine harness, against a
// compiled lubes-server of its own (embedded default) started fresh for each size, so its CPU and peak memory are its
// own. 50 resources per project (30 variables, 2 migrations, a branch, 4 buckets, 10 objects, 2 functions and the
// project), one organization. Reports wall time per resource, the server's CPU per resource, the harness's (its CLI
// process: the program, the engine emulation and state, and the provider processes it starts) and the server's peak
// resident memory: flat per-resource figures mean the cost does not grow with the stack.
// Usage: npm run build && npm run bench:stack-scale [-- --sizes 100,250,500,1000]
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { harnessStack } from "../test/engine/runner";
import { RESOURCES_PER_PROJECT, stackProgram } from "./stack-program";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "100,250,500,1000" } } });
const SIZES = values.sizes.split(",").map(Number);


/** Seconds of CPU a process has used, and its peak resident memory in MiB, from /proc. */
function processUsage(pid: number): { cpuSeconds: number; childrenCpuSeconds: number; peakMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  const ticks = Number(stat[11]) + Number(stat[12]);
  // Of its children that have ended: the harness's CLI process runs the program and starts the provider processes.
  const childTicks = Number(stat[13]) + Number(stat[14]);
  const peak = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, childrenCpuSeconds: childTicks / 100, peakMiB: peak / 1024 };
}

async function startServer(dataDir: string): Promise<{ url: string; key: string; pid: number; stop: () => Promise<void> }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [path.resolve(__dirname, "../server/dist/server/main.js")], {
    env: { ...process.env, LUBES_DATA_DIR: dataDir, PORT: String(port), LUBES_LOG: "0", LUBES_RATE_LIMITS: "free=100000000,pro=100000000,team=100000000" },
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}/v1`;
  const credentials = path.join(dataDir, "credentials.json");
  // Ready once it answers and has written the bootstrap key (just after it starts listening).
  for (;;) {
    if (existsSync(credentials) && (await fetch(`${url}/health`).catch(() => undefined))?.ok) break;
    if (child.exitCode !== null) throw new Error("lubes-server exited at start");
    await new Promise((r) => setTimeout(r, 50));
  }
  const { api_key: key } = JSON.parse(readFileSync(credentials, "utf8")) as { api_key: string };
  const stop = () => new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGINT");
  });
  return { url, key, pid: child.pid ?? 0, stop };
}

async function measure(size: number): Promise<string> {
  const projects = Math.max(1, Math.round(size / RESOURCES_PER_PROJECT));
  const resources = 1 + projects * RESOURCES_PER_PROJECT;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "lubes-scale-"));
  const server = await startServer(dataDir);
  const stack = harnessStack({ files: { "Pulumi.yaml": "name: scale\nruntime: nodejs\n", "index.ts": stackProgram(projects) }, stack: "scale", config: { "lubes:apiUrl": server.url, "lubes:apiKey": server.key }, secret: ["lubes:apiKey"] });
  try {
    const serverBefore = processUsage(server.pid).cpuSeconds;
    const harnessBefore = processUsage(process.pid).childrenCpuSeconds;
    const started = performance.now();
    const up = await stack.up();
    const seconds = (performance.now() - started) / 1000;
    if (up.summary["create"] !== resources) throw new Error(`up of ${resources}: ${JSON.stringify(up.summary)}\n${up.text}`);
    const harness = processUsage(process.pid).childrenCpuSeconds - harnessBefore;
    const usage = processUsage(server.pid);
    const perResource = (value: number) => `${((value * 1000) / resources).toFixed(1)} ms`;
    return `| ${resources} | ${projects} | ${seconds.toFixed(1)} s | ${perResource(seconds)} | ${perResource(usage.cpuSeconds - serverBefore)} | ${perResource(harness)} | ${usage.peakMiB.toFixed(0)} MiB |`;
  } finally {
    await stack.destroy().catch(() => undefined);
    stack.dispose();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const size of SIZES) rows.push(await measure(size));
  console.log("| resources | projects | up | wall per resource | server CPU per resource | harness and provider CPU per resource | server peak RSS |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|");
  for (const row of rows) console.log(row);
}

void main();
