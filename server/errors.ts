// The one error type of lubes-server, and helpers that name the common cases. Every error leaves as the seed's envelope.
import type { z } from "zod";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new ApiError(400, code, message, details);
export const unauthorized = (code: string, message: string) => new ApiError(401, code, message);
export const forbidden = (message: string) => new ApiError(403, "forbidden", message);
export const notFound = (kind: string, id: string) => new ApiError(404, "not_found", `${kind} ${id} not found`, { resource: kind.toLowerCase(), id });
/** No operation at this method and path. */
export const routeNotFound = (request: { method: string; url: string }) =>
  new ApiError(404, "route_not_found", `No endpoint ${request.method} ${request.url.split("?")[0]}; see GET /v1/openapi.json`);
export const conflict = (code: string, message: string, details?: Record<string, unknown>) => new ApiError(409, code, message, details);
export const validation = (field: string, constraint: string, message: string) =>
  new ApiError(422, "validation_error", message, { field, constraint });

/** Maps a zod issue to the seed's `details.constraint` vocabulary. */
function constraintOf(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      return input === undefined ? "required" : "type";
    case "too_small":
      return issue.origin === "string" || issue.origin === "array" ? "min_length" : "minimum";
    case "too_big":
      return issue.origin === "string" || issue.origin === "array" ? "max_length" : "maximum";
    case "invalid_format":
      return issue.format === "regex" ? "pattern" : issue.format;
    case "unrecognized_keys":
      return "unknown_field";
    case "invalid_value":
      return "enum";
    case "invalid_union":
      return "type";
    default:
      return issue.code;
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) value = value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

/** A failed parse as the seed's validation envelope: the first problem in `field`/`constraint`, all of them in `issues`. */
export function fromZodError(error: z.ZodError, input: unknown, status: 400 | 422, code: string): ApiError {
  const issues = error.issues.map((issue) => {
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
    const field = path.map(String).join(".");
    const constraint = constraintOf(issue, valueAt(input, issue.path));
    const message = constraint === "required" ? `${field} is required` : constraint === "unknown_field" ? `${field} is not a known field` : `${field || "body"}: ${issue.message}`;
    return { field, constraint, message };
  });
  const first = issues[0] ?? { field: "", constraint: "invalid", message: "Invalid input" };
  return new ApiError(status, code, first.message, { field: first.field, constraint: first.constraint, issues });
}
