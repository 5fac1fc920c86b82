// Starts one throwaway PostgreSQL cluster for the whole run; each suite makes its own database in it.
// Where no PostgreSQL binaries are installed, the PostgreSQL variants of the suites skip and say why.
import type { TestProject } from "vitest/node";
import { findPostgresBin, startPostgres, type PostgresCluster } from "./postgres";

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

let cluster: PostgresCluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  const bin = findPostgresBin();
  if (!bin) {
    process.stdout.write("\n[lubes] PostgreSQL binaries not found under /usr/lib/postgresql: the PostgreSQL variants of the server suites are SKIPPED (apt-get install postgresql-15 to run them)\n\n");
    project.provide("postgresUrl", null);
    return;
  }
  cluster = await startPostgres(bin);
  project.provide("postgresUrl", cluster.url("postgres"));
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}
