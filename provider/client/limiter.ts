// One limiter per API key and process, fed by the X-RateLimit-* headers: when the window's budget is spent, calls
// wait for the reset instead of failing, so a stack larger than the plan's per-minute limit slows down and finishes.
// X-RateLimit-Reset is an absolute time on the server's clock: it names the window, and the time left in it is
// measured against the response's Date header, so a client whose clock differs from the server's waits as long as
// the window really has left.

/** The seed's limits are per minute, in fixed windows. */
const WINDOW_MS = 60_000;

export interface RateLimitHeaders {
  limit?: string | undefined;
  remaining?: string | undefined;
  reset?: string | undefined;
  /** The response's Date header: the server's clock when it answered. */
  date?: string | undefined;
}

export class RateLimiter {
  private limit: number | undefined;
  private remaining: number | undefined;
  /** When the current window ends, on this process's clock. */
  private resetAt = 0;
  /** The current window's X-RateLimit-Reset in ms, on the server's clock: which window the counts belong to. */
  private window = 0;
  private inFlight = 0;

  constructor(private readonly now: () => number = Date.now, private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))) {}

  /** A window that has passed is replaced by a fresh one with the plan's whole budget (once the limit is known). */
  private roll(now: number): void {
    if (this.remaining === undefined || now < this.resetAt) return;
    this.remaining = this.limit;
    if (this.limit === undefined) {
      this.resetAt = 0;
      return;
    }
    const passed = Math.ceil((now - this.resetAt + 1) / WINDOW_MS) * WINDOW_MS;
    this.resetAt += passed;
    this.window += passed;
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
    if (reset > this.window || this.remaining === undefined) {
      this.window = reset;
      this.resetAt = this.localTimeOf(reset, headers.date);
      this.remaining = remaining;
    } else if (reset === this.window) {
      this.remaining = Math.min(this.remaining, remaining);
    }
  }

  /** The server's reset time on this process's clock: now plus what the window has left by the server's own clock. */
  private localTimeOf(reset: number, date: string | undefined): number {
    const now = this.now();
    const serverNow = date === undefined ? Number.NaN : Date.parse(date);
    if (!Number.isFinite(serverNow)) return reset;
    // Date has whole seconds, so the time left may read up to a second long: waiting that much more is harmless.
    return now + Math.min(Math.max(reset - serverNow, 0), WINDOW_MS);
  }

  /** The limiter's view, for tests and logs. */
  snapshot(): { limit: number | undefined; remaining: number | undefined; resetAt: number; window: number; inFlight: number } {
    return { limit: this.limit, remaining: this.remaining, resetAt: this.resetAt, window: this.window, inFlight: this.inFlight };
  }
}
