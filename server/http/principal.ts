// Who is calling: turns a Bearer token (an API key or an access token) into a principal, or an exact 401.
import type { Permission, Plan } from "../../contract";
import type { ServerContext } from "../context";
import { ApiError, unauthorized } from "../errors";
import { sha256 } from "../services/crypto";
import { verifyAccessToken } from "../store/sessions";

export const API_KEY_PREFIX = "lubes_sk_";
const LEVEL: Record<Permission, number> = { read: 1, write: 2, admin: 3 };

export interface Principal {
  userId: string;
  credential: { kind: "session"; sessionId: string } | { kind: "api_key"; keyId: string };
  /** Granted levels, with the ones they imply (admin ⊇ write ⊇ read). */
  permissions: ReadonlySet<Permission>;
  /** The projects the credential may touch: "*" for all of the user's. */
  projects: "*" | readonly string[];
  /** The best plan among the user's organizations: the rate limit of requests outside any organization. */
  plan: Plan;
  /** The credential itself, `key:<id>` or `user:<id>` (a session): Idempotency-Keys are scoped to it. */
  credentialScope: string;
}

/** Grants plus what they imply: a key made with ["write"] can read too. */
export function expandPermissions(granted: readonly string[]): Set<Permission> {
  const top = Math.max(0, ...granted.map((p) => LEVEL[p as Permission] ?? 0));
  return new Set((Object.keys(LEVEL) as Permission[]).filter((p) => LEVEL[p] <= top));
}

const PLAN_OF_USER = `(SELECT CASE max(CASE o.plan WHEN 'team' THEN 3 WHEN 'pro' THEN 2 ELSE 1 END) WHEN 3 THEN 'team' WHEN 2 THEN 'pro' ELSE 'free' END
     FROM memberships m JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = u.id)`;

export async function authenticate(ctx: ServerContext, header: string | undefined): Promise<Principal> {
  if (!header) throw unauthorized("missing_token", "Authorization header is missing: send `Authorization: Bearer <API key or access token>`");
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw unauthorized("invalid_token", "Authorization header must be `Bearer <token>`");
  const token = match[1];
  return token.startsWith(API_KEY_PREFIX) ? apiKeyPrincipal(ctx, token) : sessionPrincipal(ctx, token);
}

async function apiKeyPrincipal(ctx: ServerContext, token: string): Promise<Principal> {
  const hash = sha256(token);
  const key = await ctx.cache.get(`api-key:${hash}`, async () => (await ctx.sql.query<{ id: string; user_id: string; projects: string[] | null; permissions: string[]; expires_at: Date | null; revoked_at: Date | null; last_used_at: Date | null; plan: Plan }>(
    `SELECT k.id, k.user_id, k.projects, k.permissions, k.expires_at, k.revoked_at, k.last_used_at, ${PLAN_OF_USER} AS plan
       FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1`,
    [hash],
  )).rows[0]);
  const now = ctx.options.now();
  if (!key) throw unauthorized("invalid_token", "Bearer token is not a valid API key or access token");
  if (key.revoked_at) throw unauthorized("token_revoked", "This API key has been deleted");
  if (key.expires_at && new Date(key.expires_at) <= now) throw unauthorized("token_expired", "This API key has expired; create a new one");
  // last_used_at is informational: written at most once a minute, so most requests cost no write for it.
  if (!key.last_used_at || now.getTime() - new Date(key.last_used_at).getTime() > 60_000) {
    await ctx.sql.query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1", [key.id, now]);
  }
  return {
    userId: key.user_id,
    credential: { kind: "api_key", keyId: key.id },
    permissions: expandPermissions(key.permissions),
    projects: key.projects ?? "*",
    plan: key.plan,
    credentialScope: `key:${key.id}`,
  };
}

async function sessionPrincipal(ctx: ServerContext, token: string): Promise<Principal> {
  const { userId, sessionId } = await verifyAccessToken(ctx, token);
  // Every use checks the session: it must exist, not be logged out, and be within its lifetime.
  const session = await ctx.cache.get(`session:${sessionId}:${userId}`, async () => (await ctx.sql.query<{ revoked_at: Date | null; expires_at: Date; plan: Plan }>(
    `SELECT s.revoked_at, s.expires_at, ${PLAN_OF_USER} AS plan FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.user_id = $2`,
    [sessionId, userId],
  )).rows[0]);
  if (!session || session.revoked_at) throw unauthorized("token_revoked", "This session has been logged out; log in again");
  if (new Date(session.expires_at) <= ctx.options.now()) throw unauthorized("token_expired", "This session has expired; log in again");
  return {
    userId,
    credential: { kind: "session", sessionId },
    permissions: expandPermissions(["admin"]),
    projects: "*",
    plan: session.plan,
    credentialScope: `user:${userId}`,
  };
}

export function requirePermission(principal: Principal, permission: Permission): void {
  if (!principal.permissions.has(permission)) {
    throw new ApiError(403, "forbidden", `This credential lacks the "${permission}" permission`, { permission });
  }
}

/** Organization-wide changes and key management need a credential for all projects ("*"). */
export function requireAllProjects(principal: Principal, action: string): void {
  if (principal.projects !== "*") {
    throw new ApiError(403, "forbidden", `This API key is scoped to specific projects; ${action} needs a key for all projects ("*")`);
  }
}

export const canReachProject = (principal: Principal, projectId: string): boolean =>
  principal.projects === "*" || principal.projects.includes(projectId);
