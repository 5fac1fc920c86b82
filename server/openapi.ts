// Generates the OpenAPI 3.1 document served at `GET /v1/openapi.json` from the contract's endpoint table: the API is
// described once, in contract/, and this only says how each row reads as OpenAPI. zod-openapi turns the rows' zod
// schemas into JSON Schema (zod's own converter underneath) and shares every schema the contract exports by name as a
// component, with an `…Output` twin where a schema reads differently in a request and in a response.
import { z } from "zod";
import { createDocument, type oas31, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject, type ZodOpenApiResponsesObject } from "zod-openapi";
import * as contract from "../contract";
import { ErrorBody, type Endpoint } from "../contract";

type Json = Record<string, unknown>;
const header = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** Headers the server sets, as components; every response names those it carries. */
const HEADERS: Record<string, Json> = {
  "X-Request-Id": { description: "This request's id: quote it when you report a problem", required: true, schema: { type: "string" } },
  "X-RateLimit-Limit": { description: "Requests allowed per minute on the plan this request counts against", required: true, schema: { type: "integer" } },
  "X-RateLimit-Remaining": { description: "Requests remaining in the current one-minute window", required: true, schema: { type: "integer", minimum: 0 } },
  "X-RateLimit-Reset": { description: "Unix timestamp (seconds) when the current window ends", required: true, schema: { type: "integer" } },
  "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer", minimum: 0 } },
  "Idempotent-Replayed": { description: "`true` when this is the stored answer to an earlier request with the same Idempotency-Key", schema: { type: "string", enum: ["true"] } },
  ETag: { description: "The object's version: quoted hex MD5 of its bytes, as S3", schema: { type: "string" } },
  "Last-Modified": { description: "When the object was last written (HTTP date)", schema: { type: "string" } },
  "Accept-Ranges": { description: "`bytes`: a Range request is honoured", schema: { type: "string", enum: ["bytes"] } },
  "Content-Range": { description: "The bytes sent of the whole (`bytes 0-99/1234`), or the size for a refused range (`bytes */1234`)", required: true, schema: { type: "string" } },
  "X-Lubes-Invocation-Id": { description: "This invocation's id in the function's logs", required: true, schema: { type: "string" } },
  "X-Lubes-Function-Version": { description: "The deployed version that ran", required: true, schema: { type: "integer" } },
};
const EVERY_RESPONSE = ["X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"];

const BYTES = { "*/*": { schema: { type: "string", format: "binary" } } } as const;

/** The errors every endpoint can answer, as shared responses: what each means wherever it is answered. */
const ERRORS: Record<number, { name: string; meaning: string }> = {
  400: { name: "BadRequest", meaning: "Bad request: an invalid parameter, malformed JSON or a header that contradicts the path" },
  401: { name: "Unauthorized", meaning: "Unauthorized: the token is missing, malformed, expired or revoked" },
  403: { name: "Forbidden", meaning: "Forbidden: the credential may not do this (its role, permissions or projects)" },
  404: { name: "NotFound", meaning: "Not found: the resource the path or the body names, or one this credential may not see" },
  409: { name: "Conflict", meaning: "Conflict: the resource exists or is busy, or a request with the same Idempotency-Key is still running" },
  413: { name: "PayloadTooLarge", meaning: "Request body too large" },
  422: { name: "ValidationError", meaning: "Validation error: `details.field` and `details.constraint` name the first problem, `details.issues` all of them" },
  429: { name: "RateLimited", meaning: "Rate limit exceeded: retry after `Retry-After` seconds" },
  500: { name: "InternalError", meaning: "Internal server error: report the `X-Request-Id`" },
  503: { name: "Unavailable", meaning: "Unavailable for a moment (a database restarting, the server at its limit of invocations): retry after `Retry-After` seconds" },
};

/** Every POST but an invocation (the function's own business), and an upload by PUT. */
const takesIdempotencyKey = (row: Endpoint) => (row.method === "POST" || row.method === "PUT") && !row.anyMethod;

/** The errors every endpoint of this shape can answer. */
function standardErrors(row: Endpoint): number[] {
  const statuses = [400, 429, 500, 503];
  if (row.auth !== "none") statuses.push(401, 403, 404);
  else if (row.params) statuses.push(404);
  if (row.body || row.bodyMedia || row.method === "POST") statuses.push(409, 413, 422);
  return statuses;
}

function errorResponse(status: number, meaning: string): ZodOpenApiResponseObject {
  const retry = HEADERS["Retry-After"];
  const extra = status === 429 ? { "Retry-After": { ...retry, required: true } } : status === 503 ? { "Retry-After": header("Retry-After") } : {};
  return { description: meaning, headers: { ...headersOf(EVERY_RESPONSE), ...extra }, content: { "application/json": { schema: ErrorBody } } };
}

const headersOf = (names: string[]) => Object.fromEntries(names.map((name) => [name, header(name)]));

function successResponse(row: Endpoint, method: string, status: number, meaning: string): ZodOpenApiResponseObject {
  const names = [...EVERY_RESPONSE, ...(takesIdempotencyKey(row) ? ["Idempotent-Replayed"] : [])];
  if (row.operationId === "downloadObject") names.push("ETag", "Last-Modified", "Accept-Ranges", ...(status === 206 ? ["Content-Range"] : []));
  if (row.anyMethod) names.push("X-Lubes-Invocation-Id", "X-Lubes-Function-Version");
  const response: ZodOpenApiResponseObject = { description: meaning, headers: headersOf(names) };
  if (status === 204 || status === 304 || method === "head") return response;
  if (row.responseMedia === "bytes") return { ...response, content: BYTES };
  return row.response ? { ...response, content: { "application/json": { schema: row.response } } } : response;
}

function responses(row: Endpoint, method: string): ZodOpenApiResponsesObject {
  const result: Record<string, ZodOpenApiResponseObject | { $ref: string }> = { [row.status]: successResponse(row, method, row.status, row.status === 204 ? "Done; no content" : row.status === 201 ? "Created" : "Success") };
  for (const status of standardErrors(row)) result[status] = { $ref: `#/components/responses/${ERRORS[status]?.name ?? ""}` };
  for (const [code, meaning] of Object.entries(row.answers ?? {})) {
    const status = Number(code);
    result[code] = status < 400 ? successResponse(row, method, status, meaning) : errorResponse(status, meaning);
  }
  // A function's own answer passes through whatever its status.
  if (row.anyMethod) result["default"] = successResponse(row, method, 200, "The function's own answer: its status, headers and body");
  return result;
}

function requestBody(row: Endpoint): ZodOpenApiOperationObject["requestBody"] {
  if (!row.body) return undefined;
  const media = row.bodyMedia === "multipart" ? "multipart/form-data" : row.bodyMedia === "bytes" ? "*/*" : "application/json";
  return { required: !row.body.safeParse(undefined).success, content: { [media]: { schema: row.body } } };
}

function parameters(row: Endpoint): oas31.ParameterObject[] {
  const list: oas31.ParameterObject[] = [];
  if (row.projectScoped) list.push({ name: "X-Project-ID", in: "header", required: false, description: "When present, must equal the project in the path (otherwise 400)", schema: { type: "string" } });
  if (takesIdempotencyKey(row)) {
    list.push({ name: "Idempotency-Key", in: "header", required: false, description: "The first answer is stored for 24 h and replayed (with `Idempotent-Replayed: true`) to a retry with the same key", schema: { type: "string", maxLength: 255 } });
  }
  return list;
}

function operation(row: Endpoint, method: string): ZodOpenApiOperationObject {
  const body = requestBody(row);
  return {
    operationId: row.anyMethod && method !== "post" ? `${row.operationId}${method[0]?.toUpperCase()}${method.slice(1)}` : row.operationId,
    summary: row.summary,
    tags: [row.tag],
    ...(row.extension ? { "x-lubes-extension": true } : {}),
    ...(row.permission ? { "x-lubes-permission": row.permission } : {}),
    security: row.auth === "bearer" ? [{ bearer: [] }] : row.auth === "bearer-or-signed" ? [{ bearer: [] }, {}] : [],
    requestParams: { ...(row.params ? { path: row.params as z.ZodObject } : {}), ...(row.query ? { query: row.query as z.ZodObject } : {}), ...(row.headers ? { header: row.headers } : {}) },
    parameters: parameters(row),
    ...(body ? { requestBody: body } : {}),
    responses: responses(row, method),
  };
}

/**
 * Every zod schema the contract exports under a type's name (`Project`, `BucketName`): a component of that name. A
 * request body (`…Body`, but the error envelope) stays inline in its operation: generators read a field with a default
 * as optional in a request body but as always present in a shared schema (openapi-typescript does).
 */
function sharedSchemas(): Record<string, z.ZodType> {
  const exported: [string, unknown][] = Object.entries(contract);
  const shared = (name: string) => /^[A-Z]/.test(name) && (!name.endsWith("Body") || name === "ErrorBody");
  return Object.fromEntries(exported.filter((entry): entry is [string, z.ZodType] => shared(entry[0]) && entry[1] instanceof z.ZodType));
}

/** A pipe from a string to a number: how a query integer is read (contract/common.ts). */
const parsedNumber = (schema: z.core.$ZodType): z.core.$ZodType | undefined => {
  const def = schema._zod.def;
  return def.type === "pipe" && (def as z.core.$ZodPipeDef).out._zod.def.type === "number" ? (def as z.core.$ZodPipeDef).out : undefined;
};

/**
 * A query integer arrives as digits and is parsed into a number: described by the number it becomes, with its range
 * and default, rather than as a string with a pattern.
 */
function describeParsedNumbers({ jsonSchema, zodSchema, io }: { jsonSchema: Json; zodSchema: z.core.$ZodType; io: "input" | "output" }): void {
  if (io !== "input") return;
  const def = zodSchema._zod.def;
  if (def.type === "default" && parsedNumber((def as z.core.$ZodDefaultDef).innerType)) jsonSchema["default"] = (def as z.core.$ZodDefaultDef).defaultValue;
  const number = parsedNumber(zodSchema);
  if (!number) return;
  for (const key of ["type", "pattern", "minLength", "maxLength", "format"]) delete jsonSchema[key];
  const described = z.toJSONSchema(number as z.ZodType) as Json;
  delete described["$schema"];
  Object.assign(jsonSchema, described);
}

/** The OpenAPI 3.1 document of every endpoint in `rows`. */
export function buildOpenApiDocument(rows: readonly Endpoint[], serverUrl: string): Json {
  const paths: ZodOpenApiPathsObject = {};
  for (const row of rows) {
    const path = row.path.replace(/:(\w+)/g, "{$1}");
    const item = (paths[path] ??= {}) as Record<string, ZodOpenApiOperationObject>;
    const methods = row.anyMethod ? ["get", "post", "put", "patch", "delete", "options"] : [row.method.toLowerCase()];
    for (const method of methods) item[method] = operation(row, method);
    // HEAD of a download: an object's size, type and ETag, without its bytes.
    if (row.operationId === "downloadObject") item["head"] = { ...operation(row, "head"), operationId: "headObject", summary: "An object's size, type and ETag, without its bytes" };
  }
  return withoutUnusedSchemas(createDocument(
    {
      openapi: "3.1.0",
      info: { title: "Lubes API", version: "1.0.0", description: "The Lubes platform REST API. Operations marked x-lubes-extension go beyond the published reference.", license: { name: "Apache-2.0", identifier: "Apache-2.0" } },
      servers: [{ url: serverUrl }],
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key or an access token" } },
        schemas: sharedSchemas(),
        headers: HEADERS,
        responses: Object.fromEntries(Object.entries(ERRORS).map(([status, { name, meaning }]) => [name, errorResponse(Number(status), meaning)])),
      },
      paths,
    },
    { override: describeParsedNumbers },
  ) as unknown as Json);
}

/** Drops the contract's schemas no operation uses (a list's query, say, which is described as parameters instead). */
function withoutUnusedSchemas(document: Json): Json {
  const schemas = (document["components"] as { schemas: Json }).schemas;
  for (let dropped = true; dropped; ) {
    dropped = false;
    const text = JSON.stringify(document);
    for (const name of Object.keys(schemas)) {
      if (!text.includes(`"#/components/schemas/${name}"`)) {
        delete schemas[name];
        dropped = true;
      }
    }
  }
  return document;
}
