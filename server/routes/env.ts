// Environment variable routes: list, set (create or update the key; create only with `If-None-Match: *`), delete.
import type { FastifyInstance } from "fastify";
import { envEndpoints as api } from "../../contract";
import type { ServerContext } from "../context";
import { notFound } from "../errors";
import { alreadyExists, createOnly } from "../http/preconditions";
import { ownEarlierWrite, writeKeyOf } from "../http/idempotency";
import { WithStatus, serve } from "../http/route";
import { allows, projectAccess } from "../services/access";
import { toEnvVar, upsertEnvVar, type EnvVarRow } from "../store/env";
import { queryPage } from "../store/page";

export function envRoutes(app: FastifyInstance, ctx: ServerContext): void {
  serve(app, ctx, api.list, async ({ principal, params, query }) => {
    const { role } = await projectAccess(ctx, principal, params.id, "read");
    return queryPage(ctx.sql, { fromWhere: "FROM env_vars WHERE project_id = $1", orderBy: "key", params: [params.id] }, query, toEnvVar(ctx, allows(principal, role, "write")));
  });

  serve(app, ctx, api.get, async ({ principal, params }) => {
    const { role } = await projectAccess(ctx, principal, params.id, "read");
    const { rows } = await ctx.sql.query<EnvVarRow>("SELECT * FROM env_vars WHERE project_id = $1 AND key = $2", [params.id, params.key]);
    if (!rows[0]) throw notFound("Environment variable", params.key);
    return toEnvVar(ctx, allows(principal, role, "write"))(rows[0]);
  });

  serve(app, ctx, api.set, async ({ principal, params, body, request }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const onlyIfAbsent = createOnly(request);
    const earlier = onlyIfAbsent ? await ownEarlierWrite<EnvVarRow>(ctx, request, "env_vars", "project_id = $2 AND key = $3", [params.id, body.key]) : undefined;
    if (earlier) return new WithStatus(201, toEnvVar(ctx, true)(earlier));
    const row = await upsertEnvVar(ctx, params.id, body, onlyIfAbsent, writeKeyOf(request));
    if (!row) throw alreadyExists(`Environment variable ${body.key} already exists in project ${params.id}`, { key: body.key });
    return new WithStatus(row.created ? 201 : 200, toEnvVar(ctx, true)(row));
  });

  serve(app, ctx, api.delete, async ({ principal, params }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const { rowCount } = await ctx.sql.query("DELETE FROM env_vars WHERE project_id = $1 AND key = $2", [params.id, params.key]);
    if (rowCount === 0) throw notFound("Environment variable", params.key);
  });
}
