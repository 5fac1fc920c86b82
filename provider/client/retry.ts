// When to retry a call, and how long to wait first.
import type { LubesError } from "./errors";
import { ConflictError, NetworkError, RateLimitedError, ServerError, TimeoutError } from "./errors";

/** Conflicts that only say "not yet": the same request succeeds once the other work is done. */
const IN_PROGRESS = new Set(["idempotency_request_in_progress", "migration_in_progress", "deployment_in_progress"]);

/**
 * Retried: 429 (the server asks us to wait), 5xx other than 501 (transient on a healthy service), a reset or refused
 * connection, a request timeout, and a conflict with work still in progress (a slow first attempt of this very POST,
 * a migration being applied). Never retried: other 4xx, which the same request would get again. POSTs are safe to
 * retry because every one carries an Idempotency-Key, the same on each attempt.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof RateLimitedError || error instanceof NetworkError || error instanceof TimeoutError) return true;
  return isInProgress(error) || (error instanceof ServerError && error.status !== 501);
}

/** A 409 that only says "not yet": other work (perhaps this call's own first attempt) is still running. */
export const isInProgress = (error: unknown): boolean => error instanceof ConflictError && IN_PROGRESS.has(error.code);

export interface RetryHints {
  /** `Retry-After`: seconds, or an HTTP date. */
  retryAfter?: string | undefined;
  /** `X-RateLimit-Reset`: Unix seconds. */
  rateLimitReset?: string | undefined;
}

const BASE_MS = 250;
const MAX_BACKOFF_MS = 8_000;

/**
 * The server's own word wins: `Retry-After`, else `X-RateLimit-Reset` on a 429. Otherwise exponential backoff with
 * full jitter (AWS's "Exponential Backoff And Jitter"), so many clients retrying at once spread out.
 */
export function retryDelayMs(attempt: number, error: LubesError | undefined, hints: RetryHints, now: number, random: () => number = Math.random): number {
  if (hints.retryAfter !== undefined) {
    const seconds = Number(hints.retryAfter);
    const at = Number.isFinite(seconds) ? now + seconds * 1000 : Date.parse(hints.retryAfter);
    if (Number.isFinite(at)) return Math.max(0, at - now) + Math.floor(random() * 100);
  }
  if (error instanceof RateLimitedError && hints.rateLimitReset !== undefined) {
    const reset = Number(hints.rateLimitReset) * 1000;
    if (Number.isFinite(reset)) return Math.max(0, reset - now) + Math.floor(random() * 100);
  }
  return Math.floor(random() * Math.min(MAX_BACKOFF_MS, BASE_MS * 2 ** attempt));
}
