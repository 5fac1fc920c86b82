// Project routes. Deleting a project deletes everything under it.
import type { FastifyInstance } from "fastify";
import { projectEndpoints as api } from "../../contract";
import type { ServerContext } from "../context";
import { conflict } from "../errors";
import { ownEarlierWrite, writeKeyOf } from "../http/idempotency";
import { serve } from "../http/route";
import { organizationAccess, projectAccess } from "../services/access";
import { queryPage } from "../store/page";
import { createProject, deleteProjectsWith } from "../services/projects";
import { toProject, type ProjectRow } from "../store/projects";

const slugTaken = (slug: string) => conflict("slug_taken", `Project slug "${slug}" is taken in this organization; choose another`, { field: "slug" });

export function projectRoutes(app: FastifyInstance, ctx: ServerContext): void {
  serve(app, ctx, api.list, async ({ principal, query }) => {
    const params: unknown[] = [principal.userId];
    let where = "FROM projects p JOIN memberships m ON m.organization_id = p.organization_id WHERE m.user_id = $1";
    if (query.organization_id) {
      params.push(query.organization_id);
      where += ` AND p.organization_id = $${params.length}`;
    }
    if (principal.projects !== "*") {
      params.push(principal.projects);
      where += ` AND p.id = ANY($${params.length}::text[])`;
    }
    return queryPage<ProjectRow, ReturnType<typeof toProject>>(ctx.sql, { select: "p.*", fromWhere: where, orderBy: "p.created_at, p.id", params }, query, toProject);
  });

  serve(app, ctx, api.create, async ({ principal, body, request }) => {
    // Creating is a write in the organization, so a project-scoped key cannot widen its own reach.
    const { org } = await organizationAccess(ctx, principal, body.organization_id, "write");
    // An earlier attempt that died may have left its project without its database: it is made again, whole (nobody
    // was told the earlier one's id).
    const earlier = await ownEarlierWrite<ProjectRow>(ctx, request, "projects", "organization_id = $2", [org.id]);
    if (earlier) await deleteProjectsWith(ctx, request.log, [earlier.id], async () => void (await ctx.sql.query("DELETE FROM projects WHERE id = $1", [earlier.id])));
    const project = await createProject(ctx, { name: body.name, organizationId: org.id, slug: body.slug, writeKey: writeKeyOf(request) });
    if (!project) throw slugTaken(body.slug ?? "");
    return toProject(project);
  });

  serve(app, ctx, api.get, async ({ principal, params }) => toProject(await projectAccess(ctx, principal, params.id, "read")));

  serve(app, ctx, api.update, async ({ principal, params, body }) => {
    const project = await projectAccess(ctx, principal, params.id, "write");
    if (body.slug && body.slug !== project.slug) {
      const clash = await ctx.sql.query("SELECT 1 FROM projects WHERE organization_id = $1 AND slug = $2", [project.organization_id, body.slug]);
      if (clash.rows.length > 0) throw slugTaken(body.slug);
    }
    const { rows } = await ctx.sql.query<ProjectRow>(
      "UPDATE projects SET name = coalesce($2, name), slug = coalesce($3, slug), updated_at = now() WHERE id = $1 RETURNING *",
      [params.id, body.name ?? null, body.slug ?? null],
    );
    return toProject(rows[0] as ProjectRow);
  });

  serve(app, ctx, api.delete, async ({ principal, params, request }) => {
    await projectAccess(ctx, principal, params.id, "admin");
    await deleteProjectsWith(ctx, request.log, [params.id], async () => {
      await ctx.sql.query("DELETE FROM projects WHERE id = $1", [params.id]);
    });
  });
}
