// One limiter per API key and process, fed by the X-RateLimit-* headers: when the window's budget is spent, calls
// wait for the reset instead of failing, so a stack larger than the plan's per-minute limit slows down and finishes.

/** The seed's limits are per minute, in fixed windows. */
const WINDOW_MS = 60_000;

export interface RateLimitHeaders {
  limit?: string | undefined;
  remaining?: string | undefined;
  reset?: string | undefined;
}

export class RateLimiter {
  private limit: number | undefined;
  private remaining: number | undefined;
  private resetAt = 0;
  private inFlight = 0;

  constructor(private readonly now: () => number = Date.now, private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))) {}

  /** A window that has passed is replaced by a fresh one with the plan's whole budget (once the limit is known). */
  private roll(now: number): void {
    if (this.remaining === undefined || now < this.resetAt) return;
    this.remaining = this.limit;
    this.resetAt = this.limit === undefined ? 0 : this.resetAt + Math.ceil((now - this.resetAt + 1) / WINDOW_MS) * WINDOW_MS;
  }

  /** When a call could start: now, or the window's reset when its budget is spent. */
  waitUntil(): number {
    const now = this.now();
    this.roll(now);
    return this.remaining === undefined || this.remaining - this.inFlight > 0 ? now : this.resetAt;
  }

  /** Waits until the current window has budget for one more call, counting calls already under way. */
  async acquire(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.roll(now);
      if (this.remaining === undefined || this.remaining - this.inFlight > 0) break;
      await this.sleep(this.resetAt - now + 50 + Math.floor(Math.random() * 250));
    }
    this.inFlight++;
  }

  /** Records what the server said of the window, once the call has an answer (or none). */
  release(headers: RateLimitHeaders = {}): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const limit = Number(headers.limit);
    const remaining = Number(headers.remaining);
    const reset = Number(headers.reset) * 1000;
    if (headers.limit !== undefined && Number.isFinite(limit)) this.limit = limit;
    if (headers.remaining === undefined || !Number.isFinite(remaining) || !Number.isFinite(reset)) return;
    // A newer window replaces the old; within a window, the lowest count is the latest.
    if (reset > this.resetAt || this.remaining === undefined) {
      this.resetAt = reset;
      this.remaining = remaining;
    } else if (reset === this.resetAt) {
      this.remaining = Math.min(this.remaining, remaining);
    }
  }

  /** The limiter's view, for tests and logs. */
  snapshot(): { limit: number | undefined; remaining: number | undefined; resetAt: number; inFlight: number } {
    return { limit: this.limit, remaining: this.remaining, resetAt: this.resetAt, inFlight: this.inFlight };
  }
}
