// Rate limits by plan: a fixed one-minute window, counted in the control plane on shared PostgreSQL (one atomic upsert
// per request, so several processes count exactly as one), and in memory on the embedded default, whose one process
// sees every request (a restart starts the current window afresh). A plan's limit is its organization's: a request to
// a project or an organization the caller belongs to counts against that organization, whichever key or session
// sends it; any other authenticated request against the user (all their credentials together), at the best plan of
// their organizations; an anonymous one against its address, at the free plan.
import type { FastifyReply, FastifyRequest } from "fastify";
import { Id, type Plan } from "../../contract";
import type { ServerContext } from "../context";
import type { Queryable } from "../db/sql";
import { ApiError } from "../errors";
import type { Principal } from "./principal";

/** The organization a route acts in, when its path names one: `/v1/projects/:id…` or `/v1/organizations/:id…`. */
const ORGANIZATION_OF_ROUTE = [
  { route: /^\/v1\/projects\/:id(\/|$)/, sql: "SELECT o.id, o.plan FROM projects p JOIN organizations o ON o.id = p.organization_id JOIN memberships m ON m.organization_id = o.id AND m.user_id = $2 WHERE p.id = $1" },
  { route: /^\/v1\/organizations\/:id(\/|$)/, sql: "SELECT o.id, o.plan FROM organizations o JOIN memberships m ON m.organization_id = o.id AND m.user_id = $2 WHERE o.id = $1" },
];

/** Whose budget a request spends, and at which plan. Only a member spends an organization's budget. */
export async function rateScope(ctx: ServerContext, request: FastifyRequest, principal: Principal | undefined): Promise<{ bucket: string; plan: Plan }> {
  if (!principal) return { bucket: `ip:${request.ip}`, plan: "free" };
  const param = (request.params as Record<string, string> | undefined)?.["id"];
  // Only an id that can exist is looked up; the route itself answers a malformed one (400).
  const id = param !== undefined && Id.safeParse(param).success ? param : undefined;
  const route = request.routeOptions.url ?? "";
  const match = id ? ORGANIZATION_OF_ROUTE.find((r) => r.route.test(route)) : undefined;
  if (match && id) {
    const org = await ctx.cache.get(`rate-org:${route}:${id}:${principal.userId}`, async () => (await ctx.sql.query<{ id: string; plan: Plan }>(match.sql, [id, principal.userId])).rows[0]);
    if (org) return { bucket: `org:${org.id}`, plan: org.plan };
  }
  return { bucket: `user:${principal.userId}`, plan: principal.plan };
}

/** Counts a request in its bucket's window and answers the count so far; `sweep` forgets windows before `cutoff`. */
export interface RateWindows {
  count(bucket: string, windowStart: number): Promise<number>;
  sweep(cutoff: number): Promise<void>;
}

export const databaseRateWindows = (sql: Queryable): RateWindows => ({
  async count(bucket, windowStart) {
    const { rows } = await sql.query<{ count: number }>(
      `INSERT INTO rate_limit_windows (bucket, window_start, count) VALUES ($1, $2, 1)
       ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_windows.count + 1 RETURNING count`,
      [bucket, windowStart],
    );
    return rows[0]?.count ?? 1;
  },
  async sweep(cutoff) {
    await sql.query("DELETE FROM rate_limit_windows WHERE window_start < $1", [cutoff]);
  },
});

export function memoryRateWindows(): RateWindows {
  const windows = new Map<string, { windowStart: number; count: number }>();
  return {
    count(bucket, windowStart) {
      const current = windows.get(bucket);
      const next = current?.windowStart === windowStart ? { windowStart, count: current.count + 1 } : { windowStart, count: 1 };
      windows.set(bucket, next);
      return Promise.resolve(next.count);
    },
    sweep(cutoff) {
      for (const [bucket, window] of windows) if (window.windowStart < cutoff) windows.delete(bucket);
      return Promise.resolve();
    },
  };
}

export async function applyRateLimit(ctx: ServerContext, reply: FastifyReply, bucket: string, plan: Plan): Promise<void> {
  const limit = ctx.options.rateLimits[plan];
  const nowSeconds = ctx.options.now().getTime() / 1000;
  const windowStart = Math.floor(nowSeconds / 60) * 60;
  const reset = windowStart + 60;
  const count = await ctx.rateWindows.count(bucket, windowStart);
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
  await ctx.rateWindows.sweep(Math.floor(ctx.options.now().getTime() / 1000) - 120);
}
