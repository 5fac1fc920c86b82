// The OpenAPI document, a health check, (LUBES_DEV=1 only) the dev outbox, and (LUBES_FAULTS set only) fault switching.
import type { FastifyInstance } from "fastify";
import { devEndpoints, faultEndpoints, metaEndpoints, servedEndpoints } from "../../contract";
import { parseFaults } from "../config";
import { buildOpenApiDocument } from "../openapi";
import { iso, type ServerContext } from "../context";
import { ApiError, validation } from "../errors";
import { serve } from "../http/route";

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
const isLoopback = (address: string | undefined): boolean => !!address && (/^(::ffff:)?127\./.test(address) || address === "::1");

export function metaRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const served = { dev: ctx.options.dev === true, faults: ctx.options.faults !== undefined };
  const rows = servedEndpoints(served);
  // Relative when no public URL is configured: OpenAPI resolves it against where the document was fetched.
  const document = buildOpenApiDocument(rows, ctx.options.publicUrl ?? "/v1", served);
  serve(app, ctx, metaEndpoints.openapi, () => Promise.resolve(document));

  serve(app, ctx, metaEndpoints.health, async () => {
    await ctx.sql.query("SELECT 1");
    return { status: "ok" as const, database: ctx.sql.engine };
  });

  if (ctx.options.dev) {
    // The outbox holds every user's reset tokens: only this machine may read it.
    serve(app, ctx, devEndpoints.outbox, async ({ query, request }) => {
      if (!isLoopback(request.socket.remoteAddress)) throw new ApiError(403, "forbidden", "The dev outbox answers only to loopback clients (127.0.0.0/8, ::1): it holds every user's reset tokens");
      const { rows } = await ctx.sql.query<{ recipient: string; subject: string; body: string; token: string | null; created_at: Date }>(
        "SELECT recipient, subject, body, token, created_at FROM dev_outbox WHERE recipient = $1 ORDER BY id DESC LIMIT 50",
        [query.email.trim().toLowerCase()],
      );
      return { data: rows.map((row) => ({ ...row, created_at: iso(row.created_at) })) };
    });
  }

  const faults = ctx.options.faults;
  if (faults) {
    const loopbackOnly = (address: string | undefined) => {
      if (!isLoopback(address)) throw new ApiError(403, "forbidden", "Fault injection answers only to loopback clients (127.0.0.0/8, ::1)");
    };
    serve(app, ctx, faultEndpoints.get, ({ request }) => {
      loopbackOnly(request.socket.remoteAddress);
      return Promise.resolve({ faults: faults.text });
    });
    serve(app, ctx, faultEndpoints.set, ({ body, request }) => {
      loopbackOnly(request.socket.remoteAddress);
      try {
        faults.rules = parseFaults(body.faults);
      } catch (error) {
        throw validation("faults", "format", error instanceof Error ? error.message : String(error));
      }
      faults.text = body.faults;
      request.log.warn({ faults: faults.text }, "faults changed");
      return Promise.resolve({ faults: faults.text });
    });
  }
}
