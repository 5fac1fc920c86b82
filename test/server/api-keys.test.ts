// API keys over real HTTP: shown once, stored hashed, scoped to projects and permissions.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { createKey, createOrg, createProject, expectEnvelope, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

describeEachEngine("api keys", (engine) => {
  let server: TestServer;
  let owner: TestUser;
  let orgId: string;
  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = await signUp(server.api, "owner");
    orgId = (await createOrg(server.api, owner.token)).id;
  });
  afterAll(() => server.close());

  it("shows the secret once at creation and never in a list; stores only its hash", async () => {
    const created = await server.api.post("/api-keys", { token: owner.token, body: { name: "ci", projects: "*", permissions: ["read", "write"] } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^lubes_sk_/);
    expect(created.body).toMatchObject({ name: "ci", projects: "*", permissions: ["read", "write"], expires_at: null });
    expect(created.body.key.startsWith(created.body.prefix)).toBe(true);

    const list = await server.api.get("/api-keys", { token: owner.token });
    const listed = list.body.data.find((k: { id: string }) => k.id === created.body.id);
    expect(listed).toBeDefined();
    expect(listed).not.toHaveProperty("key");
    expect(list.text).not.toContain(created.body.key);

    const { rows } = await server.app.lubes.sql.query<{ key_hash: string }>("SELECT key_hash FROM api_keys WHERE id = $1", [created.body.id]);
    expect(rows[0]?.key_hash).toBe(createHash("sha256").update(created.body.key).digest("hex"));
  });

  it("authenticates with a key, and a deleted key is refused as revoked", async () => {
    const key = await createKey(server.api, owner.token, {});
    expect((await server.api.get("/auth/me", { token: key })).body.id).toBe(owner.id);
    const id = (await server.api.get("/api-keys?limit=100", { token: owner.token })).body.data.at(-1).id;
    expect((await server.api.delete(`/api-keys/${id}`, { token: owner.token })).status).toBe(204);
    expectEnvelope(await server.api.get("/auth/me", { token: key }), 401, "token_revoked");
    expectEnvelope(await server.api.delete(`/api-keys/${id}`, { token: owner.token }), 404);
  });

  it("scopes a key to its projects: others are 403 and missing from lists", async () => {
    const inScope = await createProject(server.api, owner.token, orgId, "In");
    const outOfScope = await createProject(server.api, owner.token, orgId, "Out");
    const key = await createKey(server.api, owner.token, { projects: [inScope.id] });
    expect((await server.api.get(`/projects/${inScope.id}`, { token: key })).status).toBe(200);
    expectEnvelope(await server.api.get(`/projects/${outOfScope.id}`, { token: key }), 403, "forbidden");
    const list = await server.api.get("/projects?limit=100", { token: key });
    expect(list.body.data.map((p: { id: string }) => p.id)).toEqual([inScope.id]);
    expectEnvelope(await server.api.post("/projects", { token: key, body: { name: "Wider", organization_id: orgId } }), 403);
  });

  it("a read key cannot write; write implies read; only admin manages keys", async () => {
    const project = await createProject(server.api, owner.token, orgId, "Perms");
    const read = await createKey(server.api, owner.token, { permissions: ["read"] });
    const write = await createKey(server.api, owner.token, { permissions: ["write"] });
    expect((await server.api.get(`/projects/${project.id}`, { token: read })).status).toBe(200);
    expectEnvelope(await server.api.patch(`/projects/${project.id}`, { token: read, body: { name: "x" } }), 403);
    expect((await server.api.get(`/projects/${project.id}`, { token: write })).status).toBe(200);
    expect((await server.api.patch(`/projects/${project.id}`, { token: write, body: { name: "y" } })).status).toBe(200);
    expectEnvelope(await server.api.delete(`/projects/${project.id}`, { token: write }), 403);
    expectEnvelope(await server.api.get("/api-keys", { token: write }), 403);
    expectEnvelope(await server.api.post("/api-keys", { token: write, body: { name: "escalate" } }), 403);
  });

  it("refuses to scope a key to a project the user cannot see", async () => {
    const res = await server.api.post("/api-keys", { token: owner.token, body: { name: "x", projects: ["proj_unknown"] } });
    expectEnvelope(res, 422);
    expect(res.body.error.details).toMatchObject({ field: "projects", constraint: "exists" });
  });

  it("expires a key with expires_in", async () => {
    const key = await createKey(server.api, owner.token, { expires_in: 60 });
    expect((await server.api.get("/auth/me", { token: key })).status).toBe(200);
    server.advanceClock(61_000);
    try {
      expectEnvelope(await server.api.get("/auth/me", { token: key }), 401, "token_expired");
    } finally {
      server.advanceClock(-61_000);
    }
  });

  it("logout with an API key is a 400 that says how to revoke it", async () => {
    const key = await createKey(server.api, owner.token, {});
    expectEnvelope(await server.api.post("/auth/logout", { token: key }), 400, "not_a_session");
  });
});
