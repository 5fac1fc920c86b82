// Deployments over real HTTP: queued at once, built in the background, current per project, rollback restoring a release.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { createOrg, createProject, expectEnvelope, freshPostgresDatabase, signUp, startTestServer, type Engine, type TestServer, type TestUser } from "../support/server";

const versionSource = (n: number) => `export default async () => new Response("v${n}");`;

async function settled(server: TestServer, token: string, projectId: string, id: string): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const res = await server.api.get(`/projects/${projectId}/deployments/${id}`, { token });
    if (res.body.status === "ready" || res.body.status === "failed") return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`deployment ${id} did not settle`);
}

describeEachEngine("deployments", (engine: Engine) => {
  let server: TestServer;
  let owner: TestUser;
  let projectId: string;
  const deployments = (suffix = "") => `/projects/${projectId}/deployments${suffix}`;
  const invoke = async (slug: string) => (await fetch(`${server.url}/projects/${projectId}/functions/${slug}/invoke`, { method: "POST", headers: { authorization: `Bearer ${owner.token}` } })).text();
  async function deployFunction(slug: string, source: string): Promise<void> {
    const exists = await server.api.get(`/projects/${projectId}/functions/${slug}`, { token: owner.token });
    if (exists.status === 404) await server.api.post(`/projects/${projectId}/functions`, { token: owner.token, body: { slug, source } });
    else await server.api.patch(`/projects/${projectId}/functions/${slug}`, { token: owner.token, body: { source } });
    const deployed = await server.api.post(`/projects/${projectId}/functions/${slug}/deploy`, { token: owner.token });
    if (deployed.status !== 201) throw new Error(deployed.text);
  }
  const setEnv = (key: string, value: string) => server.api.post(`/projects/${projectId}/env`, { token: owner.token, body: { key, value } });

  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = await signUp(server.api, "owner");
    projectId = (await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id, "Releases")).id;
  });
  afterAll(() => server.close());

  it("answers at once with status queued, then builds to ready in the background and becomes current", async () => {
    await deployFunction("api", versionSource(1));
    await setEnv("MODE", "one");
    const created = await server.api.post(deployments(), { token: owner.token, body: { ref: "main", commit: "abc123" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "queued", environment: "production", ref: "main", commit: "abc123", current: false, functions: [{ slug: "api", version: 1 }], env: [{ key: "MODE", sensitive: false }] });
    const ready = await settled(server, owner.token, projectId, created.body.id);
    expect(ready).toMatchObject({ status: "ready", current: true, error: null });
    expect(ready.ready_at).toEqual(expect.any(String));
    expect((await server.api.get(`/projects/${projectId}`, { token: owner.token })).body.current_deployment_id).toBe(created.body.id);
    const logs = await server.api.get(deployments(`/${created.body.id}/logs`), { token: owner.token });
    expect(logs.body.data.map((l: { message: string }) => l.message)).toEqual(["Queued", expect.stringMatching(/^Building production deployment of main \(abc123\)/), 'Function "api" version 1 loads', "Deployment is ready"]);
  });

  it("rolls back: v1, then v2, then back to v1 restores the function version and the variables", async () => {
    const first = (await server.api.get(deployments("?environment=production"), { token: owner.token })).body.data[0];
    await deployFunction("api", versionSource(2));
    await setEnv("MODE", "two");
    await setEnv("ADDED_LATER", "x");
    await server.api.post(`/projects/${projectId}/env`, { token: owner.token, body: { key: "PRODUCTION_ONLY", value: "p", environments: ["production"] } });
    const second = await server.api.post(deployments(), { token: owner.token, body: { ref: "main", commit: "def456" } });
    expect((await settled(server, owner.token, projectId, second.body.id)).current).toBe(true);
    expect(await invoke("api")).toBe("v2");

    const rollback = await server.api.post(deployments(`/${first.id}/rollback`), { token: owner.token });
    expect(rollback.status).toBe(201);
    expect(rollback.body).toMatchObject({ status: "ready", current: true, rollback_of: first.id, functions: [{ slug: "api", version: 1 }], commit: "abc123" });
    expect(rollback.body.id).not.toBe(first.id);
    expect(await invoke("api")).toBe("v1");
    // Production is as captured; preview and development keep what was added since (a variable has one value, so
    // MODE's restored value is theirs too, and the rollback's log says so).
    const env = (await server.api.get(`/projects/${projectId}/env`, { token: owner.token })).body.data;
    expect(env.map((v: { key: string; value: string; environments: string[] }) => [v.key, v.value, v.environments])).toEqual([
      ["ADDED_LATER", "x", ["preview", "development"]],
      ["MODE", "one", ["production", "preview", "development"]],
    ]);
    const logs = (await server.api.get(deployments(`/${rollback.body.id}/logs`), { token: owner.token })).body.data.map((l: { level: string; message: string }) => [l.level, l.message]);
    expect(logs).toContainEqual(["warn", "Variable MODE also serves preview and development: its value there is production's restored value too"]);
    expect((await server.api.get(deployments(`/${second.body.id}`), { token: owner.token })).body.current).toBe(false);
  });

  it("fails a build whose function does not load, with the reason in its logs, and keeps the current deployment", async () => {
    const current = (await server.api.get(`/projects/${projectId}`, { token: owner.token })).body.current_deployment_id;
    // A deployed version that no longer loads (as after a runtime upgrade): arranged directly in the control plane.
    await deployFunction("api", versionSource(3));
    await server.app.lubes.sql.query("UPDATE function_versions SET source = 'export default (' WHERE version = 3");
    const failing = await server.api.post(deployments(), { token: owner.token, body: {} });
    const failed = await settled(server, owner.token, projectId, failing.body.id);
    expect(failed).toMatchObject({ status: "failed", current: false, error: 'function "api" version 3: it does not load: SyntaxError: Unexpected end of input' });
    const logs = await server.api.get(deployments(`/${failing.body.id}/logs`), { token: owner.token });
    expect(logs.body.data.at(-1)).toMatchObject({ level: "error", message: expect.stringMatching(/does not load/) });
    expect((await server.api.get(`/projects/${projectId}`, { token: owner.token })).body.current_deployment_id).toBe(current);
    expectEnvelope(await server.api.post(deployments(`/${failing.body.id}/rollback`), { token: owner.token }), 409, "deployment_not_ready");
    await server.app.lubes.sql.query("UPDATE function_versions SET source = $1 WHERE version = 3", [versionSource(3)]);
  });

  it("keeps preview deployments from becoming current, and refuses to roll back to them", async () => {
    const current = (await server.api.get(`/projects/${projectId}`, { token: owner.token })).body.current_deployment_id;
    const preview = await server.api.post(deployments(), { token: owner.token, body: { environment: "preview", ref: "pr-42" } });
    expect((await settled(server, owner.token, projectId, preview.body.id)).status).toBe("ready");
    expect((await server.api.get(`/projects/${projectId}`, { token: owner.token })).body.current_deployment_id).toBe(current);
    expectEnvelope(await server.api.post(deployments(`/${preview.body.id}/rollback`), { token: owner.token }), 409, "not_production");
    const previews = await server.api.get(deployments("?environment=preview"), { token: owner.token });
    expect(previews.body.data.map((d: { id: string }) => d.id)).toEqual([preview.body.id]);
  });

  it("deletes a finished deployment, never the current production one, and keeps rollbacks that restored it", async () => {
    const current = (await server.api.get(`/projects/${projectId}`, { token: owner.token })).body.current_deployment_id;
    expectEnvelope(await server.api.delete(deployments(`/${current}`), { token: owner.token }), 409, "deployment_current");
    const preview = await server.api.post(deployments(), { token: owner.token, body: { environment: "preview", ref: "pr-7" } });
    await settled(server, owner.token, projectId, preview.body.id);
    expect((await server.api.delete(deployments(`/${preview.body.id}`), { token: owner.token })).status).toBe(204);
    expectEnvelope(await server.api.get(deployments(`/${preview.body.id}`), { token: owner.token }), 404);
    expectEnvelope(await server.api.delete(deployments(`/${preview.body.id}`), { token: owner.token }), 404);
    const restored = (await server.api.get(deployments(), { token: owner.token })).body.data.find((d: { rollback_of: string | null }) => d.rollback_of !== null);
    expect(restored).toBeDefined();
    expect((await server.api.delete(deployments(`/${restored.rollback_of}`), { token: owner.token })).status).toBe(204);
    expect((await server.api.get(deployments(`/${restored.id}`), { token: owner.token })).body.rollback_of).toBeNull();
    expect((await server.api.get(`/projects/${projectId}`, { token: owner.token })).body.current_deployment_id).toBe(current);
  });

  it("answers 404 for a deployment of another project and for unknown ids", async () => {
    const other = await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id, "Other");
    const mine = (await server.api.get(deployments(), { token: owner.token })).body.data[0].id;
    expectEnvelope(await server.api.post(`/projects/${other.id}/deployments/${mine}/rollback`, { token: owner.token }), 404);
    expectEnvelope(await server.api.get(deployments("/dep_unknown"), { token: owner.token }), 404);
    expectEnvelope(await server.api.post(deployments(), { token: owner.token, body: { environment: "staging" } }), 422);
  });

  it("builds fairly between projects: a project with a queue of slow builds delays another's by at most the builds running", async () => {
    const projectWith = async (name: string, source: string) => {
      const id = (await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id, name)).id;
      await server.api.post(`/projects/${id}/functions`, { token: owner.token, body: { slug: "api", source } });
      await server.api.post(`/projects/${id}/functions/api/deploy`, { token: owner.token });
      return id;
    };
    // A module that takes a second to load at every check: the other tenant's slow builds.
    const slow = await projectWith("Slow", "await new Promise((resolve) => setTimeout(resolve, 1000)); export default async () => new Response('slow');");
    const quick = await projectWith("Quick", versionSource(1));
    const queue = async (id: string) => (await server.api.post(`/projects/${id}/deployments`, { token: owner.token, body: { environment: "preview" } })).body.id as string;
    const statuses = async (id: string, ids: string[]) => Promise.all(ids.map(async (d) => (await server.api.get(`/projects/${id}/deployments/${d}`, { token: owner.token })).body.status as string));
    const slowBuilds = [];
    for (let i = 0; i < 6; i++) slowBuilds.push(await queue(slow));
    while (!(await statuses(slow, slowBuilds)).includes("building")) await new Promise((resolve) => setImmediate(resolve));
    const quickBuild = await queue(quick);
    while ((await statuses(quick, [quickBuild]))[0] !== "ready") await new Promise((resolve) => setImmediate(resolve));
    // Before, builds ran one at a time in order: the quick one waited for all six.
    const readySlow = (await statuses(slow, slowBuilds)).filter((status) => status === "ready").length;
    expect(readySlow).toBeLessThanOrEqual(3);
    for (const id of slowBuilds) expect((await settled(server, owner.token, slow, id)).status).toBe("ready");
  }, 120_000);

  it("builds, after a restart, a deployment that no process built before", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "lubes-deploy-"));
    const storage = engine === "postgres" ? { dataDir, databaseUrl: await freshPostgresDatabase() } : { dataDir };
    try {
      const idle = await startTestServer(engine, { ...storage, buildDeployments: false });
      const user = await signUp(idle.api, "restart");
      const project = await createProject(idle.api, user.token, (await createOrg(idle.api, user.token)).id);
      const queued = await idle.api.post(`/projects/${project.id}/deployments`, { token: user.token, body: {} });
      // This server builds nothing: the deployment waits for one that does.
      expect((await idle.api.get(`/projects/${project.id}/deployments/${queued.body.id}`, { token: user.token })).body.status).toBe("queued");
      await idle.close();

      const builder = await startTestServer(engine, storage);
      try {
        expect((await settled(builder, user.token, project.id, queued.body.id)).status).toBe("ready");
      } finally {
        await builder.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
