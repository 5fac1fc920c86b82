// Deployments: capturing a release (live function versions and variables), restoring one, and their logs.
import type { z } from "zod";
import type { Deployment } from "../../contract";
import { iso, isoOrNull } from "../context";
import type { Queryable } from "../db/sql";
import { notFound } from "../errors";
import type { EnvVarRow } from "./env";

export interface CapturedFunction {
  function_id: string;
  slug: string;
  version: number;
}

/** An env_vars row as captured: the value stays sealed. */
export type CapturedVariable = Pick<EnvVarRow, "key" | "sealed_value" | "value_sha256" | "sensitive" | "environments"> & { value_digest?: string | null };

export interface DeploymentRow {
  id: string;
  project_id: string;
  environment: "production" | "preview";
  status: "queued" | "building" | "ready" | "failed";
  ref: string | null;
  commit: string | null;
  error: string | null;
  rollback_of: string | null;
  functions: CapturedFunction[];
  env: CapturedVariable[];
  created_at: Date;
  ready_at: Date | null;
  current_deployment_id?: string | null;
}

/** `showDigests`: as for variables, a sensitive value's digest only to a credential that may write the project. */
export const toDeployment = (row: DeploymentRow, showDigests: boolean): z.infer<typeof Deployment> => ({
  id: row.id,
  project_id: row.project_id,
  environment: row.environment,
  status: row.status,
  ref: row.ref,
  commit: row.commit,
  error: row.error,
  rollback_of: row.rollback_of,
  current: row.current_deployment_id === row.id,
  functions: row.functions.map((f) => ({ slug: f.slug, version: f.version })),
  env: row.env.map((v) => ({
    key: v.key,
    value_sha256: v.sensitive ? null : v.value_sha256,
    value_digest: v.sensitive && showDigests ? (v.value_digest ?? null) : null,
    sensitive: v.sensitive,
  })),
  created_at: iso(row.created_at),
  ready_at: isoOrNull(row.ready_at),
});

/** Selects deployments with the project's current deployment, so `current` can be told. */
export const DEPLOYMENT_SELECT = "SELECT d.*, p.current_deployment_id FROM deployments d JOIN projects p ON p.id = d.project_id";

export async function findDeployment(db: Queryable, projectId: string, id: string): Promise<DeploymentRow> {
  const row = (await db.query<DeploymentRow>(`${DEPLOYMENT_SELECT} WHERE d.project_id = $1 AND d.id = $2`, [projectId, id])).rows[0];
  if (!row) throw notFound("Deployment", id);
  return row;
}

/** What runs now: the live version of every deployed function, and the variables of `environment`. */
export async function captureRelease(db: Queryable, projectId: string, environment: string): Promise<{ functions: CapturedFunction[]; env: CapturedVariable[] }> {
  const functions = await db.query<CapturedFunction>(
    "SELECT id AS function_id, slug, live_version AS version FROM functions WHERE project_id = $1 AND live_version IS NOT NULL ORDER BY slug",
    [projectId],
  );
  const env = await db.query<CapturedVariable>(
    "SELECT key, sealed_value, value_sha256, value_digest, sensitive, environments FROM env_vars WHERE project_id = $1 AND $2 = ANY(environments) ORDER BY key",
    [projectId, environment],
  );
  return { functions: functions.rows.map((f) => ({ ...f, version: Number(f.version) })), env: env.rows };
}

/**
 * Sets production back to a release: its function versions (functions deleted since are skipped, and said so), and
 * production's variables as captured. Only production
 * changes: a variable added since leaves production but keeps the other environments it serves, and a restored one
 * keeps its other environments. A variable has one value for all its environments, so restoring one that also serves
 * preview or development changes it there too: each such change is returned as a warning for the deployment's log.
 */
/** The environments in the order the API lists them. */
const ENVIRONMENTS = ["production", "preview", "development"];

export async function restoreRelease(db: Queryable, projectId: string, release: Pick<DeploymentRow, "functions" | "env">): Promise<string[]> {
  const warnings: string[] = [];
  for (const fn of release.functions) {
    const { rowCount } = await db.query(
      "UPDATE functions SET live_version = $3, updated_at = now() WHERE id = $1 AND project_id = $2 AND EXISTS (SELECT 1 FROM function_versions WHERE function_id = $1 AND version = $3)",
      [fn.function_id, projectId, fn.version],
    );
    if (rowCount === 0) warnings.push(`Not restored: function "${fn.slug}" version ${fn.version} no longer exists`);
  }
  const captured = release.env.map((v) => v.key);
  await db.query("DELETE FROM env_vars WHERE project_id = $1 AND environments = ARRAY['production'] AND NOT (key = ANY($2::text[]))", [projectId, captured]);
  await db.query(
    "UPDATE env_vars SET environments = array_remove(environments, 'production'), updated_at = now() WHERE project_id = $1 AND 'production' = ANY(environments) AND NOT (key = ANY($2::text[]))",
    [projectId, captured],
  );
  for (const v of release.env) {
    const { rows } = await db.query<{ environments: string[]; sealed_value: string; value_sha256: string | null }>(
      "SELECT environments, sealed_value, value_sha256 FROM env_vars WHERE project_id = $1 AND key = $2",
      [projectId, v.key],
    );
    const current = rows[0];
    const others = (current?.environments ?? []).filter((environment) => environment !== "production");
    const sameValue = current !== undefined && (v.sensitive ? current.sealed_value === v.sealed_value : current.value_sha256 === v.value_sha256);
    if (others.length > 0 && !sameValue) warnings.push(`Variable ${v.key} also serves ${others.join(" and ")}: its value there is production's restored value too`);
    await db.query(
      `INSERT INTO env_vars (project_id, key, sealed_value, value_sha256, value_digest, sensitive, environments) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (project_id, key) DO UPDATE SET sealed_value = EXCLUDED.sealed_value, value_sha256 = EXCLUDED.value_sha256,
         value_digest = EXCLUDED.value_digest, sensitive = EXCLUDED.sensitive, environments = $8, updated_at = now()`,
      [projectId, v.key, v.sealed_value, v.sensitive ? null : v.value_sha256, v.sensitive ? (v.value_digest ?? null) : null, v.sensitive, ["production"], ENVIRONMENTS.filter((e) => e === "production" || others.includes(e))],
    );
  }
  return warnings;
}

export async function logDeployment(db: Queryable, deploymentId: string, level: "info" | "warn" | "error", message: string): Promise<void> {
  await db.query("INSERT INTO deployment_logs (deployment_id, level, message) VALUES ($1, $2, $3)", [deploymentId, level, message]);
}
