// Benchmark: the crash scenario at full size (bench/crash-scenario.ts). A 151-resource stack (three projects) is
// applied while the compiled lubes-server is killed (SIGKILL) after 40, 80 and 120 requests and started again on the
// same data, on the embedded default and on PostgreSQL (a throwaway cluster, when its binaries are installed). For each:
// how the interrupted `up` ended, what the next `up` created and how long it took, whether the server then held
// exactly what the program declares, and whether a further `up` changed nothing and `destroy` left nothing.
// Usage: npm run build && npm run bench:crash
import { findPostgresBin, startPostgres, type PostgresCluster } from "../test/support/postgres";
import { crashScenario, type CrashRun } from "./crash-scenario";
import { RESOURCES_PER_PROJECT } from "./stack-program";

const PROJECTS = 3;
const KILL_POINTS = [40, 80, 120];

const changed = (run: CrashRun) => Object.entries(run.thirdUp.summary).filter(([op, n]) => op !== "same" && n > 0).length > 0;

function row(engine: string, killAfter: number, run: CrashRun): string {
  const exact = JSON.stringify(run.held) === JSON.stringify(run.declared);
  return `| ${engine} | ${killAfter} | ${run.interruptedUp} | ${run.secondUpCreated} | ${run.secondUpSeconds.toFixed(1)} s | ${exact ? "yes" : `no: ${JSON.stringify(run.held)}`} | ${changed(run) ? "changed" : "nothing"} | ${run.left["organizations"] === 0 ? "nothing" : JSON.stringify(run.left)} |`;
}

async function main(): Promise<void> {
  const bin = findPostgresBin();
  const cluster: PostgresCluster | undefined = bin ? await startPostgres(bin) : undefined;
  const rows: string[] = [];
  try {
    for (const engine of ["pglite", "postgres"] as const) {
      if (engine === "postgres" && !cluster) {
        process.stderr.write("no PostgreSQL binaries: the PostgreSQL runs are skipped\n");
        continue;
      }
      for (const killAfter of KILL_POINTS) {
        const run = await crashScenario({ projects: PROJECTS, killAfter, ...(cluster && engine === "postgres" ? { databaseUrl: await cluster.createDatabase() } : {}) });
        rows.push(row(engine, killAfter, run));
        process.stderr.write(`${rows.at(-1) ?? ""}\n`);
      }
    }
  } finally {
    await cluster?.stop();
  }
  process.stdout.write([
    `${1 + PROJECTS * RESOURCES_PER_PROJECT} resources; lubes-server killed (SIGKILL) after the given number of requests of the first up and started again on the same data.`,
    "",
    "| engine | killed after | interrupted up | next up created | next up | exact holdings | a further up | destroy left |",
    "|---|---:|---|---:|---:|---|---|---|",
    ...rows,
  ].join("\n") + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
