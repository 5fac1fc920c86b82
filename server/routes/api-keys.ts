// API key routes (extension): list, create (the secret is shown once), delete.
import type { FastifyInstance } from "fastify";
import { apiKeyEndpoints as api, type ApiKey } from "../../contract";
import { iso, isoOrNull, type ServerContext } from "../context";
import { ApiError, notFound, validation } from "../errors";
import { newId, newSecret, sha256 } from "../services/crypto";
import { API_KEY_PREFIX, expandPermissions, requireAllProjects } from "../http/principal";
import { ownEarlierWrite, writeKeyOf } from "../http/idempotency";
import { serve } from "../http/route";
import { queryPage } from "../store/page";

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  projects: string[] | null;
  permissions: string[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

const toApiKey = (row: ApiKeyRow): ApiKey => ({
  id: row.id, name: row.name, prefix: row.prefix, projects: row.projects ?? "*", permissions: row.permissions as ApiKey["permissions"],
  created_at: iso(row.created_at), expires_at: isoOrNull(row.expires_at), last_used_at: isoOrNull(row.last_used_at),
});

export function apiKeyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  serve(app, ctx, api.list, async ({ principal, query }) => {
    requireAllProjects(principal, "managing API keys");
    return queryPage(ctx.sql, { fromWhere: "FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL", orderBy: "created_at, id", params: [principal.userId] }, query, toApiKey);
  });

  serve(app, ctx, api.create, async ({ principal, body, request }) => {
    // A key can only hand out what its creator holds: no wider scope, no higher permission.
    requireAllProjects(principal, "managing API keys");
    const wanted = expandPermissions(body.permissions);
    for (const permission of wanted) {
      if (!principal.permissions.has(permission)) throw new ApiError(403, "forbidden", `Cannot grant "${permission}": this credential does not hold it`);
    }
    const projects = body.projects === "*" ? null : [...new Set(body.projects)];
    if (projects) {
      const { rows } = await ctx.sql.query<{ id: string }>(
        "SELECT p.id FROM projects p JOIN memberships m ON m.organization_id = p.organization_id WHERE m.user_id = $1 AND p.id = ANY($2::text[])",
        [principal.userId, projects],
      );
      const known = new Set(rows.map((r) => r.id));
      const missing = projects.find((id) => !known.has(id));
      if (missing) throw validation("projects", "exists", `Project ${missing} not found among your projects`);
    }
    // The secret of a key an earlier attempt made never reached anyone (it is kept hashed): that key goes, a new one comes.
    const earlier = await ownEarlierWrite<ApiKeyRow>(ctx, request, "api_keys", "user_id = $2", [principal.userId]);
    if (earlier) await ctx.sql.query("DELETE FROM api_keys WHERE id = $1", [earlier.id]);
    const key = newSecret(API_KEY_PREFIX);
    const expiresAt = body.expires_in ? new Date(ctx.options.now().getTime() + body.expires_in * 1000) : null;
    const { rows } = await ctx.sql.query<ApiKeyRow>(
      "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, projects, permissions, expires_at, write_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
      [newId("key"), principal.userId, body.name, key.slice(0, API_KEY_PREFIX.length + 6), sha256(key), projects, body.permissions, expiresAt, writeKeyOf(request)],
    );
    return { ...toApiKey(rows[0] as ApiKeyRow), key };
  });

  serve(app, ctx, api.delete, async ({ principal, params }) => {
    requireAllProjects(principal, "managing API keys");
    const { rowCount } = await ctx.sql.query("UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL", [params.id, principal.userId, ctx.options.now()]);
    if (rowCount === 0) throw notFound("API key", params.id);
  });
}
