// Projects: the unit everything else (database, functions, storage, deployments, env) lives under.
import { z } from "zod";
import { DisplayName, Id, IdParam, PageQuery, Slug, Timestamp, endpoint, page } from "./common";

export const Project = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  organization_id: z.string(),
  /** The current production deployment (the newest ready one, or the one rolled back to). */
  current_deployment_id: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Project = z.infer<typeof Project>;

/** `slug` is derived from the name (unique in its organization) unless given. */
export const CreateProjectBody = z.strictObject({
  name: DisplayName,
  organization_id: Id,
  slug: Slug.optional(),
});
export const UpdateProjectBody = z.strictObject({ name: DisplayName.optional(), slug: Slug.optional() });
export const ListProjectsQuery = PageQuery.extend({ organization_id: Id.optional() });

const tag = "Projects";
export const projectEndpoints = {
  list: endpoint({
    operationId: "listProjects", method: "GET", path: "/projects", summary: "List projects (oldest first)", tag,
    auth: "bearer", permission: "read", query: ListProjectsQuery, status: 200, response: page(Project),
  }),
  create: endpoint({
    operationId: "createProject", method: "POST", path: "/projects", summary: "Create project", tag,
    auth: "bearer", permission: "write", body: CreateProjectBody, status: 201, response: Project,
  }),
  get: endpoint({
    operationId: "getProject", method: "GET", path: "/projects/:id", summary: "Get project", tag,
    auth: "bearer", permission: "read", projectScoped: true, params: IdParam, status: 200, response: Project,
  }),
  update: endpoint({
    operationId: "updateProject", method: "PATCH", path: "/projects/:id", summary: "Update project", tag,
    auth: "bearer", permission: "write", projectScoped: true, params: IdParam, body: UpdateProjectBody, status: 200, response: Project,
  }),
  delete: endpoint({
    operationId: "deleteProject", method: "DELETE", path: "/projects/:id", summary: "Delete project and everything under it", tag,
    auth: "bearer", permission: "admin", projectScoped: true, params: IdParam, status: 204,
  }),
};
