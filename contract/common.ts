// Shared pieces of the Lubes API contract: the error and pagination envelopes, and the endpoint row.
import { z } from "zod";

/** The seed's error envelope: `{"error":{"code","message","details"}}`. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** What the error concerns (`field`, `constraint`, ids, limits); `{}` when there is nothing to add. */
    details: z.record(z.string(), z.unknown()),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 20;

/** Query-string integer: digits only, so `limit=1.5`, `limit=-1` or `limit=ten` are refused, not coerced. */
const queryInteger = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** `limit` (default 20, max 100) and `offset` of every list endpoint. */
export const PageQuery = z.object({
  limit: queryInteger(1, MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
  offset: queryInteger(0, 1_000_000_000).default(0),
});
export type PageQuery = z.output<typeof PageQuery>;

export const Pagination = z.object({
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  has_more: z.boolean(),
});

/** The seed's list envelope: `{"data":[...],"pagination":{...}}`. */
export const page = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), pagination: Pagination });

export const Timestamp = z.string().describe("RFC 3339 timestamp, UTC");

/** A human-facing name: trimmed, 1 to 64 characters, no control characters. Unicode is welcome. */
export const DisplayName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[^\p{Cc}]*$/u, "must not contain control characters");

/** A URL-safe identifier: lowercase letters, digits and single hyphens, as Vercel and Supabase slugs. */
export const Slug = z
  .string()
  .min(1)
  .max(48)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "lowercase letters, digits and single hyphens");

/** An id of ours (`proj_…`, `org_…`): letters, digits, `_` and `-` only, so nothing else ever reaches a query. */
export const Id = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, "not a valid id");
export const IdParam = z.object({ id: Id });

export const Message = z.object({ message: z.string() });

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
/** The methods an `anyMethod` row (function invocation) answers. */
export const ANY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** A row's path as OpenAPI writes it: `/projects/:id` → `/projects/{id}`. */
export const templatePath = (path: string): string => path.replace(/:(\w+)/g, "{$1}");
/** What a credential must be allowed to do: levels imply the ones below (admin ⊇ write ⊇ read). */
export type Permission = "read" | "write" | "admin";
export const PERMISSIONS = ["read", "write", "admin"] as const;

/** One row of the endpoint table: everything the server, the client and the OpenAPI document need. */
export interface Endpoint<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  operationId: string;
  method: Method;
  /** Path below `/v1`, with `:name` parameters as in the seed. */
  path: string;
  summary: string;
  tag: string;
  /**
   * `none` for register, login and the like; `bearer`: an API key or access token is required; `bearer-or-signed`:
   * a token, or a signed URL's query (`expires`, `signature`), or for downloads a public bucket.
   */
  auth: "none" | "bearer" | "bearer-or-signed";
  /** The last path parameter takes the rest of the path, slashes included (`objects/:key` → `objects/*`). */
  wildcard?: string;
  /** Served for every method of ANY_METHODS (function invocation passes the caller's method through). */
  anyMethod?: boolean;
  /** HEAD is answered too, as GET without its body (a download's size, type and ETag). */
  head?: boolean;
  /** The least permission the credential needs; resource-level checks (role, project scope) come on top. */
  permission?: Permission;
  /** True when the path names a project: `X-Project-ID` must then match it. */
  projectScoped?: boolean;
  /** True for extensions beyond the seed. */
  extension?: boolean;
  params?: P;
  query?: Q;
  /** Request headers the endpoint reads (described, not parsed: the handler reads them). */
  headers?: z.ZodObject;
  /** A JSON body, parsed by the server (a request without one is parsed as `{}`). */
  body?: B;
  /** A body that is not JSON, read by the handler as a stream: a multipart form (required), or raw bytes (optional). */
  rawBody?: { media: "multipart" | "bytes"; schema: z.ZodType };
  status: 200 | 201 | 204;
  response?: R;
  /** The success response is the bytes themselves (a download, a function's own answer), of any type. */
  responseMedia?: "bytes";
  /**
   * Statuses this endpoint answers besides `status` and the errors every endpoint of its kind can answer (see the
   * OpenAPI builder), each with what it means: `{ 200: "Updated an existing variable", 409: "The branch is main" }`.
   */
  answers?: Readonly<Record<number, string>>;
}

export function endpoint<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
>(row: Endpoint<P, Q, B, R>): Endpoint<P, Q, B, R> {
  return row;
}
