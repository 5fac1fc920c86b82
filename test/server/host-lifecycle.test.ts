// End to end through the real dynamic-provider host of @pulumi/pulumi over gRPC, as the engine calls it, against a
// real lubes-server: the serialized shim loads the compiled provider core by package name from the program's folder.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lifecycles, type Fixture } from "../support/lifecycles";
import { startHost, serializedProviders, type Host } from "../support/host";
import { programFolder } from "../support/program-folder";
import { createKey, signUp, startTestServer, type TestServer } from "../support/server";

async function fixtureOn(server: TestServer): Promise<{ fixture: Fixture; key: string }> {
  const owner = await signUp(server.api, "host");
  const key = await createKey(server.api, owner.token, { name: "pulumi" });
  const org = await server.api.post("/organizations", { token: owner.token, body: { name: "Host" } });
  const one = await server.api.post("/projects", { token: owner.token, body: { name: "One", organization_id: org.body.id } });
  const two = await server.api.post("/projects", { token: owner.token, body: { name: "Two", organization_id: org.body.id } });
  await server.api.post(`/projects/${one.body.id}/storage/buckets`, { token: owner.token, body: { name: "assets" } });
  return { fixture: { orgId: org.body.id, projectId: one.body.id, otherProjectId: two.body.id, token: owner.token, api: server.api }, key };
}

describe("through the real dynamic-provider host", () => {
  let server: TestServer;
  let host: Host;
  let fixture: Fixture;
  let folder: string;
  let providers: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer("pglite");
    const made = await fixtureOn(server);
    fixture = made.fixture;
    folder = programFolder();
    providers = serializedProviders(folder);
    host = await startHost(folder, { "lubes:apiKey": made.key, "lubes:apiUrl": server.url }, providers);
  });
  afterAll(async () => {
    await host?.stop();
    await server?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it.each(lifecycles)("$kind.type: create → no change → update → replace → drift on read → delete → gone", async (life) => {
    const type = life.kind.type;
    const first = await host.check(type, undefined, life.inputs(fixture));
    expect(first.failures).toEqual([]);
    const created = await host.create(type, first.inputs);
    expect(created.id).not.toBe("");
    expect(await host.diff(type, created.id, created.outs, first.inputs)).toEqual({ changes: false, replaces: [] });

    const second = await host.check(type, first.inputs, life.update(fixture));
    expect(await host.diff(type, created.id, created.outs, second.inputs)).toEqual({ changes: true, replaces: [] });
    const updated = await host.update(type, created.id, created.outs, second.inputs);
    expect((await host.diff(type, created.id, updated, second.inputs)).changes).toBe(false);

    const [replaceRaw, property] = life.replace(fixture);
    const third = await host.check(type, second.inputs, replaceRaw);
    expect((await host.diff(type, created.id, updated, third.inputs)).replaces).toEqual(property ? [property] : []);

    await life.drift(fixture, created.id);
    const refreshed = await host.read(type, created.id, updated);
    expect(refreshed.props[life.drifted[0]]).toEqual(life.drifted[1]);
    expect((await host.diff(type, created.id, refreshed.props, second.inputs)).changes).toBe(true);

    await host.delete(type, created.id, refreshed.props);
    expect((await host.read(type, created.id, refreshed.props)).id).toBe("");
  });

  it("autonames a resource left unnamed, and keeps the name on later checks", async () => {
    const first = await host.check("lubes:index:Bucket", undefined, { projectId: fixture.projectId, lubesAutoName: "Media Files" });
    expect(first.inputs["name"]).toMatch(/^media-files-[0-9a-f]{7}$/);
    const again = await host.check("lubes:index:Bucket", first.inputs, { projectId: fixture.projectId, public: true, lubesAutoName: "Media Files" });
    expect(again.inputs["name"]).toBe(first.inputs["name"]);
  });

  it("reports check failures naming the property, as preview shows them", async () => {
    const checked = await host.check("lubes:index:EnvVar", undefined, { projectId: fixture.projectId, key: "not-valid", value: "x" });
    expect(checked.failures).toEqual([{ property: "key", reason: expect.stringMatching(/uppercase letters/) }]);
  });

  it("keeps secret values secret in the serialized provider: none of the key reaches __provider", () => {
    for (const text of Object.values(providers)) expect(text).not.toMatch(/lubes_sk_/);
  });
});

describe("through the host, against a server that loses responses", () => {
  it("makes exactly one project when the response to its create is lost", async () => {
    let armed = false;
    let creates = 0;
    // Once armed, the first answer to a project create is dropped after the project is made.
    const server = await startTestServer("pglite", { faults: { fail: 0, drop: (r) => armed && r.method === "POST" && r.url === "/v1/projects" && ++creates === 1 } });
    const folder = programFolder();
    try {
      const { fixture, key } = await fixtureOn(server);
      armed = true;
      const host = await startHost(folder, { "lubes:apiKey": key, "lubes:apiUrl": server.url }, serializedProviders(folder));
      try {
        const checked = await host.check("lubes:index:Project", undefined, { name: "Exactly Once", organizationId: fixture.orgId });
        const created = await host.create("lubes:index:Project", checked.inputs);
        expect(creates).toBe(2);
        const all = await server.api.get(`/projects?organization_id=${fixture.orgId}&limit=100`, { token: fixture.token });
        expect(all.body.data.filter((p: { name: string }) => p.name === "Exactly Once").map((p: { id: string }) => p.id)).toEqual([created.id]);
      } finally {
        await host.stop();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await server.close();
    }
  });
});
