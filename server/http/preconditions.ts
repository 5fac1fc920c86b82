// `If-None-Match: *` on a write: create only if absent (RFC 9110 §13.1.2), as S3's conditional PutObject. A client
// that must not overwrite (the provider's create) sends it and gets 412 `already_exists` when the name is taken.
import type { FastifyRequest } from "fastify";
import { ApiError, badRequest } from "../errors";

/** True when the request asks to create only; any other If-None-Match on a write is refused, not ignored. */
export function createOnly(request: FastifyRequest): boolean {
  const header = request.headers["if-none-match"];
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  throw badRequest("unsupported_precondition", `If-None-Match on ${request.method} takes only "*" (create only if absent)`, { header: "If-None-Match" });
}

export const alreadyExists = (message: string, details: Record<string, unknown>) => new ApiError(412, "already_exists", message, details);
