// Deployment routes: create (queued, built in the background), list, get, roll back, delete, logs.
import type { FastifyInstance } from "fastify";
import { deploymentEndpoints as api } from "../../contract";
import { iso, type ServerContext } from "../context";
import { conflict } from "../errors";
import { ownEarlierWrite, writeKeyOf } from "../http/idempotency";
import { serve } from "../http/route";
import { allows, projectAccess } from "../services/access";
import { newId } from "../services/crypto";
import { captureRelease, findDeployment, logDeployment, restoreRelease, toDeployment, type DeploymentRow } from "../store/deployments";
import { backfillSecretDigests } from "../store/env";
import { queryPage } from "../store/page";

export function deploymentRoutes(app: FastifyInstance, ctx: ServerContext): void {
  serve(app, ctx, api.list, async ({ principal, params, query }) => {
    const { role } = await projectAccess(ctx, principal, params.id, "read");
    const values: unknown[] = [params.id];
    let where = "FROM deployments d JOIN projects p ON p.id = d.project_id WHERE d.project_id = $1";
    if (query.environment) {
      values.push(query.environment);
      where += ` AND d.environment = $${values.length}`;
    }
    return queryPage<DeploymentRow, ReturnType<typeof toDeployment>>(ctx.sql, { select: "d.*, p.current_deployment_id", fromWhere: where, orderBy: "d.created_at DESC, d.id DESC", params: values }, query, (row) => toDeployment(row, allows(principal, role, "write")));
  });

  serve(app, ctx, api.create, async ({ principal, params, body, request }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const earlier = await ownEarlierWrite<DeploymentRow>(ctx, request, "deployments", "project_id = $2", [params.id]);
    if (earlier) return toDeployment(await findDeployment(ctx.sql, params.id, earlier.id), true);
    const id = newId("dep");
    await ctx.sql.transaction(async (tx) => {
      const release = await captureRelease(tx, params.id, body.environment);
      await tx.query(
        "INSERT INTO deployments (id, project_id, environment, status, ref, commit, functions, env, write_key) VALUES ($1, $2, $3, 'queued', $4, $5, $6::jsonb, $7::jsonb, $8)",
        [id, params.id, body.environment, body.ref ?? null, body.commit ?? null, JSON.stringify(release.functions), JSON.stringify(release.env), writeKeyOf(request)],
      );
      await logDeployment(tx, id, "info", "Queued");
    });
    const queued = toDeployment(await findDeployment(ctx.sql, params.id, id), true);
    ctx.builder.kick();
    return queued;
  });

  serve(app, ctx, api.get, async ({ principal, params }) => {
    const { role } = await projectAccess(ctx, principal, params.id, "read");
    return toDeployment(await findDeployment(ctx.sql, params.id, params.deployId), allows(principal, role, "write"));
  });

  serve(app, ctx, api.rollback, async ({ principal, params }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const target = await findDeployment(ctx.sql, params.id, params.deployId);
    if (target.status !== "ready") throw conflict("deployment_not_ready", `Deployment ${target.id} is ${target.status}; only a ready deployment can be rolled back to`);
    if (target.environment !== "production") throw conflict("not_production", `Deployment ${target.id} is a preview deployment; roll back to a production deployment`);
    const id = newId("dep");
    await ctx.sql.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO deployments (id, project_id, environment, status, ref, commit, rollback_of, functions, env, ready_at)
         VALUES ($1, $2, 'production', 'ready', $3, $4, $5, $6::jsonb, $7::jsonb, now())`,
        [id, params.id, target.ref, target.commit, target.id, JSON.stringify(target.functions), JSON.stringify(target.env)],
      );
      const warnings = await restoreRelease(tx, params.id, target);
      await tx.query("UPDATE projects SET current_deployment_id = $2 WHERE id = $1", [params.id, id]);
      await logDeployment(tx, id, "info", `Rolled back to deployment ${target.id}: ${target.functions.length} function version(s) and ${target.env.length} variable(s) restored`);
      for (const warning of warnings) await logDeployment(tx, id, "warn", warning);
    });
    await backfillSecretDigests(ctx); // a release captured before digests existed restores sensitive values without one
    return toDeployment(await findDeployment(ctx.sql, params.id, id), true);
  });

  // Like Vercel's: a finished deployment can be removed, but never the release production runs (roll back first),
  // nor one still building. Rollbacks that restored it keep their record (rollback_of becomes null).
  serve(app, ctx, api.remove, async ({ principal, params }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const target = await findDeployment(ctx.sql, params.id, params.deployId);
    if (target.status === "queued" || target.status === "building") throw conflict("deployment_in_progress", `Deployment ${target.id} is ${target.status}; delete it once it is ready or failed`);
    // The condition is in the DELETE itself, so a rollback to this release at the same moment cannot be undone by it.
    const { rowCount } = await ctx.sql.query(
      "DELETE FROM deployments d WHERE d.id = $1 AND d.project_id = $2 AND NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = $2 AND p.current_deployment_id = $1)",
      [target.id, params.id],
    );
    if (rowCount === 0) throw conflict("deployment_current", `Deployment ${target.id} is the current production deployment; roll back to another one before deleting it`);
  });

  serve(app, ctx, api.logs, async ({ principal, params, query }) => {
    await projectAccess(ctx, principal, params.id, "read");
    const deployment = await findDeployment(ctx.sql, params.id, params.deployId);
    const values: unknown[] = [deployment.id];
    let where = "FROM deployment_logs WHERE deployment_id = $1";
    if (query.since) {
      values.push(new Date(query.since));
      where += ` AND created_at >= $${values.length}`;
    }
    return queryPage<{ created_at: Date; level: "info" | "warn" | "error"; message: string }, { timestamp: string; level: "info" | "warn" | "error"; message: string }>(
      ctx.sql, { fromWhere: where, orderBy: "id", params: values }, query, (row) => ({ timestamp: iso(row.created_at), level: row.level, message: row.message }),
    );
  });
}
