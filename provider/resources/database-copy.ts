// DatabaseCopy: the rows of another project's database (or branch) copied into this one's, once, when it is created,
// through the SQL endpoint of both: the source is read in pages (after the last primary key read), each page written as one
// INSERT that Postgres itself converts from JSON (`jsonb_populate_recordset`), so every type keeps its exact value.
// Tables are copied parents first (by foreign key), at most `rowLimit` rows each; then serial and identity sequences
// are set past the copied ids. A table with a primary key or unique index skips rows already present (a retried or
// interrupted copy resumes without doubles); one without is copied only while empty in the target. Nothing is kept but
// the counts: the rows never enter Pulumi state. Destroy leaves the rows (they belong to the database); every input
// replaces, which copies again.
import { z } from "zod";
import { BranchSelector, Id, TableName, databaseEndpoints as api, projectEndpoints } from "../../contract";
import { LubesError } from "../client";
import { STATE_VERSION, defineKind, printableLine, readOrGone, type OperationContext } from "./kind";

const MAX_ROW_LIMIT = 1_000_000;
export const DEFAULT_ROW_LIMIT = 10_000;
/** Rows read per request; halved while a page is larger than the server returns at once. */
const PAGE_ROWS = 500;
/** Row JSON sent per INSERT, well inside the server's 1 MiB request body. */
const CHUNK_CHARS = 512 * 1024;

export const DatabaseCopyInputs = z.strictObject({
  projectId: Id,
  branch: BranchSelector.default("main"),
  sourceProjectId: Id,
  sourceBranch: BranchSelector.default("main"),
  /** `table` or `schema.table`; all tables of the source when left out. */
  tables: z.array(TableName).min(1).nullable().default(null),
  rowLimit: z.number().int().min(1).max(MAX_ROW_LIMIT).default(DEFAULT_ROW_LIMIT),
});
export type DatabaseCopyInputs = z.output<typeof DatabaseCopyInputs>;

const CopiedTable = z.object({
  table: z.string(),
  /** Rows this copy inserted. */
  rows: z.number(),
  /** Rows the source had. */
  sourceRows: z.number(),
  /** Why the table was left as it was, when it was. */
  skipped: z.string().nullable(),
});
type CopiedTable = z.output<typeof CopiedTable>;

/** What the copy did: outputs only (a diff never compares them). */
export const DatabaseCopyComputed = z.object({
  copiedTables: z.array(CopiedTable),
  rowsCopied: z.number(),
  copiedAt: z.string(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type DatabaseCopyOutputs = DatabaseCopyInputs & z.output<typeof DatabaseCopyComputed>;

/** A table of the source, as the catalog describes it. */
export interface SourceTable {
  /** `schema.table`. */
  name: string;
  /** Quoted, ready for SQL. */
  quoted: string;
  /** Columns that take a value (generated ones do not). */
  columns: string[];
  primaryKey: string[];
  /** Has a primary key or a unique index: rows already present can be skipped. */
  keyed: boolean;
  /** Tables its foreign keys point to (`schema.table`), itself excluded. */
  references: string[];
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const qualified = (name: string) => (name.includes(".") ? name : `public.${name}`);

/** Runs one statement on a project's branch. */
async function query<R>(ctx: OperationContext, projectId: string, branch: string, sql: string, params: (string | number)[] = []): Promise<R[]> {
  const result = await ctx.client.call(api.query, { params: { id: projectId }, body: { query: sql, params, branch } });
  return result.rows as R[];
}

const TABLES_SQL = `
SELECT n.nspname || '.' || c.relname AS name, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS quoted,
  ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum) AS columns,
  ARRAY(SELECT a.attname::text FROM pg_index i CROSS JOIN unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
        WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY k.position) AS primary_key,
  EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indpred IS NULL) AS keyed,
  ARRAY(SELECT DISTINCT rn.nspname || '.' || r.relname FROM pg_constraint f JOIN pg_class r ON r.oid = f.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
        WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid) AS references
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1`;

/** The source's tables (or the ones asked for), parents before the tables that reference them. */
export async function sourceTables(ctx: OperationContext, projectId: string, branch: string, only: string[] | null): Promise<SourceTable[]> {
  const rows = await query<{ name: string; quoted: string; columns: string[]; primary_key: string[]; keyed: boolean; references: string[] }>(ctx, projectId, branch, TABLES_SQL);
  let tables: SourceTable[] = rows.map((r) => ({ name: r.name, quoted: r.quoted, columns: r.columns, primaryKey: r.primary_key, keyed: r.keyed, references: r.references }));
  if (only) {
    const wanted = new Set(only.map(qualified));
    const missing = [...wanted].filter((name) => !tables.some((t) => t.name === name));
    if (missing.length > 0) throw new Error(`Project ${projectId} (branch "${branch}") has no table ${missing.join(", ")}; it has ${tables.map((t) => t.name).join(", ") || "none"}`);
    tables = tables.filter((t) => wanted.has(t.name));
  }
  return parentsFirst(tables);
}

/** Tables ordered so that each comes after those it references (a cycle keeps the catalog's order). */
function parentsFirst(tables: SourceTable[]): SourceTable[] {
  const ordered: SourceTable[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const byName = new Map(tables.map((t) => [t.name, t]));
  const visit = (table: SourceTable) => {
    if (placed.has(table.name) || visiting.has(table.name)) return;
    visiting.add(table.name);
    for (const parent of table.references) {
      const referenced = byName.get(parent);
      if (referenced) visit(referenced);
    }
    placed.add(table.name);
    ordered.push(table);
  };
  tables.forEach(visit);
  return ordered;
}

/** The rows a table has now. */
export const countRows = async (ctx: OperationContext, projectId: string, branch: string, table: SourceTable): Promise<number> =>
  Number((await query<{ n: string }>(ctx, projectId, branch, `SELECT count(*) AS n FROM ${table.quoted}`))[0]?.n ?? 0);

/** Where a page starts: after the last row read (by primary key, so each page is an index scan), or at an offset. */
interface PagePosition {
  after: string | undefined;
  offset: number;
}

/** One page of rows, each as the JSON text Postgres makes of it (never parsed here, so no value changes). */
async function readPage(ctx: OperationContext, inputs: DatabaseCopyInputs, table: SourceTable, position: PagePosition, limit: number): Promise<string[]> {
  const select = `SELECT to_jsonb(src.*)::text AS r FROM ${table.quoted} AS src`;
  let sql: string;
  let params: (string | number)[];
  if (table.primaryKey.length > 0) {
    const key = (alias: string) => table.primaryKey.map((c) => `${alias}.${quoteIdent(c)}`).join(", ");
    // The last row's key, converted back by Postgres from its JSON: exact for every key type.
    const after = position.after === undefined ? "" : ` WHERE (${key("src")}) > (SELECT ${key("last")} FROM jsonb_populate_record(NULL::${table.quoted}, $2::jsonb) AS last)`;
    sql = `${select}${after} ORDER BY ${key("src")} LIMIT $1`;
    params = position.after === undefined ? [limit] : [limit, position.after];
  } else {
    sql = `${select} ORDER BY src.ctid LIMIT $1 OFFSET $2`;
    params = [limit, position.offset];
  }
  try {
    return (await query<{ r: string }>(ctx, inputs.sourceProjectId, inputs.sourceBranch, sql, params)).map((row) => row.r);
  } catch (error) {
    // Rows too large to return this many at once: fewer per page.
    if (error instanceof LubesError && error.code === "result_too_large" && limit > 1) return readPage(ctx, inputs, table, position, Math.ceil(limit / 2));
    throw error;
  }
}

/** Rows grouped so that each INSERT's body stays well inside the server's request limit. */
function chunks(rows: string[], table: SourceTable): string[][] {
  const result: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const row of rows) {
    const rowSize = JSON.stringify(row).length;
    if (rowSize > 2 * CHUNK_CHARS) throw new Error(`A row of ${table.name} is ${rowSize} characters as JSON, more than one request to the Lubes API can carry: copy this table another way, or leave it out with \`tables\``);
    if (current.length > 0 && size + rowSize > CHUNK_CHARS) {
      result.push(current);
      current = [];
      size = 0;
    }
    current.push(row);
    size += rowSize;
  }
  if (current.length > 0) result.push(current);
  return result;
}

async function writeRows(ctx: OperationContext, inputs: DatabaseCopyInputs, table: SourceTable, rows: string[]): Promise<number> {
  const columns = table.columns.map(quoteIdent).join(", ");
  const sql = `INSERT INTO ${table.quoted} (${columns}) OVERRIDING SYSTEM VALUE SELECT ${columns} FROM jsonb_populate_recordset(NULL::${table.quoted}, $1::jsonb)${table.keyed ? " ON CONFLICT DO NOTHING" : ""} RETURNING 1`;
  let inserted = 0;
  for (const chunk of chunks(rows, table)) {
    inserted += (await query(ctx, inputs.projectId, inputs.branch, sql, [`[${chunk.join(",")}]`])).length;
  }
  return inserted;
}

/** Serial and identity sequences of the target table, set past its highest value so new rows get new ids. */
async function advanceSequences(ctx: OperationContext, inputs: DatabaseCopyInputs, table: SourceTable): Promise<void> {
  const sequences = await query<{ column: string; sequence: string }>(
    ctx, inputs.projectId, inputs.branch,
    `SELECT a.attname::text AS column, pg_get_serial_sequence($1::text, a.attname::text) AS sequence FROM pg_attribute a
     WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped AND pg_get_serial_sequence($1::text, a.attname::text) IS NOT NULL`,
    [table.quoted],
  );
  for (const { column, sequence } of sequences) {
    await query(ctx, inputs.projectId, inputs.branch, `SELECT setval($1::text::regclass, m) FROM (SELECT max(${quoteIdent(column)})::bigint AS m FROM ${table.quoted}) AS top WHERE m IS NOT NULL`, [sequence]);
  }
}

async function copyTable(ctx: OperationContext, inputs: DatabaseCopyInputs, table: SourceTable): Promise<CopiedTable> {
  const sourceRows = await countRows(ctx, inputs.sourceProjectId, inputs.sourceBranch, table);
  if (!table.keyed && sourceRows > 0 && (await countRows(ctx, inputs.projectId, inputs.branch, table)) > 0) {
    const skipped = "it already has rows, and without a primary key or unique index the copied ones could not be told apart";
    ctx.log(`${table.name}: not copied: ${skipped}`);
    return { table: table.name, rows: 0, sourceRows, skipped };
  }
  const wanted = Math.min(sourceRows, inputs.rowLimit);
  let rows = 0;
  const position: PagePosition = { after: undefined, offset: 0 };
  while (position.offset < wanted) {
    const page = await readPage(ctx, inputs, table, position, Math.min(PAGE_ROWS, wanted - position.offset));
    if (page.length === 0) break;
    rows += await writeRows(ctx, inputs, table, page);
    position.offset += page.length;
    position.after = page.at(-1);
  }
  await advanceSequences(ctx, inputs, table);
  const limited = sourceRows > inputs.rowLimit ? ` (the limit of ${inputs.rowLimit}; the source has ${sourceRows})` : "";
  const present = wanted - rows > 0 ? `; ${wanted - rows} already present` : "";
  ctx.log(`${table.name}: copied ${rows} of ${wanted} rows${limited}${present}`);
  return { table: table.name, rows, sourceRows, skipped: null };
}

/** The target's tables that the copy needs and that are missing there: a copy never creates a table. */
async function missingInTarget(ctx: OperationContext, inputs: DatabaseCopyInputs, tables: SourceTable[]): Promise<string[]> {
  const present = await query<{ name: string }>(ctx, inputs.projectId, inputs.branch, TABLES_SQL);
  const names = new Set(present.map((t) => t.name));
  return tables.map((t) => t.name).filter((name) => !names.has(name));
}

export const databaseCopy = defineKind<DatabaseCopyInputs, DatabaseCopyOutputs>({
  type: "lubes:index:DatabaseCopy",
  title: "Database copy",
  description:
    "Rows of another project's database copied into this project's, once, when it is created, in pages through the SQL endpoint. The tables must exist in the target already (apply the same migrations first). Rows already present are skipped; the rows never enter Pulumi state. Destroying it leaves the rows; any change copies again.",
  docs: {
    projectId: "The project the rows are copied into.",
    branch: "Its branch, by name or id; default main.",
    sourceProjectId: "The project the rows are read from (the key must be allowed to query it).",
    sourceBranch: "The source's branch, by name or id; default main.",
    tables: "The tables to copy (`table` or `schema.table`); every table of the source when left out.",
    rowLimit: "At most this many rows of each table, in primary key order (default 10000, at most 1000000).",
    copiedTables: "Each table: the rows copied, the rows the source had, and why it was skipped when it was.",
    rowsCopied: "Rows copied in all.",
    copiedAt: "When the copy finished (ISO 8601).",
  },
  replaceOnChanges: ["projectId", "branch", "sourceProjectId", "sourceBranch", "tables", "rowLimit"],
  secretOutputs: [],
  importId: "not importable: a copy is something that happened, not something the server keeps",
  inputs: DatabaseCopyInputs,
  outputs: DatabaseCopyComputed,
  async create(ctx, inputs) {
    const tables = await sourceTables(ctx, inputs.sourceProjectId, inputs.sourceBranch, inputs.tables);
    const missing = await missingInTarget(ctx, inputs, tables);
    if (missing.length > 0) throw new Error(`Cannot copy rows into project ${inputs.projectId} (branch "${inputs.branch}"): it has no table ${missing.join(", ")}. Apply the source's migrations first (make the copy depend on them), or choose the tables with \`tables\``);
    ctx.log(`Copying ${tables.length} tables from ${inputs.sourceProjectId} (${inputs.sourceBranch}), at most ${inputs.rowLimit} rows each…`);
    const copiedTables: CopiedTable[] = [];
    for (const table of tables) {
      try {
        copiedTables.push(await copyTable(ctx, inputs, table));
      } catch (error) {
        const reason = error instanceof Error ? printableLine(error.message) : String(error);
        throw new Error(`Copying the rows of ${table.name} failed: ${reason}. Rows copied so far stay; running \`up\` again resumes (rows already present are skipped)`);
      }
    }
    const rowsCopied = copiedTables.reduce((sum, t) => sum + t.rows, 0);
    return {
      id: `${inputs.projectId}/${inputs.branch}/from/${inputs.sourceProjectId}/${inputs.sourceBranch}`,
      outs: { ...inputs, copiedTables, rowsCopied, copiedAt: new Date().toISOString(), stateVersion: STATE_VERSION },
    };
  },
  // The copy itself is history: it lasts as long as the project it went into.
  async read(ctx, id, olds) {
    if (!olds.projectId || !olds.copiedTables) throw new Error(`A DatabaseCopy cannot be imported or read by its id ("${id}"): a copy is something that happened, and the server keeps no record of it. Declare a new DatabaseCopy instead`);
    const project = await readOrGone(() => ctx.client.call(projectEndpoints.get, { params: { id: olds.projectId as string } }));
    return project ? { id, outs: olds as DatabaseCopyOutputs } : undefined;
  },
  // Every input replaces: an update only ever records what the diff called no change.
  update: (_ctx, _id, olds, news) => Promise.resolve({ ...olds, ...news }),
  // The rows belong to the database now; deleting the project removes them.
  delete: () => Promise.resolve(),
});
