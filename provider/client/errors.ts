// Errors of the Lubes API as the provider sees them: one small hierarchy keyed by status, built by one factory.
// Every error carries the request id; none ever carries a credential.

export interface ErrorFields {
  status: number | null;
  code: string;
  details: Record<string, unknown> | undefined;
  requestId: string | null;
  /** `METHOD /path` of the call, e.g. `GET /projects/proj_123`. */
  endpoint: string;
  /** What to do next, after the server's words. */
  hint?: string | undefined;
}

/**
 * Text from a server made safe for a terminal: control characters (ANSI escapes, carriage returns, bells) are shown
 * escaped instead of acting on the screen (bidirectional overrides too, which reorder what a person reads); a new line
becomes a space; long text is cut.
 */
export function printable(text: string, max = 2_000): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (c === "\n") return " ";
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, "0")}` : `\\x${code.toString(16).padStart(2, "0")}`;
  });
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}

export class LubesError extends Error {
  readonly status: number | null;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  readonly requestId: string | null;
  readonly endpoint: string;
  /** The server's own message (made printable), without the endpoint or a hint. */
  readonly serverMessage: string;

  constructor(message: string, fields: ErrorFields) {
    const where = fields.requestId ? `(${fields.endpoint}, request ${fields.requestId})` : `(${fields.endpoint})`;
    super(`${message} ${where}${fields.hint ? `: ${fields.hint}` : ""}`);
    this.serverMessage = message;
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
/** A conditional request (`If-None-Match: *`) found the thing already there. */
export class PreconditionFailedError extends LubesError {}
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
  412: PreconditionFailedError,
  413: BadRequestError,
  416: BadRequestError,
  422: ValidationError,
  429: RateLimitedError,
};

/** The error for an answer with `status`, from the seed's envelope when the body is one. */
export function errorFromResponse(endpoint: string, status: number, body: unknown, requestId: string | null, hint?: (code: string) => string | undefined): LubesError {
  const envelope = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const code = typeof envelope?.code === "string" ? printable(envelope.code, 100) : `http_${status}`;
  const message = typeof envelope?.message === "string" ? printable(envelope.message) : `HTTP ${status}`;
  const details = envelope?.details && typeof envelope.details === "object" ? (envelope.details as Record<string, unknown>) : undefined;
  const Kind = BY_STATUS[status] ?? (status >= 500 ? ServerError : LubesError);
  return new Kind(message, { status, code, details, requestId, endpoint, hint: hint?.(code) });
}
