// One small interface over the two Postgres engines: embedded PGlite and real PostgreSQL through `pg`.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { LOCK_FILE, lockDataDir } from "./dir-lock";
import { memoryImage, pgliteTemplate, seedDataDir } from "./pglite-template";

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
}

export interface Sql extends Queryable {
  readonly engine: "pglite" | "postgres";
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Inside `fn` use only `tx`:
   * PGlite has one connection, so a query through the outer handle waits for the transaction and never returns.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The embedded default: one PGlite data directory, owned by this process alone. */
export async function openPglite(dataDir: string | undefined): Promise<Sql> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const unlock = dataDir ? lockDataDir(dataDir) : () => undefined;
  try {
    // A first start copies the machine's initialised template (0.1 s) instead of running initdb (~3 s).
    if (dataDir && !existsSync(path.join(dataDir, "PG_VERSION"))) await seedDataDir(await pgliteTemplate(`${dataDir}-template`), dataDir, [LOCK_FILE]);
  } catch (error) {
    unlock();
    throw error;
  }
  // In memory (tests): loaded from the template's image rather than made by initdb.
  const image = dataDir ? undefined : await memoryImage();
  // shared_buffers=8MB roughly halves PGlite's memory (DESIGN.md); the control plane is small.
  const db = new PGlite({ ...(dataDir ? { dataDir } : {}), ...(image ? { loadDataDir: image } : {}), postgresqlconf: ["shared_buffers=8MB"] });
  try {
    await db.waitReady;
  } catch (error) {
    unlock();
    throw error;
  }
  const wrap = (q: { query: PGlite["query"] }): Queryable => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      const result = await q.query<T>(text, [...params]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
  });
  return {
    engine: "pglite",
    ...wrap(db),
    // PGlite serialises everything behind its own lock; never a bare BEGIN (DESIGN.md).
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    async close() {
      await db.close();
      unlock();
    },
  };
}

/** Real PostgreSQL (`LUBES_DATABASE_URL`): a pool shared by every request of this process. */
export async function openPostgres(connectionString: string): Promise<Sql> {
  const pool = new pg.Pool({ connectionString, max: 10, idleTimeoutMillis: 30_000 });
  // PostgreSQL dropping an idle connection (restart, failover) is emitted here; without a listener it would kill the
  // process. The pool has already discarded that client, and the next query opens a fresh one.
  pool.on("error", () => undefined);
  // Fail at start-up, with the driver's reason, rather than on the first request.
  const probe = await pool.connect();
  probe.release();
  const run = async <T>(client: pg.Pool | pg.PoolClient, text: string, params: readonly unknown[] = []) => {
    const result = await client.query(text, [...params]);
    return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
  };
  return {
    engine: "postgres",
    query: (text, params) => run(pool, text, params),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const value = await fn({ query: (text, params) => run(client, text, params) });
        await client.query("COMMIT");
        return value;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
