// The OpenAPI document, a health check, and (LUBES_DEV=1 only) the dev outbox.
import type { FastifyInstance } from "fastify";
import { buildOpenApiDocument, devEndpoints, endpoints, metaEndpoints } from "../../contract";
import { iso, type ServerContext } from "../context";
import { serve } from "../http/route";

export function metaRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const rows = ctx.options.dev ? [...endpoints, ...Object.values(devEndpoints)] : endpoints;
  // Relative when no public URL is configured: OpenAPI resolves it against where the document was fetched.
  const document = buildOpenApiDocument(rows, ctx.options.publicUrl ?? "/v1");
  serve(app, ctx, metaEndpoints.openapi, () => Promise.resolve(document));

  serve(app, ctx, metaEndpoints.health, async () => {
    await ctx.sql.query("SELECT 1");
    return { status: "ok" as const, database: ctx.sql.engine };
  });

  if (ctx.options.dev) {
    serve(app, ctx, devEndpoints.outbox, async ({ query }) => {
      const { rows } = await ctx.sql.query<{ recipient: string; subject: string; body: string; token: string | null; created_at: Date }>(
        "SELECT recipient, subject, body, token, created_at FROM dev_outbox WHERE recipient = $1 ORDER BY id DESC LIMIT 50",
        [query.email.trim().toLowerCase()],
      );
      return { data: rows.map((row) => ({ ...row, created_at: iso(row.created_at) })) };
    });
  }
}
