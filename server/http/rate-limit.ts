// Per-credential rate limits by plan: a fixed one-minute window counted in the control plane, so several
// processes behind one load balancer share the count.
import type { FastifyReply } from "fastify";
import type { Plan } from "../../contract";
import type { ServerContext } from "../context";
import { ApiError } from "../errors";

export async function applyRateLimit(ctx: ServerContext, reply: FastifyReply, bucket: string, plan: Plan): Promise<void> {
  const limit = ctx.options.rateLimits[plan];
  const nowSeconds = ctx.options.now().getTime() / 1000;
  const windowStart = Math.floor(nowSeconds / 60) * 60;
  const reset = windowStart + 60;
  const { rows } = await ctx.sql.query<{ count: number }>(
    `INSERT INTO rate_limit_windows (bucket, window_start, count) VALUES ($1, $2, 1)
     ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_windows.count + 1 RETURNING count`,
    [bucket, windowStart],
  );
  const count = rows[0]?.count ?? 1;
  reply.header("X-RateLimit-Limit", String(limit));
  reply.header("X-RateLimit-Remaining", String(Math.max(0, limit - count)));
  reply.header("X-RateLimit-Reset", String(reset));
  if (count > limit) {
    const retryAfter = Math.max(1, Math.ceil(reset - nowSeconds));
    throw new ApiError(429, "rate_limit_exceeded", `Rate limit of ${limit} requests per minute exceeded (${plan} plan); retry after ${retryAfter} s`,
      { limit, plan, reset }, { "Retry-After": String(retryAfter) });
  }
}

/** Drops windows that can no longer matter; run now and then, by any process. */
export async function sweepRateLimits(ctx: ServerContext): Promise<void> {
  const cutoff = Math.floor(ctx.options.now().getTime() / 1000) - 120;
  await ctx.sql.query("DELETE FROM rate_limit_windows WHERE window_start < $1", [cutoff]);
}
