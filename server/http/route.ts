// Binds a row of the contract's endpoint table to a handler: parses params, query and body with the row's schemas,
// enforces authentication, permission, X-Project-ID and Idempotency-Key, and shapes the response with the row's schema.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import { ANY_METHODS, API_VERSION_PREFIX, type Endpoint } from "../../contract";
import type { ServerContext } from "../context";
import { badRequest, fromZodError, routeNotFound, unauthorized, type ApiError } from "../errors";
import { claimIdempotencyKey, settleIdempotencyKey, type IdempotencyClaim } from "./idempotency";
import { discardBody } from "./raw-body";
import { requirePermission, type Principal } from "./principal";

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
    authError?: ApiError;
    idempotency?: IdempotencyClaim | undefined;
  }
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
type In<S> = S extends z.ZodType ? z.input<S> : undefined;

export interface RouteInput<E> {
  params: E extends Endpoint<infer P, z.ZodType, z.ZodType, z.ZodType> ? Out<P> : never;
  query: E extends Endpoint<z.ZodType, infer Q, z.ZodType, z.ZodType> ? Out<Q> : never;
  body: E extends Endpoint<z.ZodType, z.ZodType, infer B, z.ZodType> ? Out<B> : never;
  /** Always set for `bearer` rows; possibly undefined for `none` and `bearer-or-signed` rows. */
  principal: Principal;
  request: FastifyRequest;
  reply: FastifyReply;
}
/** A success answered with another status than the row's (e.g. 200 when a create-or-update updated). */
export class WithStatus<T> {
  constructor(readonly status: 200 | 201, readonly body: T) {}
}

type RouteResult<E> = E extends Endpoint<z.ZodType, z.ZodType, z.ZodType, infer R> ? (E["status"] extends 204 ? void : In<R> | WithStatus<In<R>> | FastifyReply) : never;

function parse<S extends z.ZodType>(schema: S | undefined, input: unknown, status: 400 | 422, code: string): z.output<S> | undefined {
  if (!schema) return undefined;
  const result = schema.safeParse(input);
  if (!result.success) throw fromZodError(result.error, input, status, code);
  return result.data;
}

/** The principal, or the precise 401 that authentication found (missing, malformed, expired, revoked). */
function requirePrincipal(request: FastifyRequest): Principal {
  if (request.principal) return request.principal;
  throw request.authError ?? unauthorized("missing_token", "Authorization header is missing");
}

/** A Host header: a name or IPv4 address (letters, digits, '.', '-', '_', '~') or a bracketed IPv6 address, and a port. */
const HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function serve<E extends Endpoint>(app: FastifyInstance, ctx: ServerContext, row: E, handler: (input: RouteInput<E>) => Promise<RouteResult<E>>): void {
  const path = row.wildcard ? row.path.replace(`:${row.wildcard}`, "*") : row.path;
  app.route({
    method: row.anyMethod ? [...ANY_METHODS] : row.method,
    url: API_VERSION_PREFIX + path,
    exposeHeadRoute: row.head === true,
    // Answered before the body is read. The router takes an empty segment for a parameter (`/organizations/`,
    // `/projects//functions`): no such route. It also drops what follows '#', which is never part of a request
    // (RFC 9112 §3.2): refused, or DELETE /v1/projects/<id>#/env/KEY would delete the project. The URLs the API answers
    // (and the one a function is invoked with) are built from the Host header, so it must be a host.
    onRequest: (request, _reply, done) => {
      if (Object.values(request.params as Record<string, string>).includes("")) return done(routeNotFound(request));
      if (request.url.includes("#")) return done(badRequest("bad_url", "The URL must not contain '#': a fragment is not sent to a server (percent-encode it as %23)"));
      if (request.headers.host === undefined) return done(badRequest("missing_host", "The Host header is missing: the API builds the URLs it answers from it, and HTTP/1.1 requires it"));
      if (!HOST.test(request.headers.host)) return done(badRequest("bad_host", "The Host header must be a host name or address, with an optional port"));
      done();
    },
    handler: async (request, reply) => {
      // Fastify never reads a GET's body. Answered with it unread, a client that asked to close the connection lost a
      // large answer to the reset that followed (GET /v1/openapi.json with 1 MB of JSON attached): read it away first.
      const unreadBody = request.headers["content-length"] !== undefined || request.headers["transfer-encoding"] !== undefined;
      if ((request.method === "GET" || request.method === "HEAD") && !row.anyMethod && unreadBody) await discardBody(request.raw, request.routeOptions.bodyLimit);
      // A bad token is never overlooked in favour of a signed URL or a public bucket.
      if (row.auth === "bearer-or-signed" && request.authError) throw request.authError;
      const principal = row.auth === "bearer" ? requirePrincipal(request) : (request.principal as Principal);
      if (row.permission && request.principal) requirePermission(request.principal, row.permission);
      const rawParams = { ...(request.params as Record<string, unknown>) };
      if (row.wildcard) rawParams[row.wildcard] = rawParams["*"];
      delete rawParams["*"];
      const params = parse(row.params, rawParams, 400, "invalid_parameter") as Record<string, unknown> | undefined;
      const projectHeader = request.headers["x-project-id"];
      if (row.projectScoped && projectHeader !== undefined && projectHeader !== params?.["id"]) {
        throw badRequest("project_mismatch", `X-Project-ID "${String(projectHeader)}" does not match the project in the path "${String(params?.["id"])}"`, { field: "X-Project-ID", constraint: "matches_path" });
      }
      const query = parse(row.query, request.query, 400, "invalid_parameter");
      // A POST without a body is validated as {}, so the error names the missing fields.
      const body = parse(row.body, request.body === undefined ? {} : request.body, 422, "validation_error");

      if (request.method === "POST" && !row.anyMethod) {
        const claim = await claimIdempotencyKey(ctx, request, reply, principal?.credentialScope ?? `ip:${request.ip}`);
        if (claim === undefined) return reply;
        if (claim !== "absent") request.idempotency = claim;
      }

      const result: unknown = await handler({ params, query, body, principal, request, reply } as RouteInput<E>);
      // A handler that answered itself (a stream, another status) returns the reply, which `await` waits on until the
      // answer ends, or until the client leaves before (a download whose bytes it all has): then it is sent, not ended.
      if (result === reply || reply.sent || reply.raw.headersSent) return reply;
      if (row.status === 204) return reply.code(204).send();
      const [status, payload] = result instanceof WithStatus ? [result.status, result.body as unknown] : [row.status, result];
      // Responses are shaped by the contract: a field the contract does not name never leaves the server.
      return reply.code(status).send(row.response ? row.response.parse(payload) : payload);
    },
  });
}

/** Called from onSend: records the response of a request that claimed an Idempotency-Key. */
export async function settleIdempotency(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
  const claim = request.idempotency;
  if (!claim || reply.getHeader("Idempotent-Replayed")) return;
  request.idempotency = undefined;
  const contentType = reply.getHeader("content-type");
  await settleIdempotencyKey(ctx, claim, reply.statusCode, typeof contentType === "string" ? contentType : undefined, typeof payload === "string" ? payload : "");
}
