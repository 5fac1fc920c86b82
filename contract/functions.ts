// Serverless functions: ES modules whose default export is a Web-standard fetch handler, deployed as immutable
// versions, invoked (extension) and logged.
import { z } from "zod";
import { DisplayName, IdParam, PageQuery, Timestamp, endpoint, page } from "./common";

export const FunctionSlug = z.string().min(1).max(63).regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "lowercase letters, digits and '-'");
export const RUNTIMES = ["nodejs20"] as const;
/** The text of an ES module: `export default async (request, env) => new Response(...)`. At most 1 MiB. */
export const FunctionSource = z.string().min(1).max(1024 * 1024);

export const LubesFunction = z.object({
  id: z.string(),
  project_id: z.string(),
  slug: z.string(),
  name: z.string(),
  runtime: z.enum(RUNTIMES),
  /** The current draft; what runs is the live version's source. */
  source: z.string(),
  source_sha256: z.string(),
  timeout_ms: z.number().int(),
  memory_mb: z.number().int(),
  /** The deployed version that runs, or null before the first successful deploy. */
  live_version: z.number().int().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const CreateFunctionBody = z.strictObject({
  slug: FunctionSlug,
  name: DisplayName.optional(),
  runtime: z.enum(RUNTIMES).default("nodejs20"),
  source: FunctionSource,
  timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
  memory_mb: z.number().int().min(16).max(1024).default(128),
});

export const UpdateFunctionBody = z.strictObject({
  name: DisplayName.optional(),
  source: FunctionSource.optional(),
  timeout_ms: z.number().int().min(100).max(60_000).optional(),
  memory_mb: z.number().int().min(16).max(1024).optional(),
});

export const FunctionVersion = z.object({
  function_id: z.string(),
  slug: z.string(),
  version: z.number().int(),
  /** SHA-256 (hex) of the deployed source. */
  checksum: z.string(),
  deployed_at: Timestamp,
  live: z.boolean(),
});

export const FunctionLog = z.object({
  timestamp: Timestamp,
  level: z.enum(["debug", "info", "warn", "error"]),
  /** `deploy` for what a deploy reported, `runtime` for console output and failures of invocations. */
  kind: z.enum(["deploy", "runtime"]),
  message: z.string(),
  version: z.number().int().nullable(),
  invocation_id: z.string().nullable(),
});

export const FunctionLogsQuery = PageQuery.extend({ since: z.iso.datetime({ offset: true }).optional() });

const SlugParams = IdParam.extend({ slug: FunctionSlug });
const tag = "Functions";
const common = { auth: "bearer", projectScoped: true, tag } as const;

export const functionEndpoints = {
  list: endpoint({
    ...common, operationId: "listFunctions", method: "GET", path: "/projects/:id/functions", summary: "List functions (by slug)",
    permission: "read", params: IdParam, query: PageQuery, status: 200, response: page(LubesFunction),
  }),
  create: endpoint({
    ...common, operationId: "createFunction", method: "POST", path: "/projects/:id/functions", summary: "Create function",
    permission: "write", params: IdParam, body: CreateFunctionBody, status: 201, response: LubesFunction,
  }),
  get: endpoint({
    ...common, operationId: "getFunction", method: "GET", path: "/projects/:id/functions/:slug", summary: "Get function",
    permission: "read", params: SlugParams, status: 200, response: LubesFunction,
  }),
  update: endpoint({
    ...common, operationId: "updateFunction", method: "PATCH", path: "/projects/:id/functions/:slug", summary: "Update function (a new draft; deploy to run it)",
    permission: "write", params: SlugParams, body: UpdateFunctionBody, status: 200, response: LubesFunction,
  }),
  delete: endpoint({
    ...common, operationId: "deleteFunction", method: "DELETE", path: "/projects/:id/functions/:slug", summary: "Delete function",
    permission: "write", params: SlugParams, status: 204,
  }),
  deploy: endpoint({
    ...common, operationId: "deployFunction", method: "POST", path: "/projects/:id/functions/:slug/deploy", summary: "Deploy function (an immutable version of the current source)",
    permission: "write", params: SlugParams, status: 201, response: FunctionVersion,
  }),
  versions: endpoint({
    ...common, operationId: "listFunctionVersions", method: "GET", path: "/projects/:id/functions/:slug/versions", summary: "List the function's deployed versions (newest first)",
    extension: true, permission: "read", params: SlugParams, query: PageQuery, status: 200, response: page(FunctionVersion),
  }),
  logs: endpoint({
    ...common, operationId: "getFunctionLogs", method: "GET", path: "/projects/:id/functions/:slug/logs", summary: "Get function logs (newest first)",
    permission: "read", params: SlugParams, query: FunctionLogsQuery, status: 200, response: page(FunctionLog),
  }),
  invoke: endpoint({
    ...common, operationId: "invokeFunction", method: "POST", path: "/projects/:id/functions/:slug/invoke", summary: "Invoke the live version (any method; the function's response is passed through)",
    extension: true, anyMethod: true, permission: "read", params: SlugParams, rawBody: { media: "bytes", schema: z.file().describe("Passed to the function as its request's body") },
    status: 200, responseMedia: "bytes",
    answers: { 409: "The function has never been deployed", 502: "The function threw, exited or ran out of memory (see its logs)", 504: "The function ran past its timeout" },
  }),
};
