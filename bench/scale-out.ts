// Benchmark (issue 14, "Scale-out"): one, two and three compiled lubes-server processes on one PostgreSQL (a
// throwaway cluster) and one shared data dir, behind the test's round-robin proxy (test/support/round-robin-proxy.ts).
// For each: 30 s of the load driver's mixed traffic (bench/load-traffic.ts, 32 clients), then a burst of requests at
// an organization whose plan allows 600 a minute (how many were allowed, across the processes). With three, a last run
// kills one process (SIGKILL) halfway: what its in-flight requests got, and whether any later answer was wrong (a
// download of an upload acknowledged before the kill that no longer matched would be). On two cores, more processes
// add no CPU: the figures show what sharing costs, not a speed-up.
// Usage: npm run build && npm run bench:scale-out
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { findPostgresBin, startPostgres, type PostgresCluster } from "../test/support/postgres";
import { startRoundRobinProxy } from "../test/support/round-robin-proxy";
import { Api, createOrg, createProject, signUp } from "../test/support/server";
import { startServerProcess, type ServerProcess } from "../test/support/server-process";
import { runTraffic, setUpTenants, type LoadReport } from "./load-traffic";

const CLIENTS = 32;
const SECONDS = 30;
const PRO_LIMIT = 600;
const BURST = 1_000;

interface Row {
  processes: number;
  killed: boolean;
  report: LoadReport;
  allowed?: number;
}

/** Every request's answers, p50 and p99 over all classes. */
function overall(report: LoadReport): { p50: number; p99: number } {
  const classes = Object.values(report.classes).filter((c) => c.requests > 0);
  const weighted = (pick: (c: (typeof classes)[number]) => number) => classes.reduce((sum, c) => sum + pick(c) * c.requests, 0) / Math.max(1, classes.reduce((sum, c) => sum + c.requests, 0));
  return { p50: weighted((c) => c.p50), p99: Math.max(...classes.map((c) => c.p99)) };
}

/** Requests allowed of a burst at one organization's limit, sent through the proxy to every process. */
async function rateLimitBurst(url: string): Promise<number> {
  const api = new Api(url);
  const user = await signUp(api, "burst");
  const org = await createOrg(api, user.token, { name: "Burst", plan: "pro" });
  const project = await createProject(api, user.token, org.id);
  // Inside one fixed window, so the count is the window's.
  while (new Date().getSeconds() > 30) await new Promise((resolve) => setTimeout(resolve, 250));
  let allowed = 0;
  for (let sent = 0; sent < BURST; sent += 50) {
    const answers = await Promise.all(Array.from({ length: 50 }, () => api.get(`/projects/${project.id}`, { token: user.token })));
    allowed += answers.filter((a) => a.status === 200).length;
  }
  return allowed;
}

async function run(cluster: PostgresCluster, processes: number, kill: boolean): Promise<Row> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "lubes-scale-bench-"));
  const env = { LUBES_DATABASE_URL: await cluster.createDatabase(), LUBES_DATA_DIR: dataDir, LUBES_DEV: "1", LUBES_LOG: "0", LUBES_RATE_LIMITS: `free=1000000,pro=${PRO_LIMIT},team=1000000` };
  const servers: ServerProcess[] = await Promise.all(Array.from({ length: processes }, () => startServerProcess(env)));
  const proxy = await startRoundRobinProxy(servers.map((s) => s.url));
  try {
    const tenants = await setUpTenants(proxy.url, 4);
    await runTraffic({ url: proxy.url, tenants, clients: CLIENTS, durationMs: 5_000 });
    const killing = kill ? new Promise((resolve) => setTimeout(resolve, (SECONDS * 1000) / 2)).then(() => servers[1]?.kill()) : Promise.resolve();
    const report = await runTraffic({ url: proxy.url, tenants, clients: CLIENTS, durationMs: SECONDS * 1000 });
    await killing;
    const allowed = kill ? undefined : await rateLimitBurst(proxy.url);
    return { processes, killed: kill, report, ...(allowed !== undefined ? { allowed } : {}) };
  } finally {
    await proxy.close();
    await Promise.all(servers.map((s) => s.kill()));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const bin = findPostgresBin();
  if (!bin) throw new Error("no PostgreSQL binaries under /usr/lib/postgresql (test/support/ensure-postgres.sh installs them)");
  const cluster = await startPostgres(bin);
  const rows: Row[] = [];
  try {
    for (const [processes, kill] of [[1, false], [2, false], [3, false], [3, true]] as const) {
      rows.push(await run(cluster, processes, kill));
      const last = rows.at(-1) as Row;
      process.stderr.write(`${processes} process(es)${kill ? ", one killed" : ""}: ${last.report.requests} requests, ${last.report.serverErrors} 5xx, ${last.report.unanswered} unanswered, ${last.report.unexpected} wrong\n`);
    }
  } finally {
    await cluster.stop();
  }
  const line = (row: Row) => {
    const { p50, p99 } = overall(row.report);
    const allowed = row.allowed === undefined ? "" : `${row.allowed} of ${BURST} (limit ${PRO_LIMIT})`;
    return `| ${row.processes}${row.killed ? ", one killed at 15 s" : ""} | ${row.report.requests} | ${(row.report.requests / row.report.seconds).toFixed(0)} | ${p50.toFixed(1)} | ${p99.toFixed(1)} | ${row.report.serverErrors} | ${row.report.unanswered} | ${row.report.unexpected} | ${allowed} |`;
  };
  process.stdout.write([
    `Scale-out: compiled lubes-server processes on one PostgreSQL and one data dir behind a round-robin proxy; ${CLIENTS} clients of mixed traffic for ${SECONDS} s each; node ${process.version}, ${os.cpus().length} cores.`,
    "",
    "| processes | requests | req/s | p50 ms (weighted) | p99 ms (worst class) | 5xx | unanswered | wrong answers | rate limit: allowed |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ...rows.map(line),
    ...rows.flatMap((row) => (row.report.problems.length > 0 ? ["", `Problems (${row.processes}${row.killed ? ", killed" : ""}):`, ...row.report.problems] : [])),
  ].join("\n") + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
