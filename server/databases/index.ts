// Opens the project databases of the configured engine: PGlite workers under the data dir, or PostgreSQL.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PgliteDatabases } from "./pglite-engine";
import { PostgresDatabases } from "./postgres-engine";
import type { ProjectDatabases, QueryLimits } from "./types";

export interface DatabaseOptions {
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  limits: QueryLimits;
  maxOpen: number;
  idleMs: number;
  rolePassword: (projectId: string) => string;
}

export async function openProjectDatabases(options: DatabaseOptions): Promise<ProjectDatabases> {
  if (options.databaseUrl) {
    const databases = new PostgresDatabases({ adminUrl: options.databaseUrl, rolePassword: options.rolePassword, limits: options.limits });
    try {
      await databases.checkPrivileges();
    } catch (error) {
      await databases.close();
      throw error;
    }
    return databases;
  }
  // Without a data dir (tests), branch databases live in a temporary folder removed on close.
  const temporary = options.dataDir ? undefined : mkdtempSync(path.join(os.tmpdir(), "lubes-projects-"));
  const databases = new PgliteDatabases({ root: temporary ?? path.join(options.dataDir ?? ".", "projects"), limits: options.limits, maxOpen: options.maxOpen, idleMs: options.idleMs });
  if (!temporary) return databases;
  const close = databases.close.bind(databases);
  databases.close = async () => {
    await close();
    rmSync(temporary, { recursive: true, force: true });
  };
  return databases;
}

export * from "./types";
