// Environment variables of a project. Sensitive values are write-only: only a salted scrypt digest comes back, and only
// to credentials that may write the project.
import { z } from "zod";
import { IdParam, PageQuery, Timestamp, endpoint, page } from "./common";

export const ENVIRONMENTS = ["production", "preview", "development"] as const;
export const Environment = z.enum(ENVIRONMENTS);

export const EnvKey = z.string().max(256).regex(/^[A-Z_][A-Z0-9_]*$/, "uppercase letters, digits and _, not starting with a digit");
/** At most 64 KiB, as Vercel and Netlify allow. */
export const EnvValue = z.string().max(65_536);

export const EnvVar = z.object({
  key: z.string(),
  /** null when the variable is sensitive: the value is never returned after it is set. */
  value: z.string().nullable(),
  /** SHA-256 (hex) of a value that is shown; null for a sensitive variable (a fast hash would let anyone guess it). */
  value_sha256: z.string().nullable(),
  /**
   * A sensitive variable's digest, so a client that knows the value can see whether it still holds:
   * `scrypt$<N>$<r>$<p>$<salt>$<key>` (salt and 32-byte key in base64; scrypt of the value's UTF-8 bytes), salted anew
   * at every set. null for a value that is shown, and for a credential that may only read the project.
   */
  value_digest: z.string().nullable(),
  sensitive: z.boolean(),
  environments: z.array(Environment),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type EnvVar = z.infer<typeof EnvVar>;

export const SetEnvVarBody = z.strictObject({
  key: EnvKey,
  value: EnvValue,
  sensitive: z.boolean().default(false),
  environments: z.array(Environment).min(1).max(3).default([...ENVIRONMENTS]),
});

const EnvKeyParams = IdParam.extend({ key: EnvKey });
const tag = "Environment Variables";
export const envEndpoints = {
  list: endpoint({
    operationId: "listEnvVars", method: "GET", path: "/projects/:id/env", summary: "List environment variables (by key)", tag,
    auth: "bearer", permission: "read", projectScoped: true, params: IdParam, query: PageQuery, status: 200, response: page(EnvVar),
  }),
  get: endpoint({
    operationId: "getEnvVar", method: "GET", path: "/projects/:id/env/:key", summary: "Get one environment variable", tag,
    extension: true, auth: "bearer", permission: "read", projectScoped: true, params: EnvKeyParams, status: 200, response: EnvVar,
  }),
  set: endpoint({
    operationId: "setEnvVar", method: "POST", path: "/projects/:id/env", summary: "Set environment variable (201 when created, 200 when an existing key is updated; with If-None-Match: * only created, 412 already_exists when the key exists)", tag,
    auth: "bearer", permission: "write", projectScoped: true, params: IdParam, body: SetEnvVarBody, status: 201, response: EnvVar,
    headers: z.object({ "If-None-Match": z.literal("*").optional().describe("Only create: 412 when the key exists") }),
    answers: { 200: "Updated: the key existed", 412: "The key exists and If-None-Match: * asked only to create it" },
  }),
  delete: endpoint({
    operationId: "deleteEnvVar", method: "DELETE", path: "/projects/:id/env/:key", summary: "Delete environment variable", tag,
    auth: "bearer", permission: "write", projectScoped: true, params: EnvKeyParams, status: 204,
  }),
};
