// Organizations, plans and members over real HTTP.
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { createOrg, createProject, expectEnvelope, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

describeEachEngine("organizations", (engine) => {
  let server: TestServer;
  let owner: TestUser;
  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = await signUp(server.api, "owner");
  });
  afterAll(() => server.close());

  it("creates an organization on the free plan by default, with the creator as owner", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Acme Corp" });
    expect(org).toMatchObject({ name: "Acme Corp", slug: "acme-corp", plan: "free" });
    expect(org.id).toMatch(/^org_/);
    const members = await server.api.get(`/organizations/${org.id}/members`, { token: owner.token });
    expect(members.body.data).toEqual([expect.objectContaining({ user_id: owner.id, role: "owner", status: "active" })]);
  });

  it("derives unique slugs and refuses a taken explicit slug", async () => {
    const a = await createOrg(server.api, owner.token, { name: "Twin" });
    const b = await createOrg(server.api, owner.token, { name: "Twin" });
    expect(a.slug).toBe("twin");
    expect(b.slug).toBe("twin-2");
    expectEnvelope(await server.api.post("/organizations", { token: owner.token, body: { name: "X", slug: "twin" } }), 409, "slug_taken");
  });

  it("lists, gets, updates (name and plan) and deletes", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Life Cycle" });
    const list = await server.api.get("/organizations?limit=100", { token: owner.token });
    expect(list.body.data.map((o: { id: string }) => o.id)).toContain(org.id);
    expect((await server.api.get(`/organizations/${org.id}`, { token: owner.token })).body).toEqual(org);

    const updated = await server.api.patch(`/organizations/${org.id}`, { token: owner.token, body: { name: "Renamed", plan: "pro" } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: org.id, name: "Renamed", plan: "pro", slug: "life-cycle" });

    expect((await server.api.delete(`/organizations/${org.id}`, { token: owner.token })).status).toBe(204);
    expectEnvelope(await server.api.get(`/organizations/${org.id}`, { token: owner.token }), 404, "not_found");
  });

  it("deleting an organization deletes its projects", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Doomed" });
    const project = await createProject(server.api, owner.token, org.id);
    await server.api.delete(`/organizations/${org.id}`, { token: owner.token });
    expectEnvelope(await server.api.get(`/projects/${project.id}`, { token: owner.token }), 404);
  });

  it("refuses an unknown plan", async () => {
    const res = await server.api.post("/organizations", { token: owner.token, body: { name: "P", plan: "enterprise" } });
    expectEnvelope(res, 422);
    expect(res.body.error.details).toMatchObject({ field: "plan", constraint: "enum" });
  });

  it("hides organizations of others as 404", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Private" });
    const stranger = await signUp(server.api, "stranger");
    expectEnvelope(await server.api.get(`/organizations/${org.id}`, { token: stranger.token }), 404);
    expectEnvelope(await server.api.get(`/organizations/${org.id}/members`, { token: stranger.token }), 404);
    expect((await server.api.get("/organizations", { token: stranger.token })).body.data).toEqual([]);
  });

  it("invites a registered user as an active member", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Team" });
    const dev = await signUp(server.api, "dev");
    const invite = await server.api.post(`/organizations/${org.id}/members`, { token: owner.token, body: { email: dev.email, role: "developer" } });
    expect(invite.status).toBe(201);
    expect(invite.body).toMatchObject({ organization_id: org.id, user_id: dev.id, role: "developer", status: "active" });
    expect((await server.api.get(`/organizations/${org.id}`, { token: dev.token })).status).toBe(200);
    expectEnvelope(await server.api.post(`/organizations/${org.id}/members`, { token: owner.token, body: { email: dev.email } }), 409, "already_member");
  });

  it("keeps an invitation to an unregistered email pending until that email registers", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Pending" });
    const email = `future-${Date.now()}@example.com`;
    const invite = await server.api.post(`/organizations/${org.id}/members`, { token: owner.token, body: { email, role: "viewer" } });
    expect(invite.body).toMatchObject({ status: "pending", user_id: null, email, role: "viewer" });

    const registered = await server.api.post("/auth/register", { body: { email, password: "future-password" } });
    const token = registered.body.access_token as string;
    const visible = await server.api.get(`/organizations/${org.id}`, { token });
    expect(visible.status).toBe(200);
    const members = await server.api.get(`/organizations/${org.id}/members`, { token: owner.token });
    expect(members.body.data).toContainEqual(expect.objectContaining({ email, status: "active", user_id: registered.body.user.id }));
  });

  it("enforces roles: a viewer reads, a developer cannot manage members, an admin cannot delete", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Roles" });
    const [viewer, developer, admin] = await Promise.all([signUp(server.api, "viewer"), signUp(server.api, "developer"), signUp(server.api, "admin")]);
    for (const [user, role] of [[viewer, "viewer"], [developer, "developer"], [admin, "admin"]] as const) {
      await server.api.post(`/organizations/${org.id}/members`, { token: owner.token, body: { email: user.email, role } });
    }
    expect((await server.api.get(`/organizations/${org.id}`, { token: viewer.token })).status).toBe(200);
    expectEnvelope(await server.api.post("/projects", { token: viewer.token, body: { name: "V", organization_id: org.id } }), 403);
    expect((await server.api.post("/projects", { token: developer.token, body: { name: "D", organization_id: org.id } })).status).toBe(201);
    expectEnvelope(await server.api.post(`/organizations/${org.id}/members`, { token: developer.token, body: { email: "x@example.com" } }), 403);
    expectEnvelope(await server.api.patch(`/organizations/${org.id}`, { token: developer.token, body: { name: "Nope" } }), 403);
    expect((await server.api.patch(`/organizations/${org.id}`, { token: admin.token, body: { name: "Yes" } })).status).toBe(200);
    expectEnvelope(await server.api.post(`/organizations/${org.id}/members`, { token: admin.token, body: { email: "boss@example.com", role: "owner" } }), 403);
    expectEnvelope(await server.api.delete(`/organizations/${org.id}`, { token: admin.token }), 403);
  });

  it("changes roles and removes members, but never the last owner", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Owners" });
    const members = await server.api.get(`/organizations/${org.id}/members`, { token: owner.token });
    const ownerMember = members.body.data[0];
    expectEnvelope(await server.api.patch(`/organizations/${org.id}/members/${ownerMember.id}`, { token: owner.token, body: { role: "admin" } }), 409, "last_owner");
    expectEnvelope(await server.api.delete(`/organizations/${org.id}/members/${ownerMember.id}`, { token: owner.token }), 409, "last_owner");

    const other = await signUp(server.api, "other");
    const invite = await server.api.post(`/organizations/${org.id}/members`, { token: owner.token, body: { email: other.email, role: "viewer" } });
    const promoted = await server.api.patch(`/organizations/${org.id}/members/${invite.body.id}`, { token: owner.token, body: { role: "admin" } });
    expect(promoted.body.role).toBe("admin");
    expect((await server.api.delete(`/organizations/${org.id}/members/${invite.body.id}`, { token: owner.token })).status).toBe(204);
    expectEnvelope(await server.api.get(`/organizations/${org.id}`, { token: other.token }), 404);
    expectEnvelope(await server.api.delete(`/organizations/${org.id}/members/mem_nothing`, { token: owner.token }), 404);
  });

  it("lets any member leave", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Leaving" });
    const viewer = await signUp(server.api, "leaver");
    const invite = await server.api.post(`/organizations/${org.id}/members`, { token: owner.token, body: { email: viewer.email, role: "viewer" } });
    expect((await server.api.delete(`/organizations/${org.id}/members/${invite.body.id}`, { token: viewer.token })).status).toBe(204);
  });
});
