// Generates the OpenAPI 3.1 document from the endpoint table: the API is described once, here in code.
import { z } from "zod";
import { ErrorBody, type Endpoint } from "./common";

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: "input" | "output"): JsonSchema => {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  delete json["$schema"];
  return json;
};

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Bad request - invalid parameters or malformed JSON",
  401: "Unauthorized - invalid or missing token",
  403: "Forbidden - insufficient permissions",
  404: "Not found",
  409: "Conflict",
  413: "Request body too large",
  422: "Validation error",
  429: "Rate limit exceeded",
  500: "Internal server error",
};

function errorStatuses(row: Endpoint): number[] {
  const statuses = [400, 429, 500];
  if (row.auth !== "none") statuses.push(401, 403);
  if (row.params) statuses.push(404);
  if (row.body || row.method === "POST") statuses.push(409, 413, 422);
  return statuses.sort();
}

function parameters(row: Endpoint): JsonSchema[] {
  const list: JsonSchema[] = [];
  const add = (where: "path" | "query", schema: z.ZodType | undefined) => {
    if (!(schema instanceof z.ZodObject)) return;
    const json = toSchema(schema, "input");
    const required = new Set((json["required"] as string[] | undefined) ?? []);
    for (const [name, property] of Object.entries((json["properties"] ?? {}) as Record<string, JsonSchema>)) {
      list.push({ name, in: where, required: where === "path" || required.has(name), schema: property });
    }
  };
  add("path", row.params);
  add("query", row.query);
  if (row.projectScoped) {
    list.push({
      name: "X-Project-ID", in: "header", required: false,
      description: "When present, must equal the project in the path (otherwise 400).",
      schema: { type: "string" },
    });
  }
  if (row.method === "POST") {
    list.push({
      name: "Idempotency-Key", in: "header", required: false,
      description: "The first response is stored for 24 h and replayed (with `Idempotent-Replayed: true`) for a retry with the same key.",
      schema: { type: "string", maxLength: 255 },
    });
  }
  return list;
}

function operation(row: Endpoint): JsonSchema {
  const responses: JsonSchema = {
    [row.status]: row.response
      ? { description: "Success", content: { "application/json": { schema: toSchema(row.response, "output") } } }
      : { description: "No content" },
  };
  for (const status of errorStatuses(row)) {
    responses[status] = { description: ERROR_DESCRIPTIONS[status] ?? "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
  }
  return {
    operationId: row.operationId,
    summary: row.summary,
    tags: [row.tag],
    ...(row.extension ? { "x-lubes-extension": true } : {}),
    ...(row.permission ? { "x-lubes-permission": row.permission } : {}),
    ...(row.anyMethod ? { "x-lubes-any-method": true } : {}),
    security: row.auth === "bearer" ? [{ bearer: [] }] : row.auth === "bearer-or-signed" ? [{ bearer: [] }, {}] : [],
    parameters: parameters(row),
    ...(row.body ? { requestBody: { required: true, content: { "application/json": { schema: toSchema(row.body, "input") } } } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of every endpoint in `rows`, served at `GET /v1/openapi.json`. */
export function buildOpenApiDocument(rows: readonly Endpoint[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const row of rows) {
    const path = row.path.replace(/:(\w+)/g, "{$1}");
    (paths[path] ??= {})[row.method.toLowerCase()] = operation(row);
  }
  return {
    openapi: "3.1.0",
    info: { title: "Lubes API", version: "1.0.0", description: "The Lubes platform REST API. Fields marked x-lubes-extension go beyond the published reference." },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key or an access token" } },
      schemas: { Error: toSchema(ErrorBody, "output") },
    },
    paths,
  };
}
