// API keys (extension): created once and shown once, stored hashed, scoped to projects and permissions.
import { z } from "zod";
import { DisplayName, Id, IdParam, PERMISSIONS, PageQuery, Timestamp, endpoint, page } from "./common";

export const PermissionName = z.enum(PERMISSIONS);

export const ApiKey = z.object({
  id: z.string(),
  name: z.string(),
  /** The first characters of the key, to recognise it in a list; never enough to use it. */
  prefix: z.string(),
  projects: z.union([z.literal("*"), z.array(z.string())]),
  permissions: z.array(PermissionName),
  created_at: Timestamp,
  expires_at: Timestamp.nullable(),
  last_used_at: Timestamp.nullable(),
});
export type ApiKey = z.infer<typeof ApiKey>;

/** Returned once, at creation: the only time the secret `key` is shown. */
export const CreatedApiKey = ApiKey.extend({ key: z.string() });

export const CreateApiKeyBody = z.strictObject({
  name: DisplayName,
  projects: z.union([z.literal("*"), z.array(Id).min(1).max(100)]).default("*"),
  permissions: z.array(PermissionName).min(1).max(3).default(["read", "write", "admin"]),
  /** Optional lifetime in seconds (at most a year); a key without one lives until it is deleted. */
  expires_in: z.number().int().min(60).max(31_536_000).optional(),
});

const tag = "API keys";
export const apiKeyEndpoints = {
  list: endpoint({
    operationId: "listApiKeys", method: "GET", path: "/api-keys", summary: "List API keys (oldest first)", tag, extension: true,
    auth: "bearer", permission: "admin", query: PageQuery, status: 200, response: page(ApiKey),
  }),
  create: endpoint({
    operationId: "createApiKey", method: "POST", path: "/api-keys", summary: "Create API key", tag, extension: true,
    auth: "bearer", permission: "admin", body: CreateApiKeyBody, status: 201, response: CreatedApiKey,
  }),
  delete: endpoint({
    operationId: "deleteApiKey", method: "DELETE", path: "/api-keys/:id", summary: "Delete API key", tag, extension: true,
    auth: "bearer", permission: "admin", params: IdParam, status: 204,
  }),
};
