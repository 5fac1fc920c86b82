// Builds lubes-server as a Fastify app without listening: main.ts listens, tests build one per suite.
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { DEFAULT_MAX_OBJECT_BYTES, type FaultRule, type ServerOptions } from "./config";
import { loadKeys, type ServerContext } from "./context";
import { ReadCache, invalidatingWrites } from "./db/read-cache";
import { Liveness } from "./db/liveness";
import { migrateControlPlane } from "./db/schema";
import { openPglite, openPostgres, type Sql } from "./db/sql";
import { ApiError, routeNotFound } from "./errors";
import { sweepIdempotencyRecords } from "./http/idempotency";
import { authenticate } from "./http/principal";
import { applyRateLimit, databaseRateWindows, memoryRateWindows, rateScope, sweepRateLimits } from "./http/rate-limit";
import { settleIdempotency } from "./http/route";
import { apiKeyRoutes } from "./routes/api-keys";
import { authRoutes } from "./routes/auth";
import { dashboardRoutes, isApiPath, isPageRequest } from "./routes/dashboard";
import { databaseRoutes } from "./routes/database";
import { deploymentRoutes } from "./routes/deployments";
import { envRoutes } from "./routes/env";
import { functionRoutes } from "./routes/functions";
import { metaRoutes } from "./routes/meta";
import { organizationRoutes } from "./routes/organizations";
import { projectRoutes } from "./routes/projects";
import { registerStorageRoutes } from "./routes/storage";
import { newId } from "./services/crypto";
import { DeployBuilder } from "./services/deploy-builder";
import { devOutboxMailer, logOnlyMailer, smtpMailer } from "./services/mailer";
import { SandboxPool } from "./functions/pool";
import { DEFAULT_MAX_INVOCATIONS, DEFAULT_MAX_INVOCATIONS_PER_PROJECT, InvocationSlots } from "./functions/slots";
import { ObjectStore } from "./services/object-store";
import { PARTIAL_IDLE_MS, releaseInterruptedWork } from "./services/recovery";
import { backfillSecretDigests } from "./store/env";
import { sweepExpiredSessions } from "./store/sessions";
import { createHmac } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import path from "node:path";
import { openProjectDatabases } from "./databases";
import { DEFAULT_QUERY_LIMITS, type ProjectDatabases } from "./databases/types";

declare module "fastify" {
  interface FastifyInstance {
    lubes: ServerContext;
  }
}

/** JSON bodies above this are refused with 413 (object uploads have their own limit). */
export const JSON_BODY_LIMIT = 1024 * 1024;
const SWEEP_INTERVAL_MS = 60_000;

async function openControlPlane(options: ServerOptions): Promise<Sql> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl);
  return openPglite(options.dataDir ? path.join(options.dataDir, "control-plane") : undefined);
}

/** The reference's envelope: `details` always there, `{}` when there is nothing to add. */
function errorEnvelope(code: string, message: string, details: Record<string, unknown> = {}) {
  return { error: { code, message, details } };
}

/**
 * A request Node's HTTP parser refuses (a byte outside ASCII in the URL, an unknown method, headers over 16 KiB) never
 * reaches Fastify's hooks: it is answered here, on the socket, in the envelope like every other error (Fastify's own
 * answer is `{"error":"Bad Request","message":"Client Error"}`), and the connection is closed.
 */
function answerClientError(error: Error & { code?: string | undefined; rawPacket?: unknown }, socket: Duplex): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  // An answer to HEAD has no body (the client would read one as the start of the next answer).
  const head = Buffer.isBuffer(error.rawPacket) && error.rawPacket.toString("latin1", 0, 5) === "HEAD ";
  const [status, code, message] =
    error.code === "HPE_HEADER_OVERFLOW" ? [431, "headers_too_large", "The request's headers are larger than 16 KiB"]
    : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? [408, "request_timeout", "The request was not received in time"]
    : [400, "bad_request", "The request is not valid HTTP (its method, URL or headers)"];
  const body = JSON.stringify(errorEnvelope(code, message, { reason: error.code ?? "unknown" }));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${newId("req")}\r\nConnection: close\r\n\r\n${head ? "" : body}`);
  }
  socket.destroy();
}

/** JSON bodies nested deeper than this are refused: what reads them (hashes, database parameters) recurses. */
export const MAX_JSON_DEPTH = 100;

/** True when arrays and objects in JSON text nest deeper than `limit` (brackets inside strings do not count). */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Fastify's JSON parser (with its guard against prototype poisoning), except that an empty body is no body: clients
 * send `Content-Type: application/json` on every request, as the reference says, also where there is nothing to send
 * (deploy, rollback, logout). A route that needs a body then names the missing fields (422). A body nested deeper
 * than MAX_JSON_DEPTH is a 400 before it is parsed.
 */
function acceptEmptyJson(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (body === "") return done(null, undefined);
    if (nestsDeeperThan(body as string, MAX_JSON_DEPTH)) {
      return done(Object.assign(new Error(`Request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`), { statusCode: 400, code: "JSON_TOO_DEEP" }));
    }
    void parseJson(request, body as string, done);
  });
}

function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers ?? {})) reply.header(name, value);
  return reply.code(error.status).send(errorEnvelope(error.code, error.message, error.details));
}

/** Every error leaves in the seed's envelope; bad input is a 4xx, and a 5xx never shows its internals. */
function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    // Fastify reads the body before it finds there is no route: what is wrong with a body nothing will use is no news.
    if (request.is404 && !(error instanceof ApiError) && (error instanceof SyntaxError || (error.statusCode ?? 500) < 500)) {
      return sendError(reply, routeNotFound(request));
    }
    if (error instanceof ApiError) return sendError(reply, error);
    switch (error.code) {
      case "FST_REQ_FILE_TOO_LARGE":
        return reply.code(413).send(errorEnvelope("payload_too_large", "The uploaded file is larger than the object size limit"));
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return reply.code(413).send(errorEnvelope("payload_too_large", `Request body is larger than ${JSON_BODY_LIMIT} bytes`, { limit: JSON_BODY_LIMIT }));
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return reply.code(400).send(errorEnvelope("unsupported_media_type", `Content-Type "${request.headers["content-type"] ?? ""}" is not supported; send application/json`));
      case "FST_ERR_CTP_INVALID_JSON_BODY":
        return reply.code(400).send(errorEnvelope("malformed_json", "Request body is not valid JSON"));
    }
    if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
      return reply.code(400).send(errorEnvelope("malformed_json", "Request body is not valid JSON"));
    }
    // Postgres class 22 (data exception: a NUL byte, a number out of range) is bad input that got past validation.
    if (typeof error.code === "string" && /^22[0-9A-Z]{3}$/.test(error.code)) {
      return reply.code(400).send(errorEnvelope("invalid_input", "A value in the request cannot be stored (for example a NUL character or a number out of range)"));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorEnvelope((error.code ?? "bad_request").toLowerCase(), error.message));
    }
    request.log.error({ err: error }, "request failed");
    return reply.code(500).send(errorEnvelope("internal_error", "Internal server error; report the request id if it persists", { request_id: request.id }));
  });
}

/** The dashboard's page for a browser's page paths; the API's 404 envelope for everything else no route answers. */
async function installDashboard(app: FastifyInstance): Promise<void> {
  const sendPage = await dashboardRoutes(app);
  app.setNotFoundHandler((request, reply) => (isPageRequest(request) ? sendPage(reply) : sendError(reply, routeNotFound(request))));
}

/**
 * Runs before every route, unknown routes included: tags the request, identifies the caller (a bad token is kept
 * for the route to report, so public routes still work), and counts the request against its rate limit.
 */
function installRequestHooks(app: FastifyInstance, ctx: ServerContext): void {
  app.addHook("onRequest", async (request, reply) => {
    reply.header("X-Request-Id", request.id);
    // The server's own clock, which X-RateLimit-Reset and every timestamp follow: a client measures the time left in
    // a rate-limit window against it (Node would stamp the machine's clock, which differs under a test's clock).
    reply.header("Date", ctx.options.now().toUTCString());
    // The dashboard's files and pages are not the API: no caller to identify, nothing counted against a plan.
    if (!isApiPath(request.url)) return;
    if (request.headers.authorization !== undefined) {
      try {
        request.principal = await authenticate(ctx, request.headers.authorization);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        request.authError = error;
      }
    }
    const { bucket, plan } = await rateScope(ctx, request, request.principal);
    await applyRateLimit(ctx, reply, bucket, plan);
  });

  app.addHook("onSend", async (request, reply, payload) => {
    await settleIdempotency(ctx, request, reply, payload);
    return payload;
  });
  installFaults(app, ctx.options.faults);
  if (ctx.options.logger) installRequestLog(app);
}

/**
 * One line per answered request: method, path, status, time. The query string is left out: a signed URL's
 * signature is a credential, and nothing else a client puts there is worth a log line.
 */
function installRequestLog(app: FastifyInstance): void {
  app.addHook("onResponse", (request, reply, done) => {
    request.log.info({ method: request.method, path: request.url.split("?")[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, "request");
    done();
  });
}

/**
 * Reliability tests (see `Faults`): the rules are read on every request, so `PUT /v1/admin/faults` changes them on a
 * running server. An injected answer says it was injected, in the envelope its real counterpart uses.
 */
function installFaults(app: FastifyInstance, faults: ServerOptions["faults"]): void {
  if (!faults) return;
  const spared = (request: FastifyRequest) => /\/v1\/(health|openapi\.json|admin\/faults)$/.test(request.url.split("?")[0] ?? "");
  const strikes = (rule: FaultRule | undefined, request: FastifyRequest) =>
    rule !== undefined && !spared(request) && (typeof rule === "number" ? Math.random() < rule : rule({ method: request.method, url: request.url }));
  const injected = (what: string) => `Fault injected by LUBES_FAULTS (${what}): retry`;
  app.addHook("preHandler", async (request, reply) => {
    const { delay, reset, rateLimit, badGateway, fail, cut } = faults.rules;
    if (delay && !spared(request) && (delay.when?.({ method: request.method, url: request.url }) ?? true)) {
      await new Promise((resolve) => setTimeout(resolve, delay.minMs + Math.random() * (delay.maxMs - delay.minMs)));
    }
    if (strikes(reset, request)) {
      // Nothing runs: the client sees its connection closed before any answer.
      request.raw.socket.destroy();
      throw new ApiError(503, "injected_fault", injected("reset"));
    }
    if (strikes(rateLimit, request)) {
      const resetAt = Number(reply.getHeader("X-RateLimit-Reset"));
      const retryAfter = String(Math.max(1, Math.ceil(resetAt - Date.now() / 1000)));
      reply.header("X-RateLimit-Remaining", "0");
      throw new ApiError(429, "rate_limit_exceeded", injected("rate limit"), { limit: Number(reply.getHeader("X-RateLimit-Limit")), reset: resetAt, injected: true }, { "Retry-After": retryAfter });
    }
    if (strikes(badGateway, request)) throw new ApiError(502, "injected_fault", injected("bad gateway"));
    if (strikes(fail, request)) throw new ApiError(503, "injected_fault", injected("unavailable"));
    // The client loses its connection; the handling goes on and is recorded.
    if (strikes(cut, request)) request.raw.socket.destroy();
  });
  app.addHook("onSend", async (request, reply, payload) => {
    if (reply.statusCode < 500 && strikes(faults.rules.drop, request)) {
      // The work is done and recorded; the client never hears of it.
      reply.raw.destroy();
    }
    return payload;
  });
}

export async function buildApp(options: ServerOptions): Promise<FastifyInstance> {
  const controlPlane = await openControlPlane(options);
  // The embedded control plane is this process's alone (its data dir is locked): what it reads can stay in memory,
  // and what it finds in progress at start-up was left by a process that died.
  const ownsDataDir = controlPlane.engine === "pglite";
  const cache = new ReadCache(ownsDataDir);
  const sql = invalidatingWrites(controlPlane, cache);
  let databases: ProjectDatabases | undefined;
  let liveness: Liveness | undefined;
  try {
    await migrateControlPlane(sql);
    const app = Fastify({
      // One line per request (installRequestLog), without the process's pid and host on every line.
      logger: options.logger ? { level: "info", base: null, ...(options.logStream ? { stream: options.logStream } : {}) } : false,
      logController: new LogController({ disableRequestLogging: true }),
      // HEAD only where a row says so (contract `head`): the document describes every method the server answers.
      exposeHeadRoutes: false,
      bodyLimit: JSON_BODY_LIMIT,
      genReqId: () => newId("req"),
      clientErrorHandler: answerClientError,
      // Node would refuse a request without Host itself, with an empty 400; the routes refuse it in the envelope.
      http: { requireHostHeader: false },
      requestIdHeader: false,
      routerOptions: { maxParamLength: 500 },
      // Errors the router raises before any hook runs (an undecodable URL, an overlong path segment): still the envelope.
      frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
        const code = error.code === "FST_ERR_MAX_PARAM_LENGTH" ? "invalid_parameter" : "bad_url";
        void reply.code(400).header("X-Request-Id", request.id).send(errorEnvelope(code, code === "bad_url" ? "The URL cannot be decoded" : "A path segment is too long"));
      },
    });
    const keys = await loadKeys(sql, options);
    if (options.databaseUrl) liveness = await Liveness.start(options.databaseUrl, (message) => app.log.warn(message));
    databases = await openProjectDatabases({
      dataDir: options.dataDir,
      databaseUrl: options.databaseUrl,
      limits: options.queryLimits ?? DEFAULT_QUERY_LIMITS,
      maxOpen: options.maxOpenDatabases ?? 8,
      idleMs: options.databaseIdleMs ?? 60_000,
      rolePassword: (projectId) => createHmac("sha256", keys.dbRoles).update(projectId).digest("hex"),
    });
    const projectDatabases = databases;
    const ctx: ServerContext = {
      sql,
      cache,
      rateWindows: cache.enabled ? memoryRateWindows() : databaseRateWindows(sql),
      databases: projectDatabases,
      objects: ObjectStore.open(options.dataDir, options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES),
      sandboxes: new SandboxPool(),
      invocations: new InvocationSlots(options.maxInvocations ?? DEFAULT_MAX_INVOCATIONS, options.maxInvocationsPerProject ?? DEFAULT_MAX_INVOCATIONS_PER_PROJECT),
      builder: { kick: () => undefined },
      options,
      keys,
      instance: liveness?.instance ?? null,
      mailer: options.smtp
        ? smtpMailer(options.smtp, (message) => app.log.warn(message))
        : options.dev ? devOutboxMailer(sql) : logOnlyMailer((message) => app.log.info(message)),
    };
    await backfillSecretDigests(ctx);
    if (ownsDataDir) await releaseInterruptedWork(ctx, app.log);
    app.decorate("lubes", ctx);
    installErrorHandlers(app);
    acceptEmptyJson(app);
    installRequestHooks(app, ctx);
    for (const routes of [metaRoutes, authRoutes, apiKeyRoutes, organizationRoutes, projectRoutes, envRoutes, databaseRoutes]) routes(app, ctx);
    await registerStorageRoutes(app, ctx);
    await functionRoutes(app, ctx);
    deploymentRoutes(app, ctx);
    await installDashboard(app);
    const builder = new DeployBuilder(ctx, app.log);
    if (options.buildDeployments !== false) {
      ctx.builder = builder;
      builder.start();
    }

    const sweep = setInterval(() => {
      Promise.all([sweepRateLimits(ctx), sweepIdempotencyRecords(ctx), sweepExpiredSessions(ctx), ctx.objects.removeStalePartials(PARTIAL_IDLE_MS)]).catch((error: unknown) => app.log.warn({ err: error }, "sweep failed"));
    }, SWEEP_INTERVAL_MS);
    sweep.unref();
    app.addHook("onClose", async () => {
      clearInterval(sweep);
      ctx.sandboxes.close();
      await builder.stop();
      await projectDatabases.close();
      ctx.objects.close();
      await liveness?.close();
      await sql.close();
    });
    return app;
  } catch (error) {
    // Whatever was opened before the failure is closed, so a failed start leaves no worker or lock behind.
    await databases?.close().catch(() => undefined);
    await liveness?.close();
    await sql.close();
    throw error;
  }
}
