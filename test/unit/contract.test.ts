import { describe, expect, it } from "vitest";
import { PageQuery, endpoints } from "../../contract";

describe("the endpoint table", () => {
  it("has one row per method and path, and unique operation ids", () => {
    const keys = endpoints.map((e) => `${e.method} ${e.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(endpoints.map((e) => e.operationId)).size).toBe(endpoints.length);
  });

  it("names every path parameter in its params schema", () => {
    for (const e of endpoints) {
      const names = [...e.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
      const shape = (e.params as unknown as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
      expect(Object.keys(shape).sort(), `${e.method} ${e.path}`).toEqual(names.sort());
    }
  });

  it("marks project-scoped every row whose path names a project", () => {
    for (const e of endpoints) expect(Boolean(e.projectScoped), e.path).toBe(e.path.startsWith("/projects/:id"));
  });

  it("describes all 49 endpoints of the reference, and marks everything else an extension", () => {
    const seed = [
      "POST /auth/register", "POST /auth/login", "POST /auth/logout", "POST /auth/refresh", "GET /auth/me", "POST /auth/forgot-password", "POST /auth/reset-password",
      "GET /organizations", "POST /organizations", "GET /organizations/:id", "PATCH /organizations/:id", "DELETE /organizations/:id",
      "GET /organizations/:id/members", "POST /organizations/:id/members",
      "GET /projects", "POST /projects", "GET /projects/:id", "PATCH /projects/:id", "DELETE /projects/:id",
      "GET /projects/:id/env", "POST /projects/:id/env", "DELETE /projects/:id/env/:key",
      "POST /projects/:id/db/query", "GET /projects/:id/db/tables", "GET /projects/:id/db/tables/:table", "GET /projects/:id/db/branches",
      "POST /projects/:id/db/branches", "GET /projects/:id/db/migrations", "POST /projects/:id/db/migrations",
      "GET /projects/:id/storage/buckets", "POST /projects/:id/storage/buckets", "DELETE /projects/:id/storage/buckets/:name",
      "GET /projects/:id/storage/objects", "POST /projects/:id/storage/objects", "GET /projects/:id/storage/objects/:key",
      "DELETE /projects/:id/storage/objects/:key", "POST /projects/:id/storage/sign",
      "GET /projects/:id/functions", "POST /projects/:id/functions", "GET /projects/:id/functions/:slug", "PATCH /projects/:id/functions/:slug",
      "DELETE /projects/:id/functions/:slug", "POST /projects/:id/functions/:slug/deploy", "GET /projects/:id/functions/:slug/logs",
      "GET /projects/:id/deployments", "POST /projects/:id/deployments", "GET /projects/:id/deployments/:deployId",
      "POST /projects/:id/deployments/:deployId/rollback", "GET /projects/:id/deployments/:deployId/logs",
    ];
    const rows = new Set(endpoints.map((e) => `${e.method} ${e.path}`));
    for (const row of seed) expect(rows.has(row), row).toBe(true);
    for (const e of endpoints) if (!seed.includes(`${e.method} ${e.path}`)) expect(e.extension, `${e.method} ${e.path} is not in the seed`).toBe(true);
  });
});

describe("pagination query", () => {
  it.each([
    [{}, { limit: 20, offset: 0 }],
    [{ limit: "100", offset: "40" }, { limit: 100, offset: 40 }],
  ])("%j → %j", (query, parsed) => {
    expect(PageQuery.parse(query)).toEqual(parsed);
  });

  it.each([{ limit: "0" }, { limit: "101" }, { limit: "1e2" }, { offset: "-3" }, { limit: " 5" }])("refuses %j", (query) => {
    expect(PageQuery.safeParse(query).success).toBe(false);
  });
});
