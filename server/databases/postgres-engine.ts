// Project databases on real PostgreSQL: a database per branch (a branch is CREATE DATABASE … TEMPLATE its parent),
// owned by a login role per project that has no other privilege. Queries run as that role on that database only,
// so they cannot reach another project's data or the control plane; a watchdog cancels runaway statements.
import pg from "pg";
import { normalizeRows, serializeParam } from "./values";
import { DatabaseUnavailableError, QueryTimeoutError, ResultTooLargeError, SqlError, migrationTimeoutMs, type BranchRef, type ProjectDatabases, type QueryLimits, type QueryOutcome } from "./types";

/** Every value as Postgres's text: normalizeRows decides its JSON form, exactly as for PGlite. */
const RAW_TYPES = { getTypeParser: () => (text: string) => text };
const MAX_OPEN_POOLS = 32;

// Our ids are [a-z0-9_], so these identifiers need no escaping beyond the quotes.
const roleOf = (projectId: string) => `lubes_${projectId}`;
const databaseOf = (branchId: string) => `lubes_${branchId}`;
const quote = (identifier: string) => {
  if (!/^[a-z0-9_]+$/.test(identifier)) throw new Error(`unsafe identifier ${identifier}`);
  return `"${identifier}"`;
};

function toSqlError(error: unknown): Error {
  const e = error as pg.DatabaseError;
  if (typeof e?.code === "string" && typeof e.message === "string") {
    return new SqlError(e.code, e.message, e.position ? Number(e.position) : null, e.detail ?? null, e.hint ?? null);
  }
  return error instanceof Error ? error : new Error(String(error));
}

export interface PostgresEngineOptions {
  adminUrl: string;
  /** Derives each project role's password, so none is stored. */
  rolePassword: (projectId: string) => string;
  limits: QueryLimits;
}

export class PostgresDatabases implements ProjectDatabases {
  readonly engine = "postgres";
  private readonly admin: pg.Pool;
  private readonly pools = new Map<string, { pool: pg.Pool; lastUsed: number }>();
  private readonly typeNames = new Map<number, string>();
  /** Branching needs its parent free of connections, so branch operations of a project take turns. */
  private readonly projectLocks = new Map<string, Promise<unknown>>();

  constructor(private readonly options: PostgresEngineOptions) {
    this.admin = new pg.Pool({ connectionString: options.adminUrl, max: 3 });
    this.admin.on("error", () => undefined);
  }

  /** Fails at start-up, with what to grant, when the configured user cannot create databases and roles. */
  async checkPrivileges(): Promise<void> {
    const { rows } = await this.admin.query<{ ok: boolean }>("SELECT (rolsuper OR (rolcreatedb AND rolcreaterole)) AS ok FROM pg_roles WHERE rolname = current_user");
    if (!rows[0]?.ok) {
      throw new Error("LUBES_DATABASE_URL's user needs CREATEDB and CREATEROLE: lubes-server makes a database per project branch and a role per project");
    }
  }

  private withProjectLock<T>(projectId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.projectLocks.get(projectId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.projectLocks.set(projectId, settled);
    void settled.then(() => this.projectLocks.get(projectId) === settled && this.projectLocks.delete(projectId));
    return run;
  }

  private urlFor(ref: BranchRef): string {
    const url = new URL(this.options.adminUrl);
    url.username = roleOf(ref.projectId);
    url.password = this.options.rolePassword(ref.projectId);
    url.pathname = `/${databaseOf(ref.branchId)}`;
    return url.toString();
  }

  private poolFor(ref: BranchRef): pg.Pool {
    const existing = this.pools.get(ref.branchId);
    if (existing) {
      existing.lastUsed = Date.now();
      return existing.pool;
    }
    if (this.pools.size >= MAX_OPEN_POOLS) {
      const oldest = [...this.pools.entries()].sort(([, a], [, b]) => a.lastUsed - b.lastUsed)[0];
      if (oldest) void this.closePool(oldest[0]);
    }
    const pool = new pg.Pool({ connectionString: this.urlFor(ref), max: 3, idleTimeoutMillis: 30_000, types: RAW_TYPES });
    pool.on("error", () => undefined);
    this.pools.set(ref.branchId, { pool, lastUsed: Date.now() });
    return pool;
  }

  private async closePool(branchId: string): Promise<void> {
    const entry = this.pools.get(branchId);
    this.pools.delete(branchId);
    await entry?.pool.end().catch(() => undefined);
  }

  /** Ends our connections and any other session on a branch database, so it can be a template or be dropped. */
  private async disconnect(branchId: string): Promise<void> {
    await this.closePool(branchId);
    await this.admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [databaseOf(branchId)]);
  }

  private async ensureRole(projectId: string): Promise<void> {
    const role = quote(roleOf(projectId));
    const exists = await this.admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [roleOf(projectId)]);
    if (exists.rows.length === 0) {
      // The password is our own hex digest, never user input.
      await this.admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD '${this.options.rolePassword(projectId)}'`)
        .catch((error: pg.DatabaseError) => {
          if (error.code !== "42710") throw error; // created meanwhile by another process
        });
    }
    await this.admin.query(`ALTER ROLE ${role} SET statement_timeout = ${Math.floor(this.options.limits.timeoutMs)}`);
  }

  private async createDatabase(ref: BranchRef, template: string): Promise<void> {
    const database = quote(databaseOf(ref.branchId));
    await this.admin.query(`CREATE DATABASE ${database} OWNER ${quote(roleOf(ref.projectId))} TEMPLATE ${template}`);
    await this.admin.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
    await this.admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${quote(roleOf(ref.projectId))}`);
  }

  async createDefaultBranch(ref: BranchRef): Promise<void> {
    await this.withProjectLock(ref.projectId, async () => {
      await this.ensureRole(ref.projectId);
      await this.createDatabase(ref, "template0");
      // The public schema belongs to the project's role, as on Supabase and Neon.
      const client = new pg.Client({ connectionString: this.options.adminUrl.replace(/\/[^/?]*(\?|$)/, `/${databaseOf(ref.branchId)}$1`) });
      await client.connect();
      try {
        await client.query(`ALTER SCHEMA public OWNER TO ${quote(roleOf(ref.projectId))}`);
      } finally {
        await client.end();
      }
    });
  }

  async createBranch(parent: BranchRef, child: BranchRef): Promise<void> {
    await this.withProjectLock(parent.projectId, async () => {
      // CREATE DATABASE … TEMPLATE fails while anything is connected to the template (DESIGN.md).
      for (let attempt = 0; ; attempt++) {
        await this.disconnect(parent.branchId);
        try {
          await this.createDatabase(child, quote(databaseOf(parent.branchId)));
          return;
        } catch (error) {
          if ((error as pg.DatabaseError).code !== "55006" || attempt >= 5) throw error;
          await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
        }
      }
    });
  }

  async dropBranch(ref: BranchRef): Promise<void> {
    await this.withProjectLock(ref.projectId, async () => {
      await this.disconnect(ref.branchId);
      await this.admin.query(`DROP DATABASE IF EXISTS ${quote(databaseOf(ref.branchId))} WITH (FORCE)`);
    });
  }

  async dropProject(projectId: string, branchIds: readonly string[]): Promise<void> {
    for (const branchId of branchIds) await this.dropBranch({ projectId, branchId });
    await this.admin.query(`DROP ROLE IF EXISTS ${quote(roleOf(projectId))}`);
  }

  private async typeName(oids: number[]): Promise<void> {
    const unknown = [...new Set(oids)].filter((oid) => !this.typeNames.has(oid));
    if (unknown.length === 0) return;
    const { rows } = await this.admin.query<{ oid: number; name: string }>("SELECT oid::int AS oid, format_type(oid, NULL) AS name FROM pg_type WHERE oid = ANY($1::int[])", [unknown]);
    for (const row of rows) this.typeNames.set(Number(row.oid), row.name);
  }

  private async connect(ref: BranchRef): Promise<pg.PoolClient> {
    try {
      return await this.poolFor(ref).connect();
    } catch (error) {
      // 3D000: the branch's database is gone (dropped outside lubes-server): waiting will not bring it back.
      throw new DatabaseUnavailableError(error instanceof Error ? error.message : String(error), (error as pg.DatabaseError).code === "3D000");
    }
  }

  /**
   * Ends the request's session on a pooled connection: ROLLBACK, then DISCARD ALL (temp tables, prepared statements,
   * WITH HOLD cursors, advisory locks, SET values). A connection that cannot be reset is closed, not reused.
   */
  private async endSession(client: pg.PoolClient): Promise<boolean> {
    try {
      await client.query("ROLLBACK");
      await client.query("DISCARD ALL");
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Runs `fn` on a connection of the branch; past the timeout, the backend is cancelled from the admin pool. Unless
   * `trusted` (the server's own statements), the session is reset before the connection returns to the pool.
   */
  private async withClient<T>(ref: BranchRef, timeoutMs: number, fn: (client: pg.PoolClient) => Promise<T>, trusted = false): Promise<T> {
    const client = await this.connect(ref);
    let timedOut = false;
    const pid = (client as unknown as { processID: number }).processID;
    const timer = setTimeout(() => {
      timedOut = true;
      void this.admin.query("SELECT pg_cancel_backend($1)", [pid]).catch(() => undefined);
    }, timeoutMs);
    try {
      return await fn(client);
    } catch (error) {
      if (timedOut || (error as pg.DatabaseError).code === "57014") throw new QueryTimeoutError(timeoutMs);
      throw toSqlError(error);
    } finally {
      clearTimeout(timer);
      const reusable = trusted || (await this.endSession(client));
      client.release(reusable ? undefined : true);
    }
  }

  async query(ref: BranchRef, sql: string, params: readonly unknown[] | undefined, options: { trusted?: boolean } = {}): Promise<QueryOutcome> {
    const { limits } = this.options;
    return this.withClient(ref, limits.timeoutMs, async (client) => {
      const started = performance.now();
      const raw: pg.QueryResult | pg.QueryResult[] = params && params.length > 0 ? await client.query(sql, params.map(serializeParam)) : await client.query(sql);
      const elapsed = performance.now() - started;
      // A script answers with one result per statement: the last one is the answer.
      const result = (Array.isArray(raw) ? raw.at(-1) : raw) as pg.QueryResult<Record<string, unknown>> | undefined;
      const rawRows = result?.rows ?? [];
      if (!options.trusted && rawRows.length > limits.maxRows) throw new ResultTooLargeError("rows", limits.maxRows);
      const fields = (result?.fields ?? []).map((f) => ({ name: f.name, oid: f.dataTypeID }));
      const rows = normalizeRows(rawRows, fields);
      if (!options.trusted && JSON.stringify(rows).length > limits.maxBytes) throw new ResultTooLargeError("bytes", limits.maxBytes);
      await this.typeName(fields.map((f) => f.oid));
      return {
        rows,
        row_count: rawRows.length > 0 || result?.rowCount == null ? rawRows.length : result.rowCount,
        execution_time_ms: Math.round(elapsed * 100) / 100,
        fields: fields.map((f) => ({ name: f.name, type: this.typeNames.get(f.oid) ?? `oid:${f.oid}` })),
      };
    }, options.trusted);
  }

  async migrate(ref: BranchRef, sql: string): Promise<void> {
    await this.withClient(ref, migrationTimeoutMs(this.options.limits), async (client) => {
      await client.query("BEGIN");
      try {
        await client.query(`SET LOCAL statement_timeout = ${Math.floor(migrationTimeoutMs(this.options.limits))}`);
        await client.query(sql);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.keys()].map((id) => this.closePool(id)));
    await this.admin.end();
  }
}
