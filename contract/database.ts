// The project database: SQL queries, tables, branches and migrations.
import { z } from "zod";
import { Id, IdParam, PageQuery, Timestamp, endpoint, page } from "./common";

/** A branch name: lowercase letters, digits, `-`, `_`, `/` and `.` (git-like, e.g. `preview/pr-42`), up to 64. */
export const BranchName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9](?:[a-z0-9._/-]*[a-z0-9])?$/, "lowercase letters, digits, '-', '_', '/' and '.', starting and ending with a letter or digit");

/** Which branch to use: its name or its id; `main` when absent. */
export const BranchSelector = z.union([Id, BranchName]);

/** A JSON value a query parameter can take. Objects and arrays are sent as JSON text. */
const QueryParam = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown()), z.record(z.string(), z.unknown())]);

export const QueryBody = z.strictObject({
  query: z.string().min(1).max(1_000_000),
  params: z.array(QueryParam).max(1000).optional(),
  branch: BranchSelector.optional(),
});

export const QueryField = z.object({ name: z.string(), type: z.string() });

/**
 * The seed's shape plus `fields`. Values: booleans; numbers for int2, int4, oid, float4 and float8; parsed JSON for
 * json and jsonb; arrays of those for array types; every other type (int8, numeric, timestamps, …) as the text
 * Postgres prints, so no precision is lost.
 */
export const QueryResult = z.object({
  rows: z.array(z.record(z.string(), z.unknown())),
  row_count: z.number().int(),
  execution_time_ms: z.number(),
  fields: z.array(QueryField),
});

export const Table = z.object({
  schema: z.string(),
  name: z.string(),
  type: z.enum(["table", "view", "materialized_view", "partitioned_table"]),
  row_estimate: z.number().int().nullable(),
});

export const Column = z.object({
  name: z.string(),
  type: z.string(),
  nullable: z.boolean(),
  default: z.string().nullable(),
  position: z.number().int(),
});

export const TableSchema = Table.extend({
  columns: z.array(Column),
  primary_key: z.array(z.string()),
  indexes: z.array(z.object({ name: z.string(), columns: z.array(z.string()), unique: z.boolean(), primary: z.boolean(), definition: z.string() })),
});

export const TablesQuery = PageQuery.extend({ branch: BranchSelector.optional() });
export const TableQuery = z.object({ branch: BranchSelector.optional() });
/** `table` or `schema.table`, plain identifiers only: nothing else is ever put into SQL. */
export const TableName = z.string().max(129).regex(/^(?:[A-Za-z_][A-Za-z0-9_$]{0,62}\.)?[A-Za-z_][A-Za-z0-9_$]{0,62}$/, "a plain identifier, optionally schema-qualified");

export const Branch = z.object({
  id: z.string(),
  project_id: z.string(),
  name: z.string(),
  parent_id: z.string().nullable(),
  /** The default branch (`main`), created with the project; it cannot be deleted. */
  default: z.boolean(),
  created_at: Timestamp,
});

export const CreateBranchBody = z.strictObject({ name: BranchName, parent: BranchSelector.default("main") });

export const Migration = z.object({
  id: z.string(),
  project_id: z.string(),
  branch_id: z.string(),
  name: z.string(),
  /** SHA-256 (hex) of the SQL. */
  checksum: z.string(),
  sql: z.string(),
  /**
   * `running` while it executes, `reverting` while its revert runs; a failed migration can be posted again (fixed), an
   * applied one never changes (a revert removes it).
   */
  status: z.enum(["running", "applied", "failed", "reverting"]),
  error: z.object({ code: z.string().nullable(), message: z.string() }).nullable(),
  applied_at: Timestamp.nullable(),
  created_at: Timestamp,
});

export const MigrationName = z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-'");
export const RunMigrationBody = z.strictObject({ name: MigrationName, sql: z.string().min(1).max(1_000_000), branch: BranchSelector.optional() });
export const MigrationsQuery = PageQuery.extend({ branch: BranchSelector.optional() });
/** The SQL that undoes an applied migration, on its branch (default `main`). */
export const RevertMigrationBody = z.strictObject({ sql: z.string().min(1).max(1_000_000), branch: BranchSelector.optional() });

const tag = "Database";
/** A branch's database may be damaged (409) where a request reads or writes it. */
const DAMAGED = { 409: "The branch's database is damaged and cannot be opened (`database_unavailable`); restore or delete the branch" } as const;
const common = { auth: "bearer", projectScoped: true, tag } as const;
export const databaseEndpoints = {
  query: endpoint({
    ...common, operationId: "executeQuery", method: "POST", path: "/projects/:id/db/query", summary: "Execute SQL query",
    permission: "write", params: IdParam, body: QueryBody, status: 200, response: QueryResult, answers: DAMAGED,
  }),
  listTables: endpoint({
    ...common, operationId: "listTables", method: "GET", path: "/projects/:id/db/tables", summary: "List tables (by schema, then name)",
    permission: "read", params: IdParam, query: TablesQuery, status: 200, response: page(Table), answers: DAMAGED,
  }),
  getTable: endpoint({
    ...common, operationId: "getTableSchema", method: "GET", path: "/projects/:id/db/tables/:table", summary: "Get table schema",
    permission: "read", params: IdParam.extend({ table: TableName }), query: TableQuery, status: 200, response: TableSchema, answers: DAMAGED,
  }),
  listBranches: endpoint({
    ...common, operationId: "listBranches", method: "GET", path: "/projects/:id/db/branches", summary: "List branches (oldest first)",
    permission: "read", params: IdParam, query: PageQuery, status: 200, response: page(Branch),
  }),
  createBranch: endpoint({
    ...common, operationId: "createBranch", method: "POST", path: "/projects/:id/db/branches", summary: "Create branch (a copy of its parent's data at this moment)",
    permission: "write", params: IdParam, body: CreateBranchBody, status: 201, response: Branch,
  }),
  getBranch: endpoint({
    ...common, operationId: "getBranch", method: "GET", path: "/projects/:id/db/branches/:branch", summary: "Get one branch by name or id",
    extension: true, permission: "read", params: IdParam.extend({ branch: BranchSelector }), status: 200, response: Branch,
  }),
  deleteBranch: endpoint({
    ...common, operationId: "deleteBranch", method: "DELETE", path: "/projects/:id/db/branches/:branch", summary: "Delete branch (not main)",
    extension: true, permission: "write", params: IdParam.extend({ branch: BranchSelector }), status: 204,
    answers: { 409: "The branch is the project's default (main), or its database is damaged" },
  }),
  listMigrations: endpoint({
    ...common, operationId: "listMigrations", method: "GET", path: "/projects/:id/db/migrations", summary: "List migrations (in the order they were applied)",
    permission: "read", params: IdParam, query: MigrationsQuery, status: 200, response: page(Migration),
  }),
  getMigration: endpoint({
    ...common, operationId: "getMigration", method: "GET", path: "/projects/:id/db/migrations/:name", summary: "Get one migration of a branch (default main) by name",
    extension: true, permission: "read", params: IdParam.extend({ name: MigrationName }), query: z.object({ branch: BranchSelector.optional() }), status: 200, response: Migration,
  }),
  runMigration: endpoint({
    ...common, operationId: "runMigration", method: "POST", path: "/projects/:id/db/migrations", summary: "Run migration (in one transaction)",
    permission: "write", params: IdParam, body: RunMigrationBody, status: 201, response: Migration,
    answers: { 200: "Already applied with the same SQL: the migration as it was (a re-posted migration changes nothing)", 409: "Being applied right now, applied earlier with different SQL, or the database is damaged" },
  }),
  revertMigration: endpoint({
    ...common, operationId: "revertMigration", method: "POST", path: "/projects/:id/db/migrations/:name/revert",
    summary: "Revert an applied migration: run the given down SQL in one transaction, then remove the migration's record so it can be applied again (404 when none is applied, 409 while it runs)",
    extension: true, permission: "write", params: IdParam.extend({ name: MigrationName }), body: RevertMigrationBody, status: 204,
  }),
};
