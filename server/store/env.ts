// Environment variables: values sealed at rest; sensitive ones are never returned, and only a salted scrypt digest of
// them is shown, to credentials that could read them anyway (write access can deploy a function that reads them).
import type { EnvVar } from "../../contract";
import { iso, type ServerContext } from "../context";
import type { Queryable } from "../db/sql";
import { digestSecretValue, seal, sha256, unseal } from "../services/crypto";

export interface EnvVarRow {
  project_id: string;
  key: string;
  sealed_value: string;
  /** null for a sensitive value: a fast hash of it would let a reader guess it. */
  value_sha256: string | null;
  value_digest: string | null;
  sensitive: boolean;
  environments: string[];
  created_at: Date;
  updated_at: Date;
}

/** `showDigest`: false for a credential that may only read the project (it could not learn the value otherwise). */
export const toEnvVar = (ctx: ServerContext, showDigest: boolean) => (row: EnvVarRow): EnvVar => ({
  key: row.key,
  value: row.sensitive ? null : unseal(ctx.keys.envValues, row.sealed_value),
  value_sha256: row.sensitive ? null : row.value_sha256,
  value_digest: row.sensitive && showDigest ? row.value_digest : null,
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
  writeKey: string | null = null,
): Promise<(EnvVarRow & { created: boolean }) | undefined> {
  const onConflict = onlyIfAbsent
    ? "DO NOTHING"
    : "DO UPDATE SET sealed_value = EXCLUDED.sealed_value, value_sha256 = EXCLUDED.value_sha256, value_digest = EXCLUDED.value_digest, sensitive = EXCLUDED.sensitive, environments = EXCLUDED.environments, write_key = EXCLUDED.write_key, updated_at = now()";
  const { sha, digest } = await digestsOf(input.value, input.sensitive);
  const { rows } = await ctx.sql.query<EnvVarRow & { created: boolean }>(
    `INSERT INTO env_vars (project_id, key, sealed_value, value_sha256, value_digest, sensitive, environments, write_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (project_id, key) ${onConflict}
     RETURNING *, (xmax = 0) AS created`,
    [projectId, input.key, seal(ctx.keys.envValues, input.value), sha, digest, input.sensitive, [...new Set(input.environments)], writeKey],
  );
  return rows[0];
}

/** A shown value's SHA-256, or a sensitive value's salted scrypt digest: never both. */
async function digestsOf(value: string, sensitive: boolean): Promise<{ sha: string | null; digest: string | null }> {
  return sensitive ? { sha: null, digest: await digestSecretValue(value) } : { sha: sha256(value), digest: null };
}

/** Gives sensitive variables set before digests existed (or restored from such a deployment) their digest. */
export async function backfillSecretDigests(ctx: ServerContext): Promise<void> {
  const { rows } = await ctx.sql.query<EnvVarRow>("SELECT * FROM env_vars WHERE sensitive AND value_digest IS NULL");
  for (const row of rows) {
    const digest = await digestSecretValue(unseal(ctx.keys.envValues, row.sealed_value));
    await ctx.sql.query("UPDATE env_vars SET value_digest = $3, value_sha256 = NULL WHERE project_id = $1 AND key = $2 AND sealed_value = $4", [row.project_id, row.key, digest, row.sealed_value]);
  }
}

/** The plain values of a project's variables for one environment, for functions and deployments to run with. */
export async function envValuesFor(ctx: ServerContext, db: Queryable, projectId: string, environment: string): Promise<Record<string, string>> {
  const { rows } = await db.query<EnvVarRow>("SELECT * FROM env_vars WHERE project_id = $1 AND $2 = ANY(environments) ORDER BY key", [projectId, environment]);
  return Object.fromEntries(rows.map((row) => [row.key, unseal(ctx.keys.envValues, row.sealed_value)]));
}
