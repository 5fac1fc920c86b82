// Who may do what: organization roles combined with the credential's permissions and project scope.
// Anything in an organization the caller does not belong to is a 404, so ids cannot be probed.
import type { Role } from "../../contract";
import type { ServerContext } from "../context";
import { ApiError, notFound } from "../errors";
import { canReachProject, requireAllProjects, requirePermission, type Principal } from "../http/principal";
import type { OrganizationRow } from "../store/organizations";
import type { ProjectRow } from "../store/projects";

/** `owner` is needed only to delete an organization or to grant or take away ownership. */
export type Need = "read" | "write" | "admin" | "owner";
const ROLE_LEVEL: Record<Role, number> = { viewer: 1, developer: 2, admin: 3, owner: 4 };
const NEED_LEVEL: Record<Need, number> = { read: 1, write: 2, admin: 3, owner: 4 };

const permissionFor = (need: Need) => (need === "owner" ? "admin" : need);

function check(principal: Principal, role: Role, need: Need, where: string): void {
  requirePermission(principal, permissionFor(need));
  if (ROLE_LEVEL[role] < NEED_LEVEL[need]) {
    throw new ApiError(403, "forbidden", `Your role "${role}" in ${where} does not allow this (needs ${need === "read" ? "viewer" : need === "write" ? "developer" : need} or above)`, { role, required: need });
  }
}

/** What `check` requires, as a yes or no: for answers that show more to those who may do more. */
export const allows = (principal: Principal, role: Role, need: Need): boolean =>
  principal.permissions.has(permissionFor(need)) && ROLE_LEVEL[role] >= NEED_LEVEL[need];

export async function organizationAccess(ctx: ServerContext, principal: Principal, orgId: string, need: Need): Promise<{ org: OrganizationRow; role: Role }> {
  const row = await ctx.cache.get(`organization:${orgId}:${principal.userId}`, async () => (await ctx.sql.query<OrganizationRow & { role: Role }>(
    "SELECT o.*, m.role FROM organizations o JOIN memberships m ON m.organization_id = o.id WHERE o.id = $1 AND m.user_id = $2",
    [orgId, principal.userId],
  )).rows[0]);
  if (!row) throw notFound("Organization", orgId);
  if (need !== "read") requireAllProjects(principal, "changing an organization");
  check(principal, row.role, need, `organization ${orgId}`);
  return { org: row, role: row.role };
}

export async function projectAccess(ctx: ServerContext, principal: Principal, projectId: string, need: Exclude<Need, "owner">): Promise<ProjectRow & { role: Role }> {
  const row = await ctx.cache.get(`project:${projectId}:${principal.userId}`, async () => (await ctx.sql.query<ProjectRow & { role: Role }>(
    "SELECT p.*, m.role FROM projects p JOIN memberships m ON m.organization_id = p.organization_id WHERE p.id = $1 AND m.user_id = $2",
    [projectId, principal.userId],
  )).rows[0]);
  if (!row) throw notFound("Project", projectId);
  if (!canReachProject(principal, projectId)) throw new ApiError(403, "forbidden", `This API key is not scoped to project ${projectId}`, { project_id: projectId });
  check(principal, row.role, need, `organization ${row.organization_id}`);
  return row;
}
