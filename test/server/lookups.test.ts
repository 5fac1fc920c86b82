// The SDK's lookups against a real lubes-server: a project built through the API with every area is read back as typed
// data, across pages; a sensitive value stays unreadable and its key is named; the `…Output` forms take outputs.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as lubes from "../../sdk";
import { createKey, createOrg, createProject, signUp, startTestServer, type TestServer } from "../support/server";

const resolved = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply((value) => resolve(value)));

describe("lookups", () => {
  let server: TestServer;
  let options: lubes.LookupOptions;
  let orgId: string;
  let projectId: string;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer("pglite");
    const owner = await signUp(server.api, "lookups");
    token = owner.token;
    options = { apiKey: await createKey(server.api, token, { name: "lookups" }), apiUrl: server.url };
    const org = await createOrg(server.api, token, { name: "Lookups Inc", slug: "lookups-inc", plan: "pro" });
    orgId = org.id;
    projectId = (await createProject(server.api, token, orgId, "Shop")).id;
    const p = `/projects/${projectId}`;
    // More variables than one page holds, one of them sensitive.
    for (let i = 0; i < 105; i++) await server.api.post(`${p}/env`, { token, body: { key: `VAR_${String(i).padStart(3, "0")}`, value: `value-${i}` } });
    await server.api.post(`${p}/env`, { token, body: { key: "DB_PASSWORD", value: "hunter2", sensitive: true, environments: ["production"] } });
    await server.api.post(`${p}/functions`, { token, body: { slug: "hello", source: "export default () => new Response('hi');", memory_mb: 64 } });
    await server.api.post(`${p}/functions/hello/deploy`, { token });
    await server.api.post(`${p}/storage/buckets`, { token, body: { name: "assets", public: true } });
    await server.api.request("PUT", `${p}/storage/objects/assets/img/logo.svg`, { token, raw: "<svg/>", headers: { "content-type": "image/svg+xml" } });
    await server.api.post(`${p}/db/migrations`, { token, body: { name: "001_items", sql: "CREATE TABLE items (id int)" } });
    await server.api.post(`${p}/db/migrations`, { token, body: { name: "002_price", sql: "ALTER TABLE items ADD COLUMN price int" } });
    await server.api.post(`${p}/db/branches`, { token, body: { name: "staging" } });
    const deployment = await server.api.post(`${p}/deployments`, { token, body: { ref: "main" } });
    // Built in the background: the lookups read the project once its build has settled, not while it moves.
    const settled = async () => ["ready", "failed"].includes((await server.api.get(`${p}/deployments/${deployment.body.id}`, { token })).body.status);
    while (!(await settled())) await new Promise((resolve) => setTimeout(resolve, 20));
  });
  afterAll(() => server?.close());

  it("getOrganization and getProject: by id, and by slug", async () => {
    expect(await lubes.getOrganization({ slug: "lookups-inc" }, options)).toMatchObject({ id: orgId, name: "Lookups Inc", plan: "pro" });
    expect(await lubes.getOrganization({ id: orgId }, options)).toMatchObject({ slug: "lookups-inc" });
    const project = await lubes.getProject({ id: projectId }, options);
    expect(project).toMatchObject({ id: projectId, organizationId: orgId, name: "Shop", slug: "shop" });
    expect(await lubes.getProject({ organizationId: orgId, slug: "shop" }, options)).toEqual(project);
    await expect(lubes.getProject({ organizationId: orgId, slug: "nope" }, options)).rejects.toThrow(/No project with slug "nope"/);
    await expect(lubes.getProject({ id: "proj_missing" }, options)).rejects.toThrow(/No project proj_missing is visible to this API key/);
  });

  it("getEnvVars reads every page, and names the sensitive keys without their values", async () => {
    const env = await lubes.getEnvVars({ projectId }, options);
    expect(env.variables).toHaveLength(106);
    expect(env.variables.find((v) => v.key === "VAR_104")).toMatchObject({ value: "value-104", sensitive: false });
    expect(env.sensitiveKeys).toEqual(["DB_PASSWORD"]);
    expect(env.variables.find((v) => v.key === "DB_PASSWORD")).toMatchObject({ value: null, sensitive: true, environments: ["production"] });
  });

  it("getFunctions, getBuckets (with objects), getBranches, getMigrations and getDeployments", async () => {
    expect(await lubes.getFunctions({ projectId }, options)).toMatchObject([{ slug: "hello", source: "export default () => new Response('hi');", memoryMb: 64, liveVersion: 1 }]);
    expect(await lubes.getBuckets({ projectId }, options)).toEqual([{ name: "assets", public: true }]);
    expect(await lubes.getBuckets({ projectId, withObjects: true }, options)).toEqual([
      { name: "assets", public: true, objects: [{ key: "img/logo.svg", size: 6, contentType: "image/svg+xml", md5: createHash("md5").update("<svg/>").digest("hex") }] },
    ]);
    expect((await lubes.getBranches({ projectId }, options)).map((b) => [b.name, b.default]).sort()).toEqual([["main", true], ["staging", false]]);
    expect((await lubes.getMigrations({ projectId }, options)).map((m) => [m.name, m.status, m.sql])).toEqual([
      ["001_items", "applied", "CREATE TABLE items (id int)"],
      ["002_price", "applied", "ALTER TABLE items ADD COLUMN price int"],
    ]);
    const deployments = await lubes.getDeployments({ projectId }, options);
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({ ref: "main", environment: "production", functions: [{ slug: "hello", version: 1 }] });
  });

  it("the …Output forms take outputs, and the variables' answer is a secret", async () => {
    const project = lubes.getProjectOutput({ id: pulumi.output(projectId) }, options);
    expect((await resolved(project)).name).toBe("Shop");
    const env = lubes.getEnvVarsOutput({ projectId: project.id }, options);
    expect(await pulumi.isSecret(env)).toBe(true);
    expect((await resolved(env)).sensitiveKeys).toEqual(["DB_PASSWORD"]);
  });
});
