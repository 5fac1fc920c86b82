// What a request reads about its caller is kept in memory on the embedded engine (server/db/read-cache.ts). Whatever
// was read a moment ago, a change takes effect on the very next request: revocations, removals, role and plan changes.
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { createKey, createOrg, createProject, expectEnvelope, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

describeEachEngine("reads kept in memory never outlive a change", (engine) => {
  let server: TestServer;
  let owner: TestUser;
  let member: TestUser;
  let orgId: string;
  let projectId: string;
  const project = (token: string) => server.api.get(`/projects/${projectId}`, { token });
  const warm = async (token: string) => {
    for (let i = 0; i < 3; i++) await project(token);
  };

  beforeAll(async () => {
    server = await startTestServer(engine, { rateLimits: { free: 1000, pro: 2000 } });
    owner = await signUp(server.api, "cache-owner");
    member = await signUp(server.api, "cache-member");
    orgId = (await createOrg(server.api, owner.token)).id;
    projectId = (await createProject(server.api, owner.token, orgId)).id;
  });
  afterAll(() => server.close());

  it("refuses a deleted key and a logged-out session on the next request", async () => {
    const key = await createKey(server.api, owner.token, { name: "short-lived" });
    await warm(key);
    const keyId = (await server.api.get("/api-keys", { token: owner.token })).body.data.find((k: { name: string }) => k.name === "short-lived").id;
    await server.api.delete(`/api-keys/${keyId}`, { token: owner.token });
    expectEnvelope(await project(key), 401, "token_revoked");

    const login = await server.api.post("/auth/login", { body: { email: owner.email, password: owner.password } });
    await warm(login.body.access_token);
    await server.api.post("/auth/logout", { token: login.body.access_token });
    expectEnvelope(await project(login.body.access_token), 401, "token_revoked");
  });

  it("follows a member's role and removal, and the organization's plan, at once", async () => {
    const invite = await server.api.post(`/organizations/${orgId}/members`, { token: owner.token, body: { email: member.email, role: "viewer" } });
    await warm(member.token);
    expectEnvelope(await server.api.patch(`/projects/${projectId}`, { token: member.token, body: { name: "Renamed" } }), 403);
    await server.api.patch(`/organizations/${orgId}/members/${invite.body.id}`, { token: owner.token, body: { role: "developer" } });
    expect((await server.api.patch(`/projects/${projectId}`, { token: member.token, body: { name: "Renamed" } })).status).toBe(200);

    expect((await project(member.token)).headers.get("x-ratelimit-limit")).toBe("1000");
    await server.api.patch(`/organizations/${orgId}`, { token: owner.token, body: { plan: "pro" } });
    expect((await project(member.token)).headers.get("x-ratelimit-limit")).toBe("2000");

    await server.api.delete(`/organizations/${orgId}/members/${invite.body.id}`, { token: owner.token });
    expectEnvelope(await project(member.token), 404, "not_found");
  });

  it("counts the rate limit exactly, request by request", async () => {
    const seen: { remaining: number; reset: string | null }[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await project(owner.token);
      seen.push({ remaining: Number(res.headers.get("x-ratelimit-remaining")), reset: res.headers.get("x-ratelimit-reset") });
    }
    // Within one window each request takes one; a window may begin between two of them.
    const pairs = seen.slice(1).map((later, i) => [seen[i], later] as const).filter(([a, b]) => a?.reset === b.reset);
    expect(pairs.length).toBeGreaterThan(0);
    for (const [earlier, later] of pairs) expect(later.remaining).toBe((earlier?.remaining ?? 0) - 1);
  });
});
