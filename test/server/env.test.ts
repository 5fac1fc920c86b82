// Environment variables over real HTTP: set creates or updates, sensitive values are write-only, drift stays visible.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { createOrg, createProject, expectEnvelope, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

const sha = (value: string) => createHash("sha256").update(value).digest("hex");

describeEachEngine("environment variables", (engine) => {
  let server: TestServer;
  let owner: TestUser;
  let projectId: string;
  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = await signUp(server.api, "owner");
    projectId = (await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id)).id;
  });
  afterAll(() => server.close());
  const env = (suffix = "") => `/projects/${projectId}/env${suffix}`;

  it("sets a variable for every environment by default and lists it", async () => {
    const res = await server.api.post(env(), { token: owner.token, body: { key: "API_URL", value: "https://api.example.com" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ key: "API_URL", value: "https://api.example.com", value_sha256: sha("https://api.example.com"), sensitive: false, environments: ["production", "preview", "development"] });
    const list = await server.api.get(env(), { token: owner.token });
    expect(list.body.data).toContainEqual(res.body);
  });

  it("updates an existing key in place", async () => {
    const first = await server.api.post(env(), { token: owner.token, body: { key: "MODE", value: "a", environments: ["preview"] } });
    const second = await server.api.post(env(), { token: owner.token, body: { key: "MODE", value: "b", environments: ["production"] } });
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body).toMatchObject({ key: "MODE", value: "b", environments: ["production"], created_at: first.body.created_at });
    const list = await server.api.get(env("?limit=100"), { token: owner.token });
    expect(list.body.data.filter((v: { key: string }) => v.key === "MODE")).toHaveLength(1);
  });

  it("with If-None-Match: * only creates: an existing key answers 412 and keeps its value", async () => {
    const created = await server.api.post(env(), { token: owner.token, body: { key: "ONCE", value: "first" }, headers: { "if-none-match": "*" } });
    expect(created.status).toBe(201);
    const again = await server.api.post(env(), { token: owner.token, body: { key: "ONCE", value: "second" }, headers: { "if-none-match": "*" } });
    expectEnvelope(again, 412, "already_exists");
    expect(again.body.error.details).toEqual({ key: "ONCE" });
    const list = await server.api.get(env("?limit=100"), { token: owner.token });
    expect(list.body.data.find((v: { key: string }) => v.key === "ONCE")).toMatchObject({ value: "first" });
    expectEnvelope(await server.api.post(env(), { token: owner.token, body: { key: "ONCE", value: "x" }, headers: { "if-none-match": '"abc"' } }), 400, "unsupported_precondition");
  });

  it("never returns a sensitive value, but its hash shows a change", async () => {
    const set = await server.api.post(env(), { token: owner.token, body: { key: "DB_PASSWORD", value: "hunter2", sensitive: true } });
    expect(set.body).toMatchObject({ value: null, value_sha256: sha("hunter2"), sensitive: true });
    const list = await server.api.get(env("?limit=100"), { token: owner.token });
    expect(list.text).not.toContain("hunter2");
    const changed = await server.api.post(env(), { token: owner.token, body: { key: "DB_PASSWORD", value: "hunter3", sensitive: true } });
    expect(changed.body.value_sha256).toBe(sha("hunter3"));
    // Not in the control plane in plain text either.
    const { rows } = await server.app.lubes.sql.query<{ sealed_value: string }>("SELECT sealed_value FROM env_vars WHERE key = 'DB_PASSWORD'");
    expect(rows[0]?.sealed_value).not.toContain("hunter3");
  });

  it("deletes a variable, and a missing one is 404", async () => {
    await server.api.post(env(), { token: owner.token, body: { key: "TEMP", value: "x" } });
    expect((await server.api.delete(env("/TEMP"), { token: owner.token })).status).toBe(204);
    expectEnvelope(await server.api.delete(env("/TEMP"), { token: owner.token }), 404, "not_found");
  });

  it.each([
    [{ key: "lower", value: "x" }, "key", "pattern"],
    [{ key: "1ABC", value: "x" }, "key", "pattern"],
    [{ key: "A-B", value: "x" }, "key", "pattern"],
    [{ key: "OK" }, "value", "required"],
    [{ key: "OK", value: 5 }, "value", "type"],
    [{ key: "OK", value: "x".repeat(65_537) }, "value", "max_length"],
    [{ key: "OK", value: "x", environments: ["staging"] }, "environments.0", "enum"],
    [{ key: "OK", value: "x", environments: [] }, "environments", "min_length"],
  ])("refuses %j naming %s (%s)", async (body, field, constraint) => {
    const res = await server.api.post(env(), { token: owner.token, body });
    expectEnvelope(res, 422, "validation_error");
    expect(res.body.error.details).toMatchObject({ field, constraint });
  });

  it("goes with its project", async () => {
    const org = await createOrg(server.api, owner.token);
    const project = await createProject(server.api, owner.token, org.id);
    await server.api.post(`/projects/${project.id}/env`, { token: owner.token, body: { key: "GONE", value: "x" } });
    await server.api.delete(`/projects/${project.id}`, { token: owner.token });
    const { rows } = await server.app.lubes.sql.query("SELECT 1 FROM env_vars WHERE project_id = $1", [project.id]);
    expect(rows).toHaveLength(0);
  });
});
