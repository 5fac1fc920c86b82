// Deployments: immutable releases of a project (its live function versions and environment variables at creation),
// built in the background, with rollback to an earlier ready release.
import { z } from "zod";
import { IdParam, PageQuery, Timestamp, endpoint, page } from "./common";

export const DeploymentEnvironment = z.enum(["production", "preview"]);
export const DeploymentStatus = z.enum(["queued", "building", "ready", "failed"]);

export const Deployment = z.object({
  id: z.string(),
  project_id: z.string(),
  environment: DeploymentEnvironment,
  status: DeploymentStatus,
  ref: z.string().nullable(),
  commit: z.string().nullable(),
  /** Why the build failed, when it did. */
  error: z.string().nullable(),
  /** For a rollback: the earlier deployment whose release this one restores. */
  rollback_of: z.string().nullable(),
  /** Whether this is the project's current production deployment. */
  current: z.boolean(),
  /** What the release captured: live function versions, and variables (values never shown, only their hash). */
  functions: z.array(z.object({ slug: z.string(), version: z.number().int() })),
  /** The captured variables: digests as for variables (`value_sha256` of shown values, `value_digest` of sensitive ones). */
  env: z.array(z.object({ key: z.string(), value_sha256: z.string().nullable(), value_digest: z.string().nullable(), sensitive: z.boolean() })),
  created_at: Timestamp,
  ready_at: Timestamp.nullable(),
});

export const CreateDeploymentBody = z.strictObject({
  environment: DeploymentEnvironment.default("production"),
  /** Free-form source metadata, as Vercel's git ref and commit. */
  ref: z.string().min(1).max(255).optional(),
  commit: z.string().min(1).max(255).optional(),
});

export const ListDeploymentsQuery = PageQuery.extend({ environment: DeploymentEnvironment.optional() });
export const DeploymentLog = z.object({ timestamp: Timestamp, level: z.enum(["info", "warn", "error"]), message: z.string() });
export const DeploymentLogsQuery = PageQuery.extend({ since: z.iso.datetime({ offset: true }).optional() });

const DeployParams = IdParam.extend({ deployId: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, "not a valid id") });
const tag = "Deployments";
const common = { auth: "bearer", projectScoped: true, tag } as const;

export const deploymentEndpoints = {
  list: endpoint({
    ...common, operationId: "listDeployments", method: "GET", path: "/projects/:id/deployments", summary: "List deployments (newest first)",
    permission: "read", params: IdParam, query: ListDeploymentsQuery, status: 200, response: page(Deployment),
  }),
  create: endpoint({
    ...common, operationId: "createDeployment", method: "POST", path: "/projects/:id/deployments", summary: "Create deployment (answers at once, queued; built in the background)",
    permission: "write", params: IdParam, body: CreateDeploymentBody, status: 201, response: Deployment,
  }),
  get: endpoint({
    ...common, operationId: "getDeployment", method: "GET", path: "/projects/:id/deployments/:deployId", summary: "Get deployment",
    permission: "read", params: DeployParams, status: 200, response: Deployment,
  }),
  rollback: endpoint({
    ...common, operationId: "rollbackDeployment", method: "POST", path: "/projects/:id/deployments/:deployId/rollback", summary: "Roll back to this earlier ready deployment (a new deployment pointing to it)",
    permission: "write", params: DeployParams, status: 201, response: Deployment,
  }),
  remove: endpoint({
    ...common, operationId: "deleteDeployment", method: "DELETE", path: "/projects/:id/deployments/:deployId", summary: "Delete a deployment that is finished and not the current production release",
    extension: true, permission: "write", params: DeployParams, status: 204,
    answers: { 409: "The deployment is still queued or building, or it is the current production deployment" },
  }),
  logs: endpoint({
    ...common, operationId: "getDeploymentLogs", method: "GET", path: "/projects/:id/deployments/:deployId/logs", summary: "Get deployment logs (oldest first)",
    permission: "read", params: DeployParams, query: DeploymentLogsQuery, status: 200, response: page(DeploymentLog),
  }),
};
