// A project's life beyond its row: its default branch database is made with it, and its databases go with it.
import type { FastifyBaseLogger } from "fastify";
import type { ServerContext } from "../context";
import { branchIdsOfProjects, DEFAULT_BRANCH, insertBranch } from "../store/database";
import { insertProject, type ProjectRow } from "../store/projects";

/** Creates the project with its `main` branch and that branch's database; undefined when the slug is taken. */
export async function createProject(ctx: ServerContext, input: { name: string; organizationId: string; slug?: string | undefined; writeKey?: string | null }): Promise<ProjectRow | undefined> {
  const created = await ctx.sql.transaction(async (tx) => {
    const project = await insertProject(tx, input);
    if (!project) return undefined;
    const branch = await insertBranch(tx, { projectId: project.id, name: DEFAULT_BRANCH, parentId: null, isDefault: true });
    return branch ? { project, branch } : undefined;
  });
  if (!created) return undefined;
  try {
    await ctx.databases.createDefaultBranch({ projectId: created.project.id, branchId: created.branch.id });
  } catch (error) {
    await ctx.sql.query("DELETE FROM projects WHERE id = $1", [created.project.id]);
    throw error;
  }
  return created.project;
}

/**
 * Deletes rows through `deleteRows` (which cascades to the projects' records), then drops the projects' databases.
 * A database that fails to drop is logged, not fatal: the records are already gone.
 */
export async function deleteProjectsWith(ctx: ServerContext, log: FastifyBaseLogger, projectIds: readonly string[], deleteRows: () => Promise<void>): Promise<void> {
  const branches = await branchIdsOfProjects(ctx.sql, projectIds);
  await deleteRows();
  for (const [projectId, branchIds] of branches) {
    await ctx.databases.dropProject(projectId, branchIds).catch((error: unknown) => log.error({ err: error, projectId }, "dropping the project's databases failed"));
    await ctx.objects.removeProject(projectId).catch((error: unknown) => log.error({ err: error, projectId }, "removing the project's objects failed"));
  }
}
