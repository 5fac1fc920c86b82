// A worker thread owning one PGlite branch database. PGlite ignores statement_timeout and blocks its thread while a
// query runs (DESIGN.md), so each branch runs here, where the main thread can terminate a runaway query.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { PGlite, type Results } from "@electric-sql/pglite";
import { RAW_TEXT_PARSERS, normalizeRows, serializeParam } from "./values";

export type WorkerRequest =
  | { id: number; kind: "query"; sql: string; params?: unknown[] | undefined; maxRows: number | null; maxBytes: number | null }
  | { id: number; kind: "migrate"; sql: string }
  | { id: number; kind: "checkpoint" }
  | { id: number; kind: "close" };

export type WorkerError =
  | { kind: "sql"; sqlstate: string | null; message: string; position: number | null; detail: string | null; hint: string | null }
  | { kind: "too_large"; limit: "rows" | "bytes"; max: number };

/** `broken`: the database no longer answers sanely (a hostile statement can wedge PGlite); replace this worker. */
export type WorkerResponse = ({ id: number; ok: true; result?: unknown } | { id: number; ok: false; error: WorkerError }) & { broken?: boolean };

const { dataDir, template, memoryImage } = workerData as { dataDir: string; template?: boolean; memoryImage?: string };
const port = parentPort;
if (!port) throw new Error("pglite-worker must run in a worker thread");

const typeNames = new Map<number, string>();

async function resolveTypeNames(db: PGlite, oids: number[]): Promise<void> {
  const unknown = [...new Set(oids)].filter((oid) => !typeNames.has(oid));
  if (unknown.length === 0) return;
  const { rows } = await db.query<{ oid: string; name: string }>("SELECT oid::int AS oid, format_type(oid, NULL) AS name FROM pg_type WHERE oid = ANY($1::int[])", [unknown]);
  for (const row of rows) typeNames.set(Number(row.oid), row.name);
}

function sqlError(error: unknown): WorkerError {
  const e = error as { code?: string; message?: string; position?: string; detail?: string; hint?: string };
  return {
    kind: "sql",
    sqlstate: typeof e.code === "string" ? e.code : null,
    message: e.message ?? String(error),
    position: e.position ? Number(e.position) : null,
    detail: e.detail ?? null,
    hint: e.hint ?? null,
  };
}

async function runQuery(db: PGlite, request: Extract<WorkerRequest, { kind: "query" }>): Promise<WorkerResponse> {
  const started = performance.now();
  let result: Results<Record<string, unknown>> | undefined;
  if (request.params && request.params.length > 0) {
    result = await db.query<Record<string, unknown>>(request.sql, request.params.map(serializeParam));
  } else {
    // A script: every statement runs, the last one answers (as psql -c does).
    const results = await db.exec(request.sql);
    result = results.at(-1);
  }
  const elapsed = performance.now() - started;
  const rawRows = result?.rows ?? [];
  if (request.maxRows !== null && rawRows.length > request.maxRows) return { id: request.id, ok: false, error: { kind: "too_large", limit: "rows", max: request.maxRows } };
  const fields = (result?.fields ?? []).map((f) => ({ name: f.name, oid: f.dataTypeID }));
  const rows = normalizeRows(rawRows, fields);
  if (request.maxBytes !== null && JSON.stringify(rows).length > request.maxBytes) return { id: request.id, ok: false, error: { kind: "too_large", limit: "bytes", max: request.maxBytes } };
  await resolveTypeNames(db, fields.map((f) => f.oid));
  return {
    id: request.id,
    ok: true,
    result: {
      rows,
      row_count: rawRows.length > 0 || !result?.affectedRows ? rawRows.length : result.affectedRows,
      execution_time_ms: Math.round(elapsed * 100) / 100,
      fields: fields.map((f) => ({ name: f.name, type: typeNames.get(f.oid) ?? `oid:${f.oid}` })),
    },
  };
}

/**
 * Ends the request's session: an unfinished transaction is rolled back, then DISCARD ALL undoes what a session keeps
 * (SET and SET ROLE/SESSION AUTHORIZATION, temp tables, prepared statements, WITH HOLD cursors, advisory locks).
 * DISCARD ALL cannot share a script with ROLLBACK (it refuses to run in a transaction block). False when the database
 * no longer answers a plain SELECT afterwards: the worker is then replaced.
 */
async function endSession(db: PGlite): Promise<boolean> {
  try {
    await db.exec("ROLLBACK");
    await db.exec("DISCARD ALL");
    const check = await db.query<{ alive: string }>("SELECT 1 AS alive");
    return check.rows[0]?.alive === "1";
  } catch {
    return false;
  }
}

/**
 * The server owns the configuration. PGlite rewrites postgresql.conf from our settings at every open; the project's SQL
 * runs as the database's superuser and can write postgresql.auto.conf with COPY … TO, so it is emptied before each open
 * (lubes-server never uses ALTER SYSTEM, which is refused anyway).
 */
async function resetAutoConf(): Promise<void> {
  const file = path.join(dataDir, "postgresql.auto.conf");
  if (existsSync(file)) await writeFile(file, "# Do not edit this file manually!\n# It will be overwritten by the ALTER SYSTEM command.\n");
}

async function main(): Promise<void> {
  if (!template) await resetAutoConf();
  // Parsers belong in the constructor: passed per query, PGlite merges all 16,384 of them every time (3.4 ms).
  // 1 MB WAL segments and a small min_wal_size keep each branch directory (and so each branch copy) small.
  const db = new PGlite({
    dataDir,
    // allow_alter_system=off: a project's SQL cannot change the server's configuration (ALTER SYSTEM is refused).
    postgresqlconf: ["shared_buffers=8MB", "min_wal_size=2MB", "max_wal_size=32MB", "allow_alter_system=off"],
    parsers: RAW_TEXT_PARSERS,
    ...(template ? { initDbStartParams: ["--wal-segsize=1"] } : {}),
  });
  await db.waitReady;
  if (template) {
    // A PGlite instance serves one database, `postgres`: its template databases only cost 15 MB in every copy.
    for (const statement of ["ALTER DATABASE template0 IS_TEMPLATE false", "ALTER DATABASE template1 IS_TEMPLATE false", "DROP DATABASE template0", "DROP DATABASE template1", "CHECKPOINT"]) {
      await db.exec(statement);
    }
    // The template's image for in-memory databases (db/pglite-template.ts).
    if (memoryImage) await writeFile(memoryImage, Buffer.from(await (await db.dumpDataDir("none")).arrayBuffer()));
  }
  port?.postMessage({ ready: true });
  // One request at a time: the main thread queues per branch, and PGlite has one connection anyway.
  port?.on("message", (request: WorkerRequest) => {
    void (async () => {
      let response: WorkerResponse;
      try {
        switch (request.kind) {
          case "query": {
            try {
              response = await runQuery(db, request);
            } catch (error) {
              response = { id: request.id, ok: false, error: sqlError(error) };
            }
            if (!(await endSession(db))) response.broken = true;
            break;
          }
          case "migrate":
            try {
              await db.transaction(async (tx) => {
                await tx.exec(request.sql);
              });
              response = { id: request.id, ok: true };
            } catch (error) {
              response = { id: request.id, ok: false, error: sqlError(error) };
            }
            if (!(await endSession(db))) response.broken = true;
            break;
          case "checkpoint":
            await db.exec("CHECKPOINT");
            response = { id: request.id, ok: true };
            break;
          case "close":
            await db.close();
            response = { id: request.id, ok: true };
            break;
        }
      } catch (error) {
        response = { id: request.id, ok: false, error: sqlError(error) };
      }
      port?.postMessage(response);
      // Closed: nothing keeps this thread alive any more, so it exits on its own (the engine waits for that).
      if (request.kind === "close" && response.ok) {
        port?.removeAllListeners("message");
        port?.unref();
      }
    })();
  });
}

main().catch((error: unknown) => {
  port.postMessage({ fatal: error instanceof Error ? error.message : String(error) });
});
