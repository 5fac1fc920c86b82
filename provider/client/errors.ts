// Errors of the Lubes API as the provider sees them: one small hierarchy keyed by status, built by one factory.
// Every error carries the request id; none ever carries a credential.

export interface ErrorFields {
  status: number | null;
  code: string;
  details: Record<string, unknown> | undefined;
  requestId: string | null;
  /** `METHOD /path` of the call, e.g. `GET /projects/proj_123`. */
  endpoint: string;
}

export class LubesError extends Error {
  readonly status: number | null;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  readonly requestId: string | null;
  readonly endpoint: string;

  constructor(message: string, fields: ErrorFields) {
    super(fields.requestId ? `${message} (${fields.endpoint}, request ${fields.requestId})` : `${message} (${fields.endpoint})`);
    this.name = new.target.name;
    this.status = fields.status;
    this.code = fields.code;
    this.details = fields.details;
    this.requestId = fields.requestId;
    this.endpoint = fields.endpoint;
  }
}

export class BadRequestError extends LubesError {}
export class AuthenticationError extends LubesError {}
export class PermissionDeniedError extends LubesError {}
export class NotFoundError extends LubesError {}
export class ConflictError extends LubesError {}
export class ValidationError extends LubesError {}
export class RateLimitedError extends LubesError {}
export class ServerError extends LubesError {}
/** The connection failed or was reset before an answer came. */
export class NetworkError extends LubesError {}
/** No answer within the request timeout, or retries ran past the overall deadline. */
export class TimeoutError extends LubesError {}
/** The server answered something the contract does not describe. */
export class ResponseShapeError extends LubesError {}

const BY_STATUS: Record<number, typeof LubesError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: BadRequestError,
  416: BadRequestError,
  422: ValidationError,
  429: RateLimitedError,
};

/** The error for an answer with `status`, from the seed's envelope when the body is one. */
export function errorFromResponse(endpoint: string, status: number, body: unknown, requestId: string | null): LubesError {
  const envelope = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const code = typeof envelope?.code === "string" ? envelope.code : `http_${status}`;
  const message = typeof envelope?.message === "string" ? envelope.message : `HTTP ${status}`;
  const details = envelope?.details && typeof envelope.details === "object" ? (envelope.details as Record<string, unknown>) : undefined;
  const Kind = BY_STATUS[status] ?? (status >= 500 ? ServerError : LubesError);
  return new Kind(message, { status, code, details, requestId, endpoint });
}
