// Environment variables: values sealed at rest; sensitive ones are never returned.
import type { EnvVar } from "../../contract";
import { iso, type ServerContext } from "../context";
import type { Queryable } from "../db/sql";
import { seal, sha256, unseal } from "../services/crypto";

export interface EnvVarRow {
  project_id: string;
  key: string;
  sealed_value: string;
  value_sha256: string;
  sensitive: boolean;
  environments: string[];
  created_at: Date;
  updated_at: Date;
}

export const toEnvVar = (ctx: ServerContext) => (row: EnvVarRow): EnvVar => ({
  key: row.key,
  value: row.sensitive ? null : unseal(ctx.keys.envValues, row.sealed_value),
  value_sha256: row.value_sha256,
  sensitive: row.sensitive,
  environments: row.environments as EnvVar["environments"],
  created_at: iso(row.created_at),
  updated_at: iso(row.updated_at),
});

/** Sets a variable (created or updated); `onlyIfAbsent` leaves an existing key alone and answers undefined. */
export async function upsertEnvVar(
  ctx: ServerContext,
  projectId: string,
  input: { key: string; value: string; sensitive: boolean; environments: readonly string[] },
  onlyIfAbsent = false,
): Promise<(EnvVarRow & { created: boolean }) | undefined> {
  const onConflict = onlyIfAbsent
    ? "DO NOTHING"
    : "DO UPDATE SET sealed_value = EXCLUDED.sealed_value, value_sha256 = EXCLUDED.value_sha256, sensitive = EXCLUDED.sensitive, environments = EXCLUDED.environments, updated_at = now()";
  const { rows } = await ctx.sql.query<EnvVarRow & { created: boolean }>(
    `INSERT INTO env_vars (project_id, key, sealed_value, value_sha256, sensitive, environments) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (project_id, key) ${onConflict}
     RETURNING *, (xmax = 0) AS created`,
    [projectId, input.key, seal(ctx.keys.envValues, input.value), sha256(input.value), input.sensitive, [...new Set(input.environments)]],
  );
  return rows[0];
}

/** The plain values of a project's variables for one environment, for functions and deployments to run with. */
export async function envValuesFor(ctx: ServerContext, db: Queryable, projectId: string, environment: string): Promise<Record<string, string>> {
  const { rows } = await db.query<EnvVarRow>("SELECT * FROM env_vars WHERE project_id = $1 AND $2 = ANY(environments) ORDER BY key", [projectId, environment]);
  return Object.fromEntries(rows.map((row) => [row.key, unseal(ctx.keys.envValues, row.sealed_value)]));
}
