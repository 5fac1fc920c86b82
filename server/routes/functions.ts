// Function routes: create, read, update (a draft), delete, deploy (an immutable version), invoke, logs.
import type { FastifyInstance } from "fastify";
import { functionEndpoints as api } from "../../contract";
import { iso, publicBaseUrl, type ServerContext } from "../context";
import type { Queryable } from "../db/sql";
import { ApiError, conflict, notFound } from "../errors";
import type { LogLine } from "../functions/runtime";
import { MODULE_LOAD_TIMEOUT_MS, runFunction } from "../functions/runtime";
import { rawBodyScope, readBody } from "../http/raw-body";
import { ownEarlierWrite, writeKeyOf } from "../http/idempotency";
import { serve } from "../http/route";
import { projectAccess } from "../services/access";
import { newId, sha256 } from "../services/crypto";
import { envValuesFor } from "../store/env";
import { queryPage } from "../store/page";

/** Invocation bodies are read whole, as a serverless platform does (AWS Lambda: 6 MB). */
const MAX_INVOCATION_BODY = 6 * 1024 * 1024;
/** Loading a module to check it should be quick; this bounds a module whose top level never returns. */
/** Response headers that describe the hop, not the function's answer. */
const HOP_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "proxy-authenticate", "proxy-authorization", "te", "trailer"]);
/**
 * Headers a function's response may not set: the API's own (request id, rate limits, replay, ours), and what would
 * act for the API's origin in a browser (cookies, CORS).
 */
const isReservedHeader = (name: string): boolean =>
  HOP_HEADERS.has(name) || name === "x-request-id" || name === "set-cookie" || name === "idempotent-replayed" || /^(x-ratelimit-|x-lubes-|access-control-)/.test(name);

export interface FunctionRow {
  id: string;
  project_id: string;
  slug: string;
  name: string;
  runtime: "nodejs20";
  source: string;
  source_sha256: string;
  timeout_ms: number;
  memory_mb: number;
  live_version: number | null;
  created_at: Date;
  updated_at: Date;
}

const toFunction = (row: FunctionRow) => ({
  id: row.id, project_id: row.project_id, slug: row.slug, name: row.name, runtime: row.runtime, source: row.source, source_sha256: row.source_sha256,
  timeout_ms: row.timeout_ms, memory_mb: row.memory_mb, live_version: row.live_version, created_at: iso(row.created_at), updated_at: iso(row.updated_at),
});

interface LogRow {
  created_at: Date;
  level: "debug" | "info" | "warn" | "error";
  kind: "deploy" | "runtime";
  message: string;
  version: number | null;
  invocation_id: string | null;
}

const toLogLine = (row: LogRow) => ({ timestamp: iso(row.created_at), level: row.level, kind: row.kind, message: row.message, version: row.version, invocation_id: row.invocation_id });

async function findFunction(db: Queryable, projectId: string, slug: string): Promise<FunctionRow> {
  const row = (await db.query<FunctionRow>("SELECT * FROM functions WHERE project_id = $1 AND slug = $2", [projectId, slug])).rows[0];
  if (!row) throw notFound("Function", slug);
  return row;
}

/**
 * What an invocation runs: the function, its live source, the production variables and their digest (the warm
 * process's key). Read through the cache, so invoking an unchanged function reads nothing from the database.
 */
function liveRelease(ctx: ServerContext, projectId: string, slug: string): Promise<{ fn: FunctionRow; source: string | null; env: Record<string, string>; envDigest: string }> {
  return ctx.cache.get(`live-release:${projectId}:${slug}`, async () => {
    const fn = await findFunction(ctx.sql, projectId, slug);
    if (fn.live_version === null) return { fn, source: null, env: {}, envDigest: "" };
    const live = (await ctx.sql.query<{ source: string }>("SELECT source FROM function_versions WHERE function_id = $1 AND version = $2", [fn.id, fn.live_version])).rows[0];
    if (!live) throw notFound("Function version", String(fn.live_version));
    const env = await envValuesFor(ctx, ctx.sql, projectId, "production");
    return { fn, source: live.source, env, envDigest: sha256(JSON.stringify(env)) };
  });
}

async function writeLogs(db: Queryable, functionId: string, kind: "deploy" | "runtime", version: number | null, invocationId: string | null, lines: readonly LogLine[]): Promise<void> {
  if (lines.length === 0) return;
  await db.query(
    `INSERT INTO function_logs (function_id, version, invocation_id, kind, level, message, created_at)
     SELECT $1, $2, $3, $4, level, message, at FROM unnest($5::text[], $6::text[], $7::timestamptz[]) AS l(level, message, at)`,
    [functionId, version, invocationId, kind, lines.map((l) => l.level), lines.map((l) => l.message), lines.map((l) => l.at)],
  );
}

export function functionRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  serve(app, ctx, api.list, async ({ principal, params, query }) => {
    await projectAccess(ctx, principal, params.id, "read");
    return queryPage(ctx.sql, { fromWhere: "FROM functions WHERE project_id = $1", orderBy: "slug", params: [params.id] }, query, toFunction);
  });

  serve(app, ctx, api.create, async ({ principal, params, body, request }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const earlier = await ownEarlierWrite<FunctionRow>(ctx, request, "functions", "project_id = $2 AND slug = $3", [params.id, body.slug]);
    if (earlier) return toFunction(earlier);
    const { rows } = await ctx.sql.query<FunctionRow>(
      `INSERT INTO functions (id, project_id, slug, name, runtime, source, source_sha256, timeout_ms, memory_mb, write_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (project_id, slug) DO NOTHING RETURNING *`,
      [newId("fn"), params.id, body.slug, body.name ?? body.slug, body.runtime, body.source, sha256(body.source), body.timeout_ms, body.memory_mb, writeKeyOf(request)],
    );
    if (!rows[0]) throw conflict("function_exists", `Function "${body.slug}" already exists in project ${params.id}`, { field: "slug" });
    return toFunction(rows[0]);
  });

  serve(app, ctx, api.get, async ({ principal, params }) => {
    await projectAccess(ctx, principal, params.id, "read");
    return toFunction(await findFunction(ctx.sql, params.id, params.slug));
  });

  serve(app, ctx, api.update, async ({ principal, params, body }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const current = await findFunction(ctx.sql, params.id, params.slug);
    const { rows } = await ctx.sql.query<FunctionRow>(
      `UPDATE functions SET name = coalesce($2, name), source = coalesce($3, source), source_sha256 = coalesce($4, source_sha256),
         timeout_ms = coalesce($5, timeout_ms), memory_mb = coalesce($6, memory_mb), updated_at = now() WHERE id = $1 RETURNING *`,
      [current.id, body.name ?? null, body.source ?? null, body.source ? sha256(body.source) : null, body.timeout_ms ?? null, body.memory_mb ?? null],
    );
    return toFunction(rows[0] as FunctionRow);
  });

  serve(app, ctx, api.delete, async ({ principal, params }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const { rowCount } = await ctx.sql.query("DELETE FROM functions WHERE project_id = $1 AND slug = $2", [params.id, params.slug]);
    if (rowCount === 0) throw notFound("Function", params.slug);
  });

  serve(app, ctx, api.deploy, async ({ principal, params, request }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const fn = await findFunction(ctx.sql, params.id, params.slug);
    const earlier = await ownEarlierWrite<{ version: number; checksum: string; deployed_at: Date }>(ctx, request, "function_versions", "function_id = $2", [fn.id]);
    if (earlier) return { function_id: fn.id, slug: fn.slug, version: earlier.version, checksum: earlier.checksum, deployed_at: iso(earlier.deployed_at), live: fn.live_version === earlier.version };
    const check = await runFunction({ source: fn.source, check: true }, {}, { timeoutMs: MODULE_LOAD_TIMEOUT_MS, memoryMb: fn.memory_mb });
    if (check.kind !== "checked") {
      const message = check.kind === "response" ? "unexpected response" : check.message;
      await writeLogs(ctx.sql, fn.id, "deploy", fn.live_version, null, [...check.logs, { level: "error", message: `Deploy failed: ${message}`, at: new Date() }]);
      throw new ApiError(422, "deploy_failed", `Function "${fn.slug}" did not load, so it was not deployed${fn.live_version ? ` (version ${fn.live_version} stays live)` : ""}: ${message.split("\n")[0] ?? ""}`, {
        error: message, live_version: fn.live_version,
      });
    }
    const version = await ctx.sql.transaction(async (tx) => {
      const { rows } = await tx.query<{ version: number; deployed_at: Date }>(
        `INSERT INTO function_versions (function_id, version, source, checksum, write_key)
         SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4 FROM function_versions WHERE function_id = $1
         RETURNING version, deployed_at`,
        [fn.id, fn.source, fn.source_sha256, writeKeyOf(request)],
      );
      const row = rows[0] as { version: number; deployed_at: Date };
      await tx.query("UPDATE functions SET live_version = $2, updated_at = now() WHERE id = $1", [fn.id, row.version]);
      await writeLogs(tx, fn.id, "deploy", row.version, null, [...check.logs, { level: "info", message: `Deployed version ${row.version} (sha256 ${fn.source_sha256.slice(0, 12)})`, at: new Date() }]);
      return row;
    });
    return { function_id: fn.id, slug: fn.slug, version: version.version, checksum: fn.source_sha256, deployed_at: iso(version.deployed_at), live: true };
  });

  serve(app, ctx, api.versions, async ({ principal, params, query }) => {
    await projectAccess(ctx, principal, params.id, "read");
    const fn = await findFunction(ctx.sql, params.id, params.slug);
    return queryPage(ctx.sql, { select: "version, checksum, deployed_at", fromWhere: "FROM function_versions WHERE function_id = $1", orderBy: "version DESC", params: [fn.id] }, query, (row: { version: number; checksum: string; deployed_at: Date }) => ({
      function_id: fn.id, slug: fn.slug, version: row.version, checksum: row.checksum, deployed_at: iso(row.deployed_at), live: fn.live_version === row.version,
    }));
  });

  serve(app, ctx, api.logs, async ({ principal, params, query }) => {
    await projectAccess(ctx, principal, params.id, "read");
    const fn = await findFunction(ctx.sql, params.id, params.slug);
    const values: unknown[] = [fn.id];
    let where = "FROM function_logs WHERE function_id = $1";
    if (query.since) {
      values.push(new Date(query.since));
      where += ` AND created_at >= $${values.length}`;
    }
    return queryPage(ctx.sql, { fromWhere: where, orderBy: "created_at DESC, id DESC", params: values }, query, toLogLine);
  });

  return rawBodyScope(app, (scope) => {
    serve(scope, ctx, api.invoke, async ({ principal, params, request, reply }) => {
      await projectAccess(ctx, principal, params.id, "read");
      const { fn, source, env, envDigest } = await liveRelease(ctx, params.id, params.slug);
      if (source === null) throw conflict("not_deployed", `Function "${fn.slug}" has never been deployed; deploy it first with POST .../functions/${fn.slug}/deploy`);
      const body = await readBody(request.raw, MAX_INVOCATION_BODY);
      const headers = Object.entries(request.headers)
        .filter(([name]) => name !== "authorization" && name !== "x-project-id")
        .flatMap(([name, value]) => (Array.isArray(value) ? value.map((v) => [name, v] as [string, string]) : value === undefined ? [] : [[name, value] as [string, string]]));
      const query = request.url.includes("?") ? request.url.slice(request.url.indexOf("?")) : "";
      const invocationId = newId("inv");
      const release = ctx.invocations.take(params.id);
      const outcome = await runFunction(
        { source, request: { method: request.method, url: `${publicBaseUrl(ctx, request)}/projects/${params.id}/functions/${fn.slug}/invoke${query}`, headers, body: body.length > 0 ? body : null } },
        env,
        { timeoutMs: fn.timeout_ms, memoryMb: fn.memory_mb },
        { pool: ctx.sandboxes, key: [fn.id, fn.live_version, fn.timeout_ms, fn.memory_mb, envDigest].join(":") },
      ).finally(release);
      const failure = outcome.kind === "response" || outcome.kind === "checked" ? [] : [{ level: "error" as const, message: outcome.message, at: new Date() }];
      const reserved = outcome.kind === "response" ? [...new Set(outcome.headers.map(([name]) => name.toLowerCase()).filter(isReservedHeader))] : [];
      const dropped = reserved.length > 0 ? [{ level: "warn" as const, message: `response headers the API keeps for itself were dropped: ${reserved.join(", ")}`, at: new Date() }] : [];
      await writeLogs(ctx.sql, fn.id, "runtime", fn.live_version, invocationId, [...outcome.logs, ...failure, ...dropped]);
      reply.header("X-Lubes-Invocation-Id", invocationId).header("X-Lubes-Function-Version", String(fn.live_version));
      if (outcome.kind === "response") {
        for (const [name, value] of outcome.headers) if (!isReservedHeader(name.toLowerCase())) reply.header(name, value);
        return reply.code(outcome.status).send(Buffer.from(outcome.body));
      }
      const details = { invocation_id: invocationId, version: fn.live_version };
      if (outcome.kind === "timeout") throw new ApiError(504, "function_timeout", outcome.message, details);
      if (outcome.kind === "out_of_memory") throw new ApiError(502, "function_out_of_memory", outcome.message, details);
      throw new ApiError(502, "function_error", `Function "${fn.slug}" failed: ${outcome.kind === "error" ? outcome.message.split("\n")[0] ?? "" : ""} (see its logs)`, details);
    });
  });
}
