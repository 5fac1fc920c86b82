// Branches and migrations of project databases (the records; the databases themselves are in server/databases/).
import type { z } from "zod";
import type { Branch, Migration } from "../../contract";
import { iso, isoOrNull } from "../context";
import type { Queryable } from "../db/sql";
import { notFound } from "../errors";
import { newId } from "../services/crypto";

export const DEFAULT_BRANCH = "main";

export interface BranchRow {
  id: string;
  project_id: string;
  name: string;
  parent_id: string | null;
  is_default: boolean;
  created_at: Date;
}

export interface MigrationRow {
  id: string;
  project_id: string;
  branch_id: string;
  name: string;
  checksum: string;
  sql: string;
  status: "running" | "applied" | "failed" | "reverting";
  error_code: string | null;
  error_message: string | null;
  applied_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const toBranch = (row: BranchRow): z.infer<typeof Branch> => ({
  id: row.id, project_id: row.project_id, name: row.name, parent_id: row.parent_id, default: row.is_default, created_at: iso(row.created_at),
});

export const toMigration = (row: MigrationRow): z.infer<typeof Migration> => ({
  id: row.id, project_id: row.project_id, branch_id: row.branch_id, name: row.name, checksum: row.checksum, sql: row.sql, status: row.status,
  error: row.error_message === null ? null : { code: row.error_code, message: row.error_message },
  applied_at: isoOrNull(row.applied_at), created_at: iso(row.created_at),
});

export async function insertBranch(db: Queryable, input: { projectId: string; name: string; parentId: string | null; isDefault: boolean; writeKey?: string | null }): Promise<BranchRow | undefined> {
  const { rows } = await db.query<BranchRow>(
    "INSERT INTO branches (id, project_id, name, parent_id, is_default, write_key) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id, name) DO NOTHING RETURNING *",
    [newId("br"), input.projectId, input.name, input.parentId, input.isDefault, input.writeKey ?? null],
  );
  return rows[0];
}

/** A branch of the project by name or id; `main` when none is given. */
export async function resolveBranch(db: Queryable, projectId: string, selector: string | undefined): Promise<BranchRow> {
  const wanted = selector ?? DEFAULT_BRANCH;
  const { rows } = await db.query<BranchRow>("SELECT * FROM branches WHERE project_id = $1 AND (id = $2 OR name = $2) ORDER BY (id = $2) DESC LIMIT 1", [projectId, wanted]);
  if (!rows[0]) throw notFound("Branch", wanted);
  return rows[0];
}

export async function branchIdsOfProjects(db: Queryable, projectIds: readonly string[]): Promise<Map<string, string[]>> {
  const { rows } = await db.query<{ project_id: string; id: string }>("SELECT project_id, id FROM branches WHERE project_id = ANY($1::text[])", [projectIds]);
  const byProject = new Map<string, string[]>(projectIds.map((id) => [id, []]));
  for (const row of rows) byProject.get(row.project_id)?.push(row.id);
  return byProject;
}
