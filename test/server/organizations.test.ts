// Organizations, plans and members over real HTTP.
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { createKey, createOrg, createProject, expectEnvelope, mailedToken, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

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
    // One member by id (extension), for the invitee as for the owner; unknown ids are 404.
    expect((await server.api.get(`/organizations/${org.id}/members/${invite.body.id}`, { token: dev.token })).body).toEqual(invite.body);
    expectEnvelope(await server.api.get(`/organizations/${org.id}/members/mem_unknown`, { token: owner.token }), 404, "not_found");
    expect((await server.api.get(`/organizations/${org.id}`, { token: dev.token })).status).toBe(200);
    expectEnvelope(await server.api.post(`/organizations/${org.id}/members`, { token: owner.token, body: { email: dev.email } }), 409, "already_member");
  });

  it("does not let whoever registers an invited email first join: only the token mailed to it does", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Hiring" });
    const email = `new.hire-${Date.now()}@corp.example`;
    const invite = await server.api.post(`/organizations/${org.id}/members`, { token: owner.token, body: { email, role: "admin" } });
    expect(invite.body).toMatchObject({ status: "pending", user_id: null, email, role: "admin" });

    // Anyone can register the address (in other letters, with a space): that joins nothing.
    const squatter = await server.api.post("/auth/register", { body: { email: ` ${email.toUpperCase()} `, password: "squatter-password" } });
    expect(squatter.status).toBe(201);
    const token = squatter.body.access_token as string;
    expectEnvelope(await server.api.get(`/organizations/${org.id}`, { token }), 404);
    expect((await server.api.get(`/organizations/${org.id}/members`, { token: owner.token })).body.data).toContainEqual(expect.objectContaining({ email, status: "pending", user_id: null }));
    expectEnvelope(await server.api.post("/invitations/accept", { token, body: { token: "linv_guessed" } }), 422, "validation_error");

    // The owner of the inbox holds the token mailed with the invitation.
    const accepted = await server.api.post("/invitations/accept", { token, body: { token: await mailedToken(server.api, email, /invited/) } });
    expect(accepted.body).toMatchObject({ status: "active", user_id: squatter.body.user.id, role: "admin" });
    expect((await server.api.get(`/organizations/${org.id}`, { token })).status).toBe(200);
  });

  it("leaves nothing to whoever registered an invited address before its owner: a reset by mailed token revokes their keys", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Squatted" });
    const email = `squatted-${Date.now()}@corp.example`;
    const squatter = await server.api.post("/auth/register", { body: { email, password: "squatter-password" } });
    const key = await createKey(server.api, squatter.body.access_token, { name: "kept for later" });
    await server.api.post(`/organizations/${org.id}/members`, { token: owner.token, body: { email, role: "admin" } });
    // The address's owner cannot register it (taken): they reset the password with the token mailed to the inbox.
    await server.api.post("/auth/forgot-password", { body: { email } });
    await server.api.post("/auth/reset-password", { body: { token: await mailedToken(server.api, email, /Reset/), password: "owner-new-password" } });
    for (const token of [key, squatter.body.access_token as string]) expectEnvelope(await server.api.get(`/organizations/${org.id}`, { token }), 401);
    const login = await server.api.post("/auth/login", { body: { email, password: "owner-new-password" } });
    expect((await server.api.get(`/organizations/${org.id}`, { token: login.body.access_token })).status).toBe(200);
  });

  it("accepts an invitation only once, before it expires, signed in as the invited email, and not with an API key", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Tokens" });
    const invitee = await server.api.post("/auth/register", { body: { email: `invitee-${Date.now()}@example.com`, password: "invitee-password" } });
    const email = invitee.body.user.email as string;
    const other = await signUp(server.api, "other");
    await server.api.post(`/organizations/${org.id}/members`, { token: owner.token, body: { email, role: "viewer" } });
    const invitation = await mailedToken(server.api, email, /invited/);
    expectEnvelope(await server.api.post("/invitations/accept", { token: other.token, body: { token: invitation } }), 403, "forbidden");
    const key = await createKey(server.api, invitee.body.access_token, { permissions: ["read", "write", "admin"] });
    expectEnvelope(await server.api.post("/invitations/accept", { token: key, body: { token: invitation } }), 400, "not_a_session");
    expect((await server.api.post("/invitations/accept", { token: invitee.body.access_token, body: { token: invitation } })).status).toBe(200);
    expectEnvelope(await server.api.post("/invitations/accept", { token: invitee.body.access_token, body: { token: invitation } }), 422, "validation_error");

    const late = await createOrg(server.api, owner.token, { name: "Late" });
    const lateEmail = `late-${Date.now()}@example.com`;
    await server.api.post(`/organizations/${late.id}/members`, { token: owner.token, body: { email: lateEmail } });
    const lateToken = await mailedToken(server.api, lateEmail, /invited/);
    const lateUser = await server.api.post("/auth/register", { body: { email: lateEmail, password: "late-password" } });
    server.advanceClock(8 * 24 * 60 * 60 * 1000);
    try {
      const expired = await server.api.post("/invitations/accept", { token: (await server.api.post("/auth/login", { body: { email: lateEmail, password: "late-password" } })).body.access_token, body: { token: lateToken } });
      expectEnvelope(expired, 422, "validation_error");
      expect(lateUser.status).toBe(201);
    } finally {
      server.advanceClock(-8 * 24 * 60 * 60 * 1000);
    }
  });

  it("joins an invited email's organizations once the email is verified, and a verified user at once", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Verified" });
    const email = `verify-${Date.now()}@example.com`;
    await server.api.post(`/organizations/${org.id}/members`, { token: owner.token, body: { email, role: "developer" } });
    const registered = await server.api.post("/auth/register", { body: { email, password: "verify-password" } });
    expectEnvelope(await server.api.get(`/organizations/${org.id}`, { token: registered.body.access_token }), 404);
    const verified = await server.api.post("/auth/verify-email", { token: registered.body.access_token, body: { token: await mailedToken(server.api, email, /Verify/) } });
    expect(verified.body.message).toMatch(/joined 1 organization/);
    expect((await server.api.get(`/organizations/${org.id}`, { token: registered.body.access_token })).status).toBe(200);

    const later = await createOrg(server.api, owner.token, { name: "Later" });
    const invite = await server.api.post(`/organizations/${later.id}/members`, { token: owner.token, body: { email, role: "viewer" } });
    expect(invite.body).toMatchObject({ status: "active", user_id: registered.body.user.id });
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
