// Generates the OpenAPI 3.1 document served at `GET /v1/openapi.json` from the contract's endpoint table: the API is
// described once, in contract/, and this only says how each row reads as OpenAPI. zod-openapi turns the rows' zod
// schemas into JSON Schema (zod's own converter underneath) and shares every schema the contract exports by name as a
// component; one that reads differently in a response (a default filled in, a value normalised), or holds one that
// does, is named `…Output` there.
import { z } from "zod";
import { createDocument, type oas31, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject, type ZodOpenApiResponsesObject } from "zod-openapi";
import * as contract from "../contract";
import { ANY_METHODS, ErrorBody, templatePath, type Endpoint } from "../contract";

type Json = Record<string, unknown>;
type Response = ZodOpenApiResponseObject | { $ref: string };
type Headers = Record<string, oas31.HeaderObject | oas31.ReferenceObject>;
const header = (name: string): oas31.ReferenceObject => ({ $ref: `#/components/headers/${name}` });

/** Headers the server sets, as components; every response names those it carries. */
const HEADERS: Record<string, oas31.HeaderObject> = {
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
const RATE_LIMIT = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"];
const EVERY_RESPONSE = ["X-Request-Id", ...RATE_LIMIT];
const headersOf = (names: string[]): Headers => Object.fromEntries(names.map((name) => [name, header(name)]));
/** Named headers as a response carries them when it may lack them. */
const optional = (names: string[]): Headers => Object.fromEntries(names.map((name) => [name, { ...HEADERS[name], required: false }]));

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
  502: { name: "BadGateway", meaning: "Bad gateway: injected by LUBES_FAULTS (a test server)" },
  503: { name: "Unavailable", meaning: "Unavailable for a moment (a database restarting, the server at its limit of invocations): retry after `Retry-After` seconds" },
};

/** The errors every endpoint of this shape can answer (with `faults`, a server started with LUBES_FAULTS). */
function standardErrors(row: Endpoint, faults: boolean): number[] {
  const statuses = [400, 429, 500, 503, ...(faults ? [502] : [])];
  if (row.auth !== "none") statuses.push(401, 403, 404);
  else if (row.params) statuses.push(404);
  // A JSON body can name what exists already; a POST's Idempotency-Key can still be running.
  if (row.body || row.method === "POST") statuses.push(409);
  // Fastify reads the body of every method but GET, wanted or not, and refuses one over its limit.
  if (row.body || row.rawBody || row.method !== "GET") statuses.push(413);
  if (row.body || row.rawBody || row.method === "POST") statuses.push(422);
  return statuses;
}

/**
 * An error in the envelope. A URL the server cannot decode (400) or a failure before the request is counted (500) is
 * answered before the rate limiter has run: those may lack the X-RateLimit headers.
 */
function errorResponse(status: number, meaning: string, extra: Headers = {}): ZodOpenApiResponseObject {
  const counted = status === 400 || status === 500 ? { ...headersOf(["X-Request-Id"]), ...optional(RATE_LIMIT) } : headersOf(EVERY_RESPONSE);
  const retry: Headers = status === 429 ? { "Retry-After": { ...HEADERS["Retry-After"], required: true } } : status === 503 ? headersOf(["Retry-After"]) : {};
  return { description: meaning, headers: { ...counted, ...retry, ...extra }, content: { "application/json": { schema: ErrorBody } } };
}

/** An object download answers its bytes (not for HEAD) with their version; a function's answer with its run's ids. */
function successResponse(row: Endpoint, method: string, status: number, meaning: string): ZodOpenApiResponseObject {
  const names = [...EVERY_RESPONSE, ...(takesIdempotencyKey(row) ? ["Idempotent-Replayed"] : [])];
  if (row.head) names.push("ETag", "Last-Modified", "Accept-Ranges", ...(status === 206 ? ["Content-Range"] : []));
  if (row.anyMethod) names.push("X-Lubes-Invocation-Id", "X-Lubes-Function-Version");
  const response: ZodOpenApiResponseObject = { description: meaning, headers: headersOf(names) };
  if (status === 204 || status === 304 || method === "head") return response;
  if (row.responseMedia === "bytes") return { ...response, content: BYTES };
  return row.response ? { ...response, content: { "application/json": { schema: row.response } } } : response;
}

/**
 * Whatever the API answers for an invocation, the function may answer too, with its own body: each status reads as
 * the API's error (in the envelope) or the function's answer, in bytes.
 */
function invocationResponse(status: number, meaning: string): ZodOpenApiResponseObject {
  const ran = optional(["X-Lubes-Invocation-Id", "X-Lubes-Function-Version"]);
  return { ...errorResponse(status, `${meaning}; or the function's own answer with this status`, ran), content: BYTES };
}

function responses(row: Endpoint, method: string, faults: boolean): ZodOpenApiResponsesObject {
  const result: Record<string, Response> = { [row.status]: successResponse(row, method, row.status, row.status === 204 ? "Done; no content" : row.status === 201 ? "Created" : "Success") };
  const extra = Object.entries(row.answers ?? {}).map(([code, meaning]) => [Number(code), meaning] as const);
  for (const [status, meaning] of [...standardErrors(row, faults).map((status) => [status, ERRORS[status]?.meaning ?? ""] as const), ...extra]) {
    if (status < 400) result[status] = successResponse(row, method, status, meaning);
    else if (row.anyMethod) result[status] = invocationResponse(status, meaning);
    else if (extra.some(([answered]) => answered === status)) result[status] = errorResponse(status, meaning, status === 416 ? headersOf(["Content-Range"]) : {});
    else result[status] = { $ref: `#/components/responses/${ERRORS[status]?.name ?? ""}` };
  }
  // A function's own answer passes through whatever its status.
  if (row.anyMethod) result["default"] = successResponse(row, method, 200, "The function's own answer: its status, headers and body");
  return result;
}

function requestBody(row: Endpoint): ZodOpenApiOperationObject["requestBody"] {
  // The server reads a missing JSON body as {}: a body whose fields are all optional may be left out.
  if (row.body) return { required: !row.body.safeParse({}).success, content: { "application/json": { schema: row.body } } };
  if (!row.rawBody) return undefined;
  const multipart = row.rawBody.media === "multipart";
  return { required: multipart, content: { [multipart ? "multipart/form-data" : "*/*"]: { schema: row.rawBody.schema } } };
}

/** Every POST but an invocation (the function's own business) claims its Idempotency-Key; an upload by PUT keeps it. */
const takesIdempotencyKey = (row: Endpoint) => (row.method === "POST" || row.method === "PUT") && !row.anyMethod;
const IDEMPOTENCY_KEY = { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7e]+$" } as const;

function parameters(row: Endpoint): oas31.ParameterObject[] {
  const list: oas31.ParameterObject[] = [];
  if (row.projectScoped) list.push({ name: "X-Project-ID", in: "header", required: false, description: "When present, must equal the project in the path (otherwise 400)", schema: { type: "string" } });
  if (row.method === "POST" && !row.anyMethod) {
    list.push({ name: "Idempotency-Key", in: "header", required: false, description: "The first answer is stored for 24 h and replayed (with `Idempotent-Replayed: true`) to a retry with the same key", schema: IDEMPOTENCY_KEY });
  } else if (takesIdempotencyKey(row)) {
    list.push({ name: "Idempotency-Key", in: "header", required: false, description: "Kept with the object: a create-only upload (`If-None-Match: *`) retried with the same key after a lost answer finds its own write (201, `Idempotent-Replayed: true`)", schema: IDEMPOTENCY_KEY });
  }
  return list;
}

function operation(row: Endpoint, method: string, faults: boolean): ZodOpenApiOperationObject {
  const body = requestBody(row);
  return {
    // One id per operation: invoke's other methods and a HEAD are named after the row's.
    operationId: method === "head" || (row.anyMethod && method !== "post") ? `${row.operationId}${method[0]?.toUpperCase()}${method.slice(1)}` : row.operationId,
    summary: method === "head" ? `${row.summary}: the headers alone` : row.summary,
    tags: [row.tag],
    ...(row.extension ? { "x-lubes-extension": true } : {}),
    ...(row.permission ? { "x-lubes-permission": row.permission } : {}),
    security: row.auth === "bearer" ? [{ bearer: [] }] : row.auth === "bearer-or-signed" ? [{ bearer: [] }, {}] : [],
    requestParams: { ...(row.params ? { path: row.params as z.ZodObject } : {}), ...(row.query ? { query: row.query as z.ZodObject } : {}), ...(row.headers ? { header: row.headers } : {}) },
    parameters: parameters(row),
    ...(body && method !== "head" ? { requestBody: body } : {}),
    responses: responses(row, method, faults),
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

/** The methods a row is described under. */
export function methodsOf(row: Endpoint): string[] {
  const methods = row.anyMethod ? ANY_METHODS.map((method) => method.toLowerCase()) : [row.method.toLowerCase()];
  return row.head ? [...methods, "head"] : methods;
}

/** The OpenAPI 3.1 document of every endpoint in `rows`; `faults`: of a server started with LUBES_FAULTS. */
export function buildOpenApiDocument(rows: readonly Endpoint[], serverUrl: string, served: { faults?: boolean } = {}): Json {
  const faults = served.faults === true;
  const paths: ZodOpenApiPathsObject = {};
  for (const row of rows) {
    const item = (paths[templatePath(row.path)] ??= {}) as Record<string, ZodOpenApiOperationObject>;
    for (const method of methodsOf(row)) item[method] = operation(row, method, faults);
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
        responses: Object.fromEntries(Object.entries(ERRORS).filter(([status]) => faults || status !== "502").map(([status, { name, meaning }]) => [name, errorResponse(Number(status), meaning)])),
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
