// Projects over real HTTP, starting with the seed's "Create a Project" example.
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { createOrg, createProject, expectEnvelope, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

describeEachEngine("projects", (engine) => {
  let server: TestServer;
  let owner: TestUser;
  let orgId: string;
  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = await signUp(server.api, "owner");
    orgId = (await createOrg(server.api, owner.token)).id;
  });
  afterAll(() => server.close());

  it("answers the seed's Create a Project example with the seed's response shape", async () => {
    const res = await server.api.post("/projects", { token: owner.token, body: { name: "My Project", organization_id: orgId } });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^proj_[a-z0-9]+$/),
      name: "My Project",
      slug: "my-project",
      organization_id: orgId,
      current_deployment_id: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      updated_at: expect.any(String),
    });
  });

  it("keeps slugs unique within an organization and derives them from unicode names", async () => {
    const a = await createProject(server.api, owner.token, orgId, "Dup");
    const b = await createProject(server.api, owner.token, orgId, "Dup");
    expect([a.slug, b.slug]).toEqual(["dup", "dup-2"]);
    expect((await createProject(server.api, owner.token, orgId, "Café Crème")).slug).toBe("cafe-creme");
    expect((await createProject(server.api, owner.token, orgId, "日本語")).slug).toBe("project");
    const otherOrg = await createOrg(server.api, owner.token);
    expect((await createProject(server.api, owner.token, otherOrg.id, "Dup")).slug).toBe("dup");
  });

  it("gets, renames (slug stays) and changes the slug explicitly", async () => {
    const project = await createProject(server.api, owner.token, orgId, "Stable");
    expect((await server.api.get(`/projects/${project.id}`, { token: owner.token })).body).toEqual(project);
    const renamed = await server.api.patch(`/projects/${project.id}`, { token: owner.token, body: { name: "Stable 2" } });
    expect(renamed.body).toMatchObject({ name: "Stable 2", slug: "stable" });
    const reslugged = await server.api.patch(`/projects/${project.id}`, { token: owner.token, body: { slug: "stable-two" } });
    expect(reslugged.body.slug).toBe("stable-two");
    const clash = await createProject(server.api, owner.token, orgId, "Clash");
    expectEnvelope(await server.api.patch(`/projects/${clash.id}`, { token: owner.token, body: { slug: "stable-two" } }), 409, "slug_taken");
    expectEnvelope(await server.api.patch(`/projects/${clash.id}`, { token: owner.token, body: { slug: "Not A Slug" } }), 422);
  });

  it("lists with pagination and filters by organization", async () => {
    const org = await createOrg(server.api, owner.token, { name: "Paged" });
    for (let i = 0; i < 5; i++) await createProject(server.api, owner.token, org.id, `P${i}`);
    const first = await server.api.get(`/projects?organization_id=${org.id}&limit=2`, { token: owner.token });
    expect(first.body.pagination).toEqual({ total: 5, limit: 2, offset: 0, has_more: true });
    expect(first.body.data.map((p: { name: string }) => p.name)).toEqual(["P0", "P1"]);
    const last = await server.api.get(`/projects?organization_id=${org.id}&limit=2&offset=4`, { token: owner.token });
    expect(last.body.pagination).toEqual({ total: 5, limit: 2, offset: 4, has_more: false });
    const beyond = await server.api.get(`/projects?organization_id=${org.id}&offset=50`, { token: owner.token });
    expect(beyond.body).toEqual({ data: [], pagination: { total: 5, limit: 20, offset: 50, has_more: false } });
  });

  it("deletes a project and everything under it, then answers 404", async () => {
    const project = await createProject(server.api, owner.token, orgId, "Gone");
    expect((await server.api.delete(`/projects/${project.id}`, { token: owner.token })).status).toBe(204);
    expectEnvelope(await server.api.get(`/projects/${project.id}`, { token: owner.token }), 404, "not_found");
    expectEnvelope(await server.api.delete(`/projects/${project.id}`, { token: owner.token }), 404);
  });

  it("refuses a project in an organization the caller does not belong to with 404", async () => {
    const stranger = await signUp(server.api, "stranger");
    expectEnvelope(await server.api.post("/projects", { token: stranger.token, body: { name: "X", organization_id: orgId } }), 404);
  });

  it("requires X-Project-ID, when sent, to match the project in the path", async () => {
    const project = await createProject(server.api, owner.token, orgId, "Header");
    expect((await server.api.get(`/projects/${project.id}`, { token: owner.token, headers: { "x-project-id": project.id } })).status).toBe(200);
    const mismatch = await server.api.get(`/projects/${project.id}`, { token: owner.token, headers: { "x-project-id": "proj_other" } });
    expectEnvelope(mismatch, 400, "project_mismatch");
    // Not project-scoped: the header is ignored.
    expect((await server.api.get("/projects", { token: owner.token, headers: { "x-project-id": "proj_other" } })).status).toBe(200);
  });
});
