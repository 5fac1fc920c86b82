// Benchmark (issue 14, "Load"): mixed traffic from many concurrent clients (bench/load-traffic.ts) against the
// compiled lubes-server in a child process of its own, on a fresh temp data dir (embedded PGlite) or, with
// `--postgres <url>`, on that PostgreSQL database; rate limits lifted so nothing is throttled. Prints per endpoint
// class: requests, throughput, p50/p99/max latency and the answers; 5xx, unanswered and wrong answers counted apart;
// the server's resident memory sampled throughout (its function sandboxes, separate processes, beside it).
// `--soak`: 10 minutes after a minute of warm-up, RSS every 10 s, reported at the start, the middle and the end with
// the slope of each half (a server that does not leak flattens out). Exits 1 on any 5xx, unanswered or wrong answer.
// Usage: npm run build && npm run bench:load [-- --clients 32 --seconds 30 --tenants 4 --postgres <url>|local]
//        (`--postgres local`: a throwaway cluster of the test harness's, from the machine's PostgreSQL binaries)
//        npm run build && npm run bench:soak
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { findPostgresBin, startPostgres } from "../test/support/postgres";
import { CLASSES, runTraffic, setUpTenants, type LoadReport, type MemorySample } from "./load-traffic";

const { values } = parseArgs({
  options: {
    soak: { type: "boolean", default: false },
    clients: { type: "string", default: "32" },
    seconds: { type: "string" },
    tenants: { type: "string", default: "4" },
    postgres: { type: "string" },
  },
});
const SOAK = values.soak;
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds ?? (SOAK ? 600 : 30));
const WARMUP_SECONDS = SOAK ? 60 : 10;
const SAMPLE_MS = SOAK ? 10_000 : 2_000;
const SERVER = path.resolve(__dirname, "../server/dist/server/main.js");

interface Server {
  url: string;
  pid: number;
  stop: () => Promise<void>;
}

/** Starts the compiled server on a free port and waits for the line that says where it listens. */
async function startServer(dataDir: string, databaseUrl: string | undefined): Promise<Server> {
  const env: NodeJS.ProcessEnv = { ...process.env, LUBES_DATA_DIR: dataDir, PORT: "0", LUBES_LOG: "0", LUBES_RATE_LIMITS: "free=1000000,pro=1000000,team=1000000" };
  delete env["LUBES_DATABASE_URL"];
  if (databaseUrl) env["LUBES_DATABASE_URL"] = databaseUrl;
  const child = spawn(process.execPath, [SERVER], { env, stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const ready = /ready at (http\S+)/.exec(output);
      if (ready?.[1]) resolve(ready[1]);
    });
    child.once("exit", (code) => reject(new Error(`lubes-server exited (${String(code)}) at start:\n${output}`)));
  });
  child.stdout.resume();
  return { url, pid: child.pid ?? 0, stop: () => stopServer(child) };
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGINT");
  });
}

/** Resident memory of a process in bytes, from /proc (0 once it is gone). */
function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** The summed resident memory of a process's direct children (the function sandboxes), and how many there are. */
function childrenOf(pid: number): { count: number; rssMiB: number } {
  let children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      children = children.concat(readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
    }
  } catch {
    // The process is gone, or the kernel does not list children: nothing to add.
  }
  return { count: children.length, rssMiB: children.reduce((sum, child) => sum + rssOf(child), 0) / 1024 / 1024 };
}

/** CPU seconds a process has used so far. */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

/** Least-squares slope of RSS over time, in MiB a minute. */
function slope(samples: MemorySample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((s, p) => s + p.seconds, 0) / n;
  const my = samples.reduce((s, p) => s + p.rssMiB, 0) / n;
  const sxy = samples.reduce((s, p) => s + (p.seconds - mx) * (p.rssMiB - my), 0);
  const sxx = samples.reduce((s, p) => s + (p.seconds - mx) ** 2, 0);
  return sxx === 0 ? 0 : (sxy / sxx) * 60;
}

const ms = (value: number) => value.toFixed(1);

function table(report: LoadReport): string[] {
  const lines = ["| class | requests | req/s | p50 ms | p99 ms | max ms | 5xx | unanswered | wrong | answers |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"];
  for (const name of CLASSES) {
    const c = report.classes[name];
    const answers = Object.entries(c.statuses).sort().map(([label, n]) => `${label}: ${n}`).join(", ");
    lines.push(`| ${name} | ${c.requests} | ${c.throughput.toFixed(0)} | ${ms(c.p50)} | ${ms(c.p99)} | ${ms(c.max)} | ${c.serverErrors} | ${c.unanswered} | ${c.unexpected} | ${answers} |`);
  }
  lines.push(`| all | ${report.requests} | ${(report.requests / report.seconds).toFixed(0)} | | | | ${report.serverErrors} | ${report.unanswered} | ${report.unexpected} | |`);
  return lines;
}

function memoryLines(samples: MemorySample[], sandboxes: Array<{ count: number; rssMiB: number }>): string[] {
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.round(q * (samples.length - 1)))] ?? { seconds: 0, rssMiB: 0 };
  const half = (samples.at(-1)?.seconds ?? 0) / 2;
  const peak = Math.max(...samples.map((s) => s.rssMiB));
  const mib = (s: MemorySample) => `${s.rssMiB.toFixed(0)} MiB (${s.seconds.toFixed(0)} s)`;
  const sandboxPeak = sandboxes.reduce((top, s) => (s.rssMiB > top.rssMiB ? s : top), { count: 0, rssMiB: 0 });
  return [
    `Server RSS (main process and its database worker threads), ${samples.length} samples every ${SAMPLE_MS / 1000} s: start ${mib(at(0))}, middle ${mib(at(0.5))}, end ${mib(at(1))}, peak ${peak.toFixed(0)} MiB.`,
    `Slope: first half ${slope(samples.filter((s) => s.seconds <= half)).toFixed(2)} MiB/min, second half ${slope(samples.filter((s) => s.seconds >= half)).toFixed(2)} MiB/min.`,
    `Function sandboxes (separate processes): at most ${sandboxPeak.count} at once, ${sandboxPeak.rssMiB.toFixed(0)} MiB together at their peak; ${sandboxes.at(-1)?.count ?? 0} processes, ${(sandboxes.at(-1)?.rssMiB ?? 0).toFixed(0)} MiB at the end.`,
    `RSS samples (s: MiB): ${samples.map((s) => `${s.seconds.toFixed(0)}: ${s.rssMiB.toFixed(0)}`).join(", ")}`,
  ];
}

/** The database `--postgres` names: a URL as given, or `local` for a throwaway cluster; none for the embedded default. */
async function postgres(): Promise<{ url?: string; stop: () => Promise<void> }> {
  if (!values.postgres) return { stop: () => Promise.resolve() };
  if (values.postgres !== "local") return { url: values.postgres, stop: () => Promise.resolve() };
  const bin = findPostgresBin();
  if (!bin) throw new Error("--postgres local: no PostgreSQL binaries under /usr/lib/postgresql (test/support/ensure-postgres.sh installs them)");
  const cluster = await startPostgres(bin);
  return { url: await cluster.createDatabase(), stop: cluster.stop };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "lubes-load-"));
  const database = await postgres();
  const server = await startServer(dataDir, database.url);
  try {
    const tenants = await setUpTenants(server.url, Number(values.tenants));
    const traffic = { url: server.url, tenants, clients: CLIENTS };
    const warmup = await runTraffic({ ...traffic, durationMs: WARMUP_SECONDS * 1000 });
    process.stderr.write(`warm-up: ${warmup.requests} requests, ${warmup.serverErrors} 5xx, ${warmup.unanswered} unanswered, ${warmup.unexpected} wrong\n`);
    const sandboxes: Array<{ count: number; rssMiB: number }> = [];
    const cpuBefore = cpuSecondsOf(server.pid);
    const load = [os.loadavg()[0] ?? 0];
    const report = await runTraffic({
      ...traffic, durationMs: SECONDS * 1000, rss: () => rssOf(server.pid), sampleEveryMs: SAMPLE_MS,
      onSample: (sample) => {
        sandboxes.push(childrenOf(server.pid));
        load.push(os.loadavg()[0] ?? 0);
        if (SOAK) process.stderr.write(`${sample.seconds.toFixed(0)} s: ${sample.rssMiB.toFixed(0)} MiB\n`);
      },
    });
    const cpu = (cpuSecondsOf(server.pid) - cpuBefore) / report.seconds;
    const engine = values.postgres ? "PostgreSQL" : "embedded PGlite";
    process.stdout.write([
      `${SOAK ? "Soak" : "Load"}: compiled lubes-server (${engine}), ${CLIENTS} clients, ${Number(values.tenants)} tenants, ${report.seconds.toFixed(0)} s after ${WARMUP_SECONDS} s of warm-up (${warmup.requests} requests, ${warmup.serverErrors} 5xx, ${warmup.unanswered} unanswered, ${warmup.unexpected} wrong), node ${process.version}, ${os.cpus().length} cores, load average ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)}; server CPU ${(cpu * 100).toFixed(0)}% of one core.`,
      "",
      ...table(report),
      "",
      ...memoryLines(report.memory, sandboxes),
      ...(report.problems.length > 0 ? ["", "Problems:", ...report.problems] : []),
    ].join("\n") + "\n");
    if (report.serverErrors + report.unanswered + report.unexpected + warmup.serverErrors + warmup.unanswered + warmup.unexpected > 0) process.exitCode = 1;
  } finally {
    await server.stop();
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
