// End to end through the real dynamic-provider host of @pulumi/pulumi over gRPC, as the engine calls it, against a
// real lubes-server: the serialized shim loads the compiled provider core by package name from the program's folder.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureOn, lifecycles, type Fixture } from "../support/lifecycles";
import { startHost, serializedProviders, type Host } from "../support/host";
import { programFolder } from "../support/program-folder";
import { startTestServer, type TestServer } from "../support/server";

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
    expect(await host.diff(type, created.id, created.outs, first.inputs)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });

    const second = await host.check(type, first.inputs, life.update(fixture));
    expect(await host.diff(type, created.id, created.outs, second.inputs)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
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

  it("lubes:index:Branch: create (a copy) → no change → a new parent replaces → deleted outside Pulumi reads as gone", async () => {
    const type = "lubes:index:Branch";
    const checked = await host.check(type, undefined, { projectId: fixture.projectId, name: "feature-x" });
    const created = await host.create(type, checked.inputs);
    expect(await host.diff(type, created.id, created.outs, checked.inputs)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    const moved = await host.check(type, checked.inputs, { projectId: fixture.projectId, name: "feature-x", parent: "feature-y" });
    expect((await host.diff(type, created.id, created.outs, moved.inputs)).replaces).toEqual(["parent"]);
    await fixture.api.delete(`/projects/${fixture.projectId}/db/branches/feature-x`, { token: fixture.token });
    expect((await host.read(type, created.id, created.outs)).id).toBe("");
    await host.delete(type, created.id, created.outs); // already gone: done
  });

  it("lubes:index:Migration: applied once → no change → changed SQL refused at check → down changes in place → destroy runs down", async () => {
    const type = "lubes:index:Migration";
    const checked = await host.check(type, undefined, { projectId: fixture.projectId, name: "010_notes", sql: "CREATE TABLE notes (id int)" });
    const created = await host.create(type, checked.inputs);
    expect(created.outs["status"]).toBe("applied");
    expect(await host.diff(type, created.id, created.outs, checked.inputs)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    const changed = await host.check(type, checked.inputs, { projectId: fixture.projectId, name: "010_notes", sql: "CREATE TABLE notes (id bigint)" });
    expect(changed.failures[0]).toMatchObject({ property: "sql", reason: expect.stringMatching(/add|new Migration/) });
    const withDown = await host.check(type, checked.inputs, { projectId: fixture.projectId, name: "010_notes", sql: "CREATE TABLE notes (id int)", down: "DROP TABLE notes" });
    expect(await host.diff(type, created.id, created.outs, withDown.inputs)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const updated = await host.update(type, created.id, created.outs, withDown.inputs);
    await host.delete(type, created.id, updated);
    const table = await fixture.api.post(`/projects/${fixture.projectId}/db/query`, { token: fixture.token, body: { query: "SELECT to_regclass('notes') AS t" } });
    expect(table.body.rows).toEqual([{ t: null }]);
  });

  it("lubes:index:Deployment and ProductionDeployment: ready on create, a new ref replaces, and pointing production back rolls back", async () => {
    const fn = await host.check("lubes:index:Function", undefined, { projectId: fixture.otherProjectId, slug: "greet", source: "export default async () => new Response('one');" });
    const fnState = await host.create("lubes:index:Function", fn.inputs);
    const v1 = await host.create("lubes:index:Deployment", (await host.check("lubes:index:Deployment", undefined, { projectId: fixture.otherProjectId, ref: "one" })).inputs);
    expect(v1.outs["status"]).toBe("ready");
    const fnTwo = await host.check("lubes:index:Function", fn.inputs, { projectId: fixture.otherProjectId, slug: "greet", source: "export default async () => new Response('two');" });
    await host.update("lubes:index:Function", fnState.id, fnState.outs, fnTwo.inputs);
    const v2Inputs = (await host.check("lubes:index:Deployment", undefined, { projectId: fixture.otherProjectId, ref: "two" })).inputs;
    expect((await host.diff("lubes:index:Deployment", v1.id, v1.outs, v2Inputs)).replaces).toEqual(["ref"]);
    const v2 = await host.create("lubes:index:Deployment", v2Inputs);

    const prod = "lubes:index:ProductionDeployment";
    const atTwo = await host.check(prod, undefined, { projectId: fixture.otherProjectId, deploymentId: v2.outs["deploymentId"] });
    const pointer = await host.create(prod, atTwo.inputs);
    const atOne = await host.check(prod, atTwo.inputs, { projectId: fixture.otherProjectId, deploymentId: v1.outs["deploymentId"] });
    expect(await host.diff(prod, pointer.id, pointer.outs, atOne.inputs)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const rolled = await host.update(prod, pointer.id, pointer.outs, atOne.inputs);
    expect(rolled["rolledBack"]).toBe(true);
    const answer = await fetch(`${server.url}/projects/${fixture.otherProjectId}/functions/greet/invoke`, { method: "POST", headers: { authorization: `Bearer ${fixture.token}` } });
    expect(await answer.text()).toBe("one");
    await host.delete("lubes:index:Deployment", v1.id, v1.outs); // history stays; forgetting it is all delete does
  });

  it("autonames a resource left unnamed, and keeps the name on later checks", async () => {
    const first = await host.check("lubes:index:Bucket", undefined, { projectId: fixture.projectId, lubesAutoName: "Media Files" });
    expect(first.inputs["name"]).toMatch(/^media-files-[0-9a-f]{7}$/);
    const again = await host.check("lubes:index:Bucket", first.inputs, { projectId: fixture.projectId, public: true, lubesAutoName: "Media Files" });
    expect(again.inputs["name"]).toBe(first.inputs["name"]);
  });

  it("lets a preview go on with inputs not known yet, judging only the known ones", async () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const checked = await host.check("lubes:index:Function", undefined, { projectId: unknown, slug: "later", source: "export default () => new Response()", memoryMb: unknown });
    expect(checked.failures).toEqual([]);
    expect(checked.inputs).toMatchObject({ projectId: unknown, memoryMb: unknown });
    const badKnown = await host.check("lubes:index:Function", undefined, { projectId: unknown, slug: "Not A Slug", source: "x", memoryMb: unknown });
    expect(badKnown.failures.map((f) => f.property)).toEqual(["slug"]);
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

describe("through the host, against a low rate limit", () => {
  // The host's client runs on the machine's clock; the server's is moved to 10 s before the end of its minute, so the
  // burst meets a window's reset soon. The client measures the time left against the server's Date header.
  it("creates a stack larger than the plan's per-minute limit with no failed operation", { timeout: 150_000 }, async () => {
    const server = await startTestServer("pglite", { rateLimits: { free: 20, pro: 20, team: 20 } });
    const folder = programFolder();
    try {
      const { fixture, key } = await fixtureOn(server);
      server.advanceClock((50_000 - (server.now().getTime() % 60_000) + 60_000) % 60_000);
      const host = await startHost(folder, { "lubes:apiKey": key, "lubes:apiUrl": server.url }, serializedProviders(folder));
      try {
        const keys = Array.from({ length: 30 }, (_, i) => `BURST_${i}`);
        const results = await Promise.allSettled(keys.map(async (name) => {
          const checked = await host.check("lubes:index:EnvVar", undefined, { projectId: fixture.projectId, key: name, value: name });
          return host.create("lubes:index:EnvVar", checked.inputs);
        }));
        expect(results.filter((r) => r.status === "rejected")).toEqual([]);
        const listed = await server.api.get(`/projects/${fixture.projectId}/env?limit=100`, { token: fixture.token });
        expect(listed.body.data.filter((v: { key: string }) => v.key.startsWith("BURST_"))).toHaveLength(30);
      } finally {
        await host.stop();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await server.close();
    }
  });
});
