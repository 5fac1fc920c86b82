// The provider core's resource kinds against a real lubes-server: the lifecycle every kind must follow, then each
// kind's own promises (drift of secrets, non-empty buckets, adoption, messages a person can act on).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LubesClient } from "../../provider/client";
import { bucket, envVar, kindOf, kinds, organization, project, type CheckResult, type OperationContext, type ResourceKind } from "../../provider/resources";
import { createKey, signUp, startTestServer, type Api, type TestServer } from "../support/server";

/** The checked inputs, or the test fails with the check's failures. */
function valid<I>(result: CheckResult<I>): I {
  if (!result.inputs) throw new Error(`check failed: ${JSON.stringify(result.failures)}`);
  return result.inputs;
}

function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("expected a value");
  return value;
}

interface Fixture {
  orgId: string;
  projectId: string;
  otherProjectId: string;
  token: string;
  api: Api;
}

interface Lifecycle {
  kind: ResourceKind<any, any>;
  inputs: (f: Fixture) => Record<string, unknown>;
  /** An in-place change of `inputs`. */
  update: (f: Fixture) => Record<string, unknown>;
  /** A change of `update` that replaces the resource, and the property that forces it. */
  replace: (f: Fixture) => [Record<string, unknown>, string];
  /** Changes the resource outside Pulumi, through the API. */
  drift: (f: Fixture, id: string) => Promise<unknown>;
  /** The output that must show that drift, and its live value. */
  drifted: [string, unknown];
}

let server: TestServer;
let ctx: OperationContext;
let fixture: Fixture;
const logs: string[] = [];

beforeAll(async () => {
  server = await startTestServer("pglite");
  const owner = await signUp(server.api, "provider");
  const key = await createKey(server.api, owner.token, { name: "pulumi" });
  ctx = { client: new LubesClient({ apiUrl: server.url, apiKey: key }), log: (m) => logs.push(m) };
  const org = await server.api.post("/organizations", { token: owner.token, body: { name: "Kinds" } });
  const project1 = await server.api.post("/projects", { token: owner.token, body: { name: "One", organization_id: org.body.id } });
  const project2 = await server.api.post("/projects", { token: owner.token, body: { name: "Two", organization_id: org.body.id } });
  fixture = { orgId: org.body.id, projectId: project1.body.id, otherProjectId: project2.body.id, token: owner.token, api: server.api };
});
afterAll(() => server.close());

const lifecycles: Lifecycle[] = [
  {
    kind: organization,
    inputs: () => ({ name: "Acme" }),
    update: () => ({ name: "Acme Inc", plan: "pro" }),
    replace: () => [{ name: "Acme Inc", plan: "pro" }, ""],
    drift: (f, id) => f.api.patch(`/organizations/${id}`, { token: f.token, body: { plan: "team" } }),
    drifted: ["plan", "team"],
  },
  {
    kind: project,
    inputs: (f) => ({ name: "Web", organizationId: f.orgId }),
    update: (f) => ({ name: "Web App", organizationId: f.orgId }),
    replace: () => [{ name: "Web App", organizationId: "org_elsewhere" }, "organizationId"],
    drift: (f, id) => f.api.patch(`/projects/${id}`, { token: f.token, body: { name: "Renamed by hand" } }),
    drifted: ["name", "Renamed by hand"],
  },
  {
    kind: envVar,
    inputs: (f) => ({ projectId: f.projectId, key: "API_URL", value: "https://one" }),
    update: (f) => ({ projectId: f.projectId, key: "API_URL", value: "https://two", environments: ["production"] }),
    replace: (f) => [{ projectId: f.projectId, key: "OTHER_KEY", value: "https://two", environments: ["production"] }, "key"],
    drift: (f) => f.api.post(`/projects/${f.projectId}/env`, { token: f.token, body: { key: "API_URL", value: "changed by hand", environments: ["production"] } }),
    drifted: ["value", "changed by hand"],
  },
  {
    kind: bucket,
    inputs: (f) => ({ projectId: f.projectId, name: "avatars" }),
    update: (f) => ({ projectId: f.projectId, name: "avatars", public: true }),
    replace: (f) => [{ projectId: f.projectId, name: "photos", public: true }, "name"],
    drift: (f) => f.api.patch(`/projects/${f.projectId}/storage/buckets/avatars`, { token: f.token, body: { public: false } }),
    drifted: ["public", false],
  },
];

describe("every kind", () => {
  it("is registered, and an unknown type fails loudly", () => {
    expect(kinds.map((k) => k.type)).toEqual(lifecycles.map((l) => l.kind.type));
    for (const kind of kinds) expect(kindOf(kind.type)).toBe(kind);
    expect(() => kindOf("lubes:index:Nope")).toThrow(/Unknown Lubes resource type "lubes:index:Nope"/);
  });
});

describe.each(lifecycles)("$kind.type lifecycle", (life) => {
  const checked = (raw: Record<string, unknown>) => {
    const result = life.kind.check(raw);
    expect(result.failures).toEqual([]);
    return result.inputs;
  };

  it("create → same inputs: no change → update → replace → drift on read → delete → gone", async () => {
    const inputs = checked(life.inputs(fixture));
    const created = await life.kind.create(ctx, inputs);
    expect(created.outs.stateVersion).toBe(1);
    expect(life.kind.diff(created.id, created.outs, inputs)).toEqual({ changes: false, replaces: [] });

    const updateInputs = checked(life.update(fixture));
    const updateDiff = life.kind.diff(created.id, created.outs, updateInputs);
    expect(updateDiff).toEqual({ changes: true, replaces: [] });
    const updated = await life.kind.update(ctx, created.id, created.outs, updateInputs);
    expect(life.kind.diff(created.id, updated, updateInputs).changes).toBe(false);

    const [replaceRaw, property] = life.replace(fixture);
    const replaceDiff = life.kind.diff(created.id, updated, checked(replaceRaw));
    expect(replaceDiff.replaces).toEqual(property ? [property] : []);

    await life.drift(fixture, created.id);
    const refreshed = await life.kind.read(ctx, created.id, updated);
    expect(refreshed?.outs[life.drifted[0]]).toEqual(life.drifted[1]);
    expect(life.kind.diff(created.id, refreshed?.outs, updateInputs).changes).toBe(true);
    // The next up puts it back.
    const restored = await life.kind.update(ctx, created.id, refreshed?.outs, updateInputs);
    expect(life.kind.diff(created.id, restored, updateInputs).changes).toBe(false);

    await life.kind.delete(ctx, created.id, restored);
    expect(await life.kind.read(ctx, created.id, restored)).toBeUndefined();
    await life.kind.delete(ctx, created.id, restored); // already gone: done
  });
});

describe("kind promises", () => {
  it("check names the property and normalises what it can", () => {
    expect(project.check({ organizationId: "org_1" }).failures).toEqual([{ property: "name", reason: "name is required" }]);
    expect(envVar.check({ projectId: "p", key: "lower", value: "x" }).failures[0]?.property).toBe("key");
    expect(bucket.check({ projectId: "p", name: "Bad_Name" }).failures[0]?.property).toBe("name");
    expect(project.check({ name: "x", organizationId: "org_1", colour: "red" }).failures[0]?.property).toBe("colour");
    expect(envVar.check({ projectId: "p", key: "K", value: "v", environments: ["preview", "production", "preview"] }).inputs?.environments).toEqual(["preview", "production"]);
  });

  it("sees a sensitive value changed outside Pulumi through its hash, without reading it", async () => {
    const inputs = valid(envVar.check({ projectId: fixture.projectId, key: "DB_PASSWORD", value: "hunter2", sensitive: true }));
    const created = await envVar.create(ctx, inputs);
    expect(created.outs).toMatchObject({ value: "hunter2", sensitive: true });
    const same = await envVar.read(ctx, created.id, created.outs);
    expect(same?.outs.value).toBe("hunter2");
    await fixture.api.post(`/projects/${fixture.projectId}/env`, { token: fixture.token, body: { key: "DB_PASSWORD", value: "changed", sensitive: true } });
    const drifted = defined(await envVar.read(ctx, created.id, created.outs));
    expect(drifted.outs.value).toBe("");
    expect(envVar.diff(created.id, drifted.outs, inputs)).toEqual({ changes: true, replaces: [] });
    expect(envVar.secretOutputs).toEqual(["value"]);
  });

  it("refuses to delete a bucket with objects unless forceDestroy is set, saying how", async () => {
    const inputs = valid(bucket.check({ projectId: fixture.otherProjectId, name: "keep-me" }));
    const created = await bucket.create(ctx, inputs);
    await fixture.api.request("PUT", `/projects/${fixture.otherProjectId}/storage/objects/keep-me/a.txt`, { token: fixture.token, raw: "x", headers: { "content-type": "text/plain" } });
    await expect(bucket.delete(ctx, created.id, created.outs)).rejects.toThrow(/still holds objects.*forceDestroy: true/);
    // Only the provider's setting changes: no call to the API, and then the delete goes through.
    const forced = await bucket.update(ctx, created.id, created.outs, { ...created.outs, forceDestroy: true });
    await bucket.delete(ctx, created.id, forced);
    expect(await bucket.read(ctx, created.id, forced)).toBeUndefined();
  });

  it("adopts an existing bucket or project when asked, and otherwise explains the conflict", async () => {
    await fixture.api.post(`/projects/${fixture.otherProjectId}/storage/buckets`, { token: fixture.token, body: { name: "existing" } });
    const plain = valid(bucket.check({ projectId: fixture.otherProjectId, name: "existing" }));
    await expect(bucket.create(ctx, plain)).rejects.toThrow(/Bucket "existing" already exists: set `adoptExisting: true`/);
    const adopted = await bucket.create(ctx, { ...plain, public: true, adoptExisting: true });
    expect(adopted.outs).toMatchObject({ name: "existing", public: true, adoptExisting: true });

    const slugged = valid(project.check({ name: "Legacy", organizationId: fixture.orgId, slug: "two", adoptExisting: true }));
    const taken = await project.create(ctx, slugged);
    expect(taken.id).toBe(fixture.otherProjectId);
    expect(taken.outs).toMatchObject({ name: "Legacy", slug: "two" });
  });

  it("says a resource removed outside Pulumi was not found and how to fix it", async () => {
    const created = await project.create(ctx, valid(project.check({ name: "Ephemeral", organizationId: fixture.orgId })));
    await fixture.api.delete(`/projects/${created.id}`, { token: fixture.token });
    await expect(project.update(ctx, created.id, created.outs, { ...created.outs, name: "Again" })).rejects.toThrow(
      `Project ${created.id} not found (it may have been deleted outside Pulumi; run \`pulumi refresh\`)`,
    );
  });
});
