// Database routes: SQL queries, tables and their schemas, branches, migrations.
import type { FastifyInstance } from "fastify";
import { databaseEndpoints as api } from "../../contract";
import type { ServerContext } from "../context";
import { DEFAULT_QUERY_LIMITS, DatabaseUnavailableError, QueryTimeoutError, ResultTooLargeError, SqlError, migrationTimeoutMs, type BranchRef } from "../databases/types";
import { ownerGone } from "../db/liveness";
import { ApiError, conflict, notFound } from "../errors";
import { ownEarlierWrite, writeKeyOf } from "../http/idempotency";
import { WithStatus, serve } from "../http/route";
import { projectAccess } from "../services/access";
import { sha256, newId } from "../services/crypto";
import { insertBranch, resolveBranch, toBranch, toMigration, type BranchRow, type MigrationRow } from "../store/database";
import { queryPage } from "../store/page";

/**
 * A migration marked running or reverting for longer than this was cut off with its process (shared PostgreSQL: a
 * live one is cancelled at its timeout), so another request may take it over. An embedded server releases them at
 * start-up (services/recovery.ts).
 */
const migrationLeaseMs = (ctx: ServerContext): number => migrationTimeoutMs(ctx.options.queryLimits ?? DEFAULT_QUERY_LIMITS) + 30_000;

/** Engine errors as API errors: SQL errors are the caller's (400, or 422 for a violated constraint), never a 500. */
function asApiError(error: unknown): unknown {
  if (error instanceof SqlError) {
    const status = error.sqlstate?.startsWith("23") ? 422 : 400;
    return new ApiError(status, "sql_error", error.message, { sqlstate: error.sqlstate, position: error.position, detail: error.detail, hint: error.hint });
  }
  if (error instanceof QueryTimeoutError) return new ApiError(400, "query_timeout", error.message, { sqlstate: "57014", timeout_ms: error.timeoutMs });
  if (error instanceof ResultTooLargeError) return new ApiError(422, "result_too_large", error.message, { limit: error.limit, max: error.max });
  if (error instanceof DatabaseUnavailableError) {
    return error.damaged
      ? new ApiError(409, "database_unavailable", error.message, { reason: error.reason })
      : new ApiError(503, "database_unavailable", error.message, { reason: error.reason }, { "retry-after": "5" });
  }
  return error;
}

async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asApiError(error);
  }
}

const refOf = (branch: BranchRow): BranchRef => ({ projectId: branch.project_id, branchId: branch.id });

export function databaseRoutes(app: FastifyInstance, ctx: ServerContext): void {
  serve(app, ctx, api.query, async ({ principal, params, body }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const branch = await resolveBranch(ctx.sql, params.id, body.branch);
    return run(() => ctx.databases.query(refOf(branch), body.query, body.params));
  });

  serve(app, ctx, api.listTables, async ({ principal, params, query }) => {
    await projectAccess(ctx, principal, params.id, "read");
    const branch = await resolveBranch(ctx.sql, params.id, query.branch);
    const result = await run(() =>
      ctx.databases.query(refOf(branch), `
        SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
               CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS row_estimate, count(*) OVER ()::int AS total
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'v', 'm', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
         ORDER BY 1, 2 LIMIT $1 OFFSET $2`, [query.limit, query.offset], { trusted: true }),
    );
    const kinds = { r: "table", v: "view", m: "materialized_view", p: "partitioned_table" } as const;
    const rows = result.rows as Array<{ schema: string; name: string; kind: keyof typeof kinds; row_estimate: string | null; total: number }>;
    const total = rows[0]?.total ?? 0;
    return {
      data: rows.map((r) => ({ schema: r.schema, name: r.name, type: kinds[r.kind], row_estimate: r.row_estimate === null ? null : Number(r.row_estimate) })),
      pagination: { total, limit: query.limit, offset: query.offset, has_more: query.offset + rows.length < total },
    };
  });

  serve(app, ctx, api.getTable, async ({ principal, params, query }) => {
    await projectAccess(ctx, principal, params.id, "read");
    const branch = await resolveBranch(ctx.sql, params.id, query.branch);
    const [schema, name] = params.table.includes(".") ? params.table.split(".") : ["public", params.table];
    const ref = refOf(branch);
    const found = await run(() =>
      ctx.databases.query(ref, `
        SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
               CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS row_estimate
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'v', 'm', 'p')`, [schema, name], { trusted: true }),
    );
    const table = found.rows[0] as { oid: number; schema: string; name: string; kind: "r" | "v" | "m" | "p"; row_estimate: string | null } | undefined;
    if (!table) throw notFound("Table", params.table);
    const columns = await run(() =>
      ctx.databases.query(ref, `
        SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
               pg_get_expr(d.adbin, d.adrelid) AS "default", a.attnum::int AS position
          FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [table.oid], { trusted: true }),
    );
    const indexes = await run(() =>
      ctx.databases.query(ref, `
        SELECT i.relname AS name, ix.indisunique AS "unique", ix.indisprimary AS "primary", pg_get_indexdef(ix.indexrelid) AS definition,
               ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
                       JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
          FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid WHERE ix.indrelid = $1 ORDER BY i.relname`, [table.oid], { trusted: true }),
    );
    const indexRows = indexes.rows as Array<{ name: string; unique: boolean; primary: boolean; definition: string; columns: string[] }>;
    const kinds = { r: "table", v: "view", m: "materialized_view", p: "partitioned_table" } as const;
    return {
      schema: table.schema,
      name: table.name,
      type: kinds[table.kind],
      row_estimate: table.row_estimate === null ? null : Number(table.row_estimate),
      columns: columns.rows as Array<{ name: string; type: string; nullable: boolean; default: string | null; position: number }>,
      primary_key: indexRows.find((i) => i.primary)?.columns ?? [],
      indexes: indexRows,
    };
  });

  serve(app, ctx, api.listBranches, async ({ principal, params, query }) => {
    await projectAccess(ctx, principal, params.id, "read");
    return queryPage(ctx.sql, { fromWhere: "FROM branches WHERE project_id = $1", orderBy: "created_at, id", params: [params.id] }, query, toBranch);
  });

  serve(app, ctx, api.getBranch, async ({ principal, params }) => {
    await projectAccess(ctx, principal, params.id, "read");
    return toBranch(await resolveBranch(ctx.sql, params.id, params.branch));
  });

  serve(app, ctx, api.createBranch, async ({ principal, params, body, request }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const parent = await resolveBranch(ctx.sql, params.id, body.parent);
    // An earlier attempt that died may have left its branch without its database: it is made again, whole.
    const earlier = await ownEarlierWrite<BranchRow>(ctx, request, "branches", "project_id = $2", [params.id]);
    if (earlier) {
      await ctx.sql.query("DELETE FROM branches WHERE id = $1", [earlier.id]);
      await ctx.databases.dropBranch(refOf(earlier));
    }
    const branch = await insertBranch(ctx.sql, { projectId: params.id, name: body.name, parentId: parent.id, isDefault: false, writeKey: writeKeyOf(request) });
    if (!branch) throw conflict("branch_exists", `Branch "${body.name}" already exists in project ${params.id}`, { field: "name" });
    try {
      await ctx.databases.createBranch(refOf(parent), refOf(branch));
    } catch (error) {
      await ctx.sql.query("DELETE FROM branches WHERE id = $1", [branch.id]);
      throw error;
    }
    return toBranch(branch);
  });

  serve(app, ctx, api.deleteBranch, async ({ principal, params }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const branch = await resolveBranch(ctx.sql, params.id, params.branch);
    if (branch.is_default) throw conflict("default_branch", `Branch "${branch.name}" is the project's default branch and cannot be deleted`);
    await ctx.sql.query("DELETE FROM branches WHERE id = $1", [branch.id]);
    await ctx.databases.dropBranch(refOf(branch));
  });

  serve(app, ctx, api.listMigrations, async ({ principal, params, query }) => {
    await projectAccess(ctx, principal, params.id, "read");
    const branch = await resolveBranch(ctx.sql, params.id, query.branch);
    return queryPage(ctx.sql, { fromWhere: "FROM migrations WHERE branch_id = $1", orderBy: "created_at, id", params: [branch.id] }, query, toMigration);
  });

  serve(app, ctx, api.getMigration, async ({ principal, params, query }) => {
    await projectAccess(ctx, principal, params.id, "read");
    const branch = await resolveBranch(ctx.sql, params.id, query.branch);
    const { rows } = await ctx.sql.query<MigrationRow>("SELECT * FROM migrations WHERE branch_id = $1 AND name = $2", [branch.id, params.name]);
    if (!rows[0]) throw notFound("Migration", params.name);
    return toMigration(rows[0]);
  });

  serve(app, ctx, api.runMigration, async ({ principal, params, body }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const branch = await resolveBranch(ctx.sql, params.id, body.branch);
    const checksum = sha256(body.sql);
    const claimed = await claimMigration(ctx, branch, body.name, body.sql, checksum);
    if (!claimed.run) return new WithStatus(200, toMigration(claimed.row));

    try {
      await ctx.databases.migrate(refOf(branch), body.sql);
    } catch (error) {
      const failure = asApiError(error);
      if (!(failure instanceof ApiError) || failure.code === "database_unavailable") {
        // Not the migration's fault: it did not run. Recorded as failed, so that the next attempt runs it.
        const reason = failure instanceof ApiError ? failure.message : "internal error";
        await ctx.sql.query("UPDATE migrations SET status = 'failed', error_message = $2, updated_at = now() WHERE id = $1", [claimed.row.id, reason]);
        throw failure;
      }
      const sqlstate = typeof failure.details?.["sqlstate"] === "string" ? failure.details["sqlstate"] : null;
      const { rows } = await ctx.sql.query<MigrationRow>(
        "UPDATE migrations SET status = 'failed', error_code = $2, error_message = $3, updated_at = now() WHERE id = $1 RETURNING *",
        [claimed.row.id, sqlstate, failure.message],
      );
      throw new ApiError(422, "migration_failed", `Migration "${body.name}" failed and was rolled back: ${failure.message}`, {
        ...failure.details, migration: toMigration(rows[0] as MigrationRow),
      });
    }
    const { rows } = await ctx.sql.query<MigrationRow>(
      "UPDATE migrations SET status = 'applied', error_code = NULL, error_message = NULL, applied_at = now(), updated_at = now() WHERE id = $1 RETURNING *",
      [claimed.row.id],
    );
    return toMigration(rows[0] as MigrationRow);
  });

  // Claimed as `reverting`, so that nothing applies or reverts it meanwhile; the down SQL failing leaves it applied.
  // A revert cut off by a crash stays `reverting`: once stale, a revert may run again (the down SQL is in one
  // transaction, so it either committed or not), or an apply may take it over as it does a failed migration.
  serve(app, ctx, api.revertMigration, async ({ principal, params, body }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const branch = await resolveBranch(ctx.sql, params.id, body.branch);
    const { rows } = await ctx.sql.query<MigrationRow>(
      `UPDATE migrations SET status = 'reverting', updated_at = now(), owner = $4
        WHERE branch_id = $1 AND name = $2 AND (status = 'applied' OR (status = 'reverting' AND (updated_at < $3 OR ${ownerGone("owner")}))) RETURNING *`,
      [branch.id, params.name, new Date(Date.now() - migrationLeaseMs(ctx)), ctx.instance],
    );
    const claimed = rows[0];
    if (!claimed) {
      const existing = (await ctx.sql.query<MigrationRow>("SELECT * FROM migrations WHERE branch_id = $1 AND name = $2", [branch.id, params.name])).rows[0];
      if (existing?.status === "running" || existing?.status === "reverting") throw conflict("migration_in_progress", `Migration "${params.name}" is being applied or reverted; retry shortly`);
      throw notFound("Applied migration", params.name);
    }
    try {
      await ctx.databases.migrate(refOf(branch), body.sql);
    } catch (error) {
      await ctx.sql.query("UPDATE migrations SET status = 'applied', updated_at = now() WHERE id = $1", [claimed.id]);
      const failure = asApiError(error);
      if (!(failure instanceof ApiError) || failure.code === "database_unavailable") throw failure;
      throw new ApiError(422, "revert_failed", `Reverting migration "${params.name}" failed and was rolled back; it stays applied: ${failure.message}`, failure.details);
    }
    await ctx.sql.query("DELETE FROM migrations WHERE id = $1", [claimed.id]);
  });
}

/**
 * Decides whether this request runs the migration. An applied migration with the same SQL is answered as it is; with
 * other SQL it is a conflict. A failed one may be run again (with fixed SQL); a running or reverting one is a conflict
 * unless stale.
 */
async function claimMigration(ctx: ServerContext, branch: BranchRow, name: string, sql: string, checksum: string): Promise<{ run: boolean; row: MigrationRow }> {
  const inserted = await ctx.sql.query<MigrationRow>(
    `INSERT INTO migrations (id, project_id, branch_id, name, checksum, sql, status, owner) VALUES ($1, $2, $3, $4, $5, $6, 'running', $7)
     ON CONFLICT (branch_id, name) DO NOTHING RETURNING *`,
    [newId("mig"), branch.project_id, branch.id, name, checksum, sql, ctx.instance],
  );
  if (inserted.rows[0]) return { run: true, row: inserted.rows[0] };

  const existing = (await ctx.sql.query<MigrationRow>("SELECT * FROM migrations WHERE branch_id = $1 AND name = $2", [branch.id, name])).rows[0];
  if (!existing) throw conflict("migration_in_progress", `Migration "${name}" is being applied; retry shortly`);
  if (existing.status === "applied") {
    if (existing.checksum === checksum) return { run: false, row: existing };
    throw conflict("migration_changed", `Migration "${name}" was already applied to branch "${branch.name}" with different SQL; applied migrations are immutable, add a new migration instead`, {
      field: "sql", applied_checksum: existing.checksum,
    });
  }
  const retake = await ctx.sql.query<MigrationRow>(
    `UPDATE migrations SET status = 'running', sql = $2, checksum = $3, error_code = NULL, error_message = NULL, updated_at = now(), owner = $5
      WHERE id = $1 AND (status = 'failed' OR (status IN ('running', 'reverting') AND (updated_at < $4 OR ${ownerGone("owner")}))) RETURNING *`,
    [existing.id, sql, checksum, new Date(Date.now() - migrationLeaseMs(ctx)), ctx.instance],
  );
  if (!retake.rows[0]) throw conflict("migration_in_progress", `Migration "${name}" is being applied; retry shortly`);
  return { run: true, row: retake.rows[0] };
}
