// The provider core's resource kinds against a real lubes-server: the lifecycle every kind must follow, then each
// kind's own promises (drift of secrets, non-empty buckets, adoption, messages a person can act on).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LubesClient } from "../../provider/client";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { branch, bucket, deployment, envVar, kindOf, kinds, lubesFunction, migration, productionDeployment, project, signedUrl, storageObject, type CheckResult, type OperationContext } from "../../provider/resources";
import { lifecycles, type Fixture } from "../support/lifecycles";
import { createKey, signUp, startTestServer, type TestServer } from "../support/server";

/** The checked inputs, or the test fails with the check's failures. */
function valid<I>(result: CheckResult<I>): I {
  if (!result.inputs) throw new Error(`check failed: ${JSON.stringify(result.failures)}`);
  return result.inputs;
}

function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("expected a value");
  return value;
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
  await server.api.post(`/projects/${project1.body.id}/storage/buckets`, { token: owner.token, body: { name: "assets" } });
});
afterAll(() => server.close());

describe("every kind", () => {
  it("is registered, and an unknown type fails loudly", () => {
    expect(new Set(kinds.map((k) => k.type)).size).toBe(13);
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

  it("sees a sensitive value changed outside Pulumi through its salted digest, without reading it", async () => {
    const inputs = valid(envVar.check({ projectId: fixture.projectId, key: "DB_PASSWORD", value: "hunter2", sensitive: true }));
    const created = await envVar.create(ctx, inputs);
    expect(created.outs).toMatchObject({ value: "hunter2", sensitive: true, valueDigest: expect.stringMatching(/^scrypt\$/) });
    const same = await envVar.read(ctx, created.id, created.outs);
    expect(same?.outs.value).toBe("hunter2");
    const setOutside = (value: string) => fixture.api.post(`/projects/${fixture.projectId}/env`, { token: fixture.token, body: { key: "DB_PASSWORD", value, sensitive: true } });
    // The same value set again has a new salt: the digest differs, the check against it still holds.
    await setOutside("hunter2");
    const resalted = defined(await envVar.read(ctx, created.id, created.outs));
    expect([resalted.outs.value, resalted.outs.valueDigest === created.outs.valueDigest]).toEqual(["hunter2", false]);
    await setOutside("changed");
    const drifted = defined(await envVar.read(ctx, created.id, created.outs));
    expect(drifted.outs.value).toBe("");
    expect(envVar.diff(created.id, drifted.outs, inputs)).toEqual({ changes: true, replaces: [] });
    expect(envVar.secretOutputs).toEqual(["value"]);
    // A key that may only read sees no digest: state is kept as it was (drift shows only to a key that may write).
    const readOnly = { ...ctx, client: new LubesClient({ apiUrl: server.url, apiKey: await createKey(fixture.api, fixture.token, { permissions: ["read"] }) }) };
    const unseen = defined(await envVar.read(readOnly, created.id, created.outs));
    expect([unseen.outs.value, unseen.outs.valueDigest]).toEqual(["hunter2", created.outs.valueDigest]);
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
    await expect(bucket.create(ctx, plain)).rejects.toThrow(/Bucket "existing" already exists in project proj_\w+, and this resource does not manage it[\s\S]*aliases[\s\S]*set `adoptExisting: true`/);
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

  it("Function: reads its source from a file, diffs the content hash not the path, and leaves nothing behind when a deploy fails", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lubes-fn-"));
    const file = path.join(dir, "handler.mjs");
    const source = "export default async () => new Response('from a file');";
    writeFileSync(file, source);
    const fromFile = valid(lubesFunction.check({ projectId: fixture.otherProjectId, slug: "filed", sourcePath: file }));
    const created = await lubesFunction.create(ctx, fromFile);
    expect(created.outs).toMatchObject({ liveVersion: 1, invokeUrl: expect.stringMatching(/\/functions\/filed\/invoke$/) });
    const inline = valid(lubesFunction.check({ projectId: fixture.otherProjectId, slug: "filed", source }));
    expect(lubesFunction.diff(created.id, created.outs, inline).changes).toBe(false);
    expect(lubesFunction.check({ projectId: "p", slug: "x", sourcePath: path.join(dir, "missing.mjs") }).failures[0]?.property).toBe("sourcePath");
    expect(lubesFunction.check({ projectId: "p", slug: "x" }).failures[0]?.reason).toMatch(/exactly one of source/);
    expect(lubesFunction.check({ projectId: "p", slug: "x", source: "s", colour: "red" }).failures[0]?.property).toBe("colour");

    const broken = valid(lubesFunction.check({ projectId: fixture.otherProjectId, slug: "broken", source: "export default (" }));
    await expect(lubesFunction.create(ctx, broken)).rejects.toThrow(/Function "broken" was not deployed: SyntaxError/);
    expect((await fixture.api.get(`/projects/${fixture.otherProjectId}/functions/broken`, { token: fixture.token })).status).toBe(404);
  });

  it("Branch: copies its parent; every input replaces; delete removes it", async () => {
    await fixture.api.post(`/projects/${fixture.projectId}/db/query`, { token: fixture.token, body: { query: "CREATE TABLE seeded (x int); INSERT INTO seeded VALUES (1)" } });
    const inputs = valid(branch.check({ projectId: fixture.projectId, name: "preview/pr-7" }));
    const created = await branch.create(ctx, inputs);
    expect(created.outs).toMatchObject({ name: "preview/pr-7", parent: "main", branchId: expect.stringMatching(/^br_/) });
    expect(logs).toContain('Copying branch "main" into "preview/pr-7"…');
    const copy = await fixture.api.post(`/projects/${fixture.projectId}/db/query`, { token: fixture.token, body: { query: "SELECT count(*)::int AS n FROM seeded", branch: "preview/pr-7" } });
    expect(copy.body.rows).toEqual([{ n: 1 }]);
    expect(branch.diff(created.id, created.outs, inputs)).toEqual({ changes: false, replaces: [] });
    expect(branch.diff(created.id, created.outs, { ...inputs, parent: "dev" }).replaces).toEqual(["parent"]);
    await branch.delete(ctx, created.id, created.outs);
    expect(await branch.read(ctx, created.id, created.outs)).toBeUndefined();
  });

  it("Migration: applies once; a changed SQL is refused at check with advice; destroy runs down SQL only when given", async () => {
    const inputs = valid(migration.check({ projectId: fixture.projectId, name: "001_posts", sql: "CREATE TABLE posts (id int)", down: "DROP TABLE posts" }));
    const created = await migration.create(ctx, inputs);
    expect(created.outs).toMatchObject({ status: "applied", checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(migration.diff(created.id, created.outs, inputs).changes).toBe(false);
    const changed = migration.check({ ...inputs, sql: "CREATE TABLE posts (id bigint)" }, inputs);
    expect(changed.failures).toEqual([{ property: "sql", reason: expect.stringMatching(/applied SQL cannot change: put the change in a new Migration/) }]);
    expect((await migration.read(ctx, created.id, created.outs))?.outs.status).toBe("applied");

    await migration.delete(ctx, created.id, created.outs);
    const gone = await fixture.api.post(`/projects/${fixture.projectId}/db/query`, { token: fixture.token, body: { query: "SELECT to_regclass('posts') AS t" } });
    expect(gone.body.rows).toEqual([{ t: null }]);

    const keep = await migration.create(ctx, valid(migration.check({ projectId: fixture.projectId, name: "002_keep", sql: "CREATE TABLE kept (id int)" })));
    await migration.delete(ctx, keep.id, keep.outs);
    const kept = await fixture.api.post(`/projects/${fixture.projectId}/db/query`, { token: fixture.token, body: { query: "SELECT to_regclass('kept')::text AS t" } });
    expect(kept.body.rows).toEqual([{ t: "kept" }]);
    await expect(migration.create(ctx, valid(migration.check({ projectId: fixture.projectId, name: "003_bad", sql: "CREATE TABLE x (id int); SELECT * FROM nowhere" })))).rejects.toThrow(/failed and was rolled back/);
  });

  it("Deployment and ProductionDeployment: deploy v1, deploy v2, point production back to v1, and the function answers v1", async () => {
    const projectId = fixture.otherProjectId;
    const fn = valid(lubesFunction.check({ projectId, slug: "release", source: "export default async () => new Response('v1');" }));
    const fnState = await lubesFunction.create(ctx, fn);
    const v1 = await deployment.create(ctx, valid(deployment.check({ projectId, ref: "v1", triggers: { release: "1" } })));
    expect(v1.outs).toMatchObject({ status: "ready", functions: expect.arrayContaining([{ slug: "release", version: 1 }]) });

    const fnV2 = { ...fn, ...valid(lubesFunction.check({ projectId, slug: "release", source: "export default async () => new Response('v2');" })) };
    await lubesFunction.update(ctx, fnState.id, fnState.outs, fnV2);
    const v2Inputs = valid(deployment.check({ projectId, ref: "v2", triggers: { release: "2" } }));
    expect(deployment.diff(v1.id, v1.outs, v2Inputs).replaces).toEqual(["ref", "triggers"]);
    const v2 = await deployment.create(ctx, v2Inputs);
    const invoke = async () => (await fetch(`${server.url}/projects/${projectId}/functions/release/invoke`, { method: "POST", headers: { authorization: `Bearer ${fixture.token}` } })).text();
    expect(await invoke()).toBe("v2");

    const pointer = await productionDeployment.create(ctx, valid(productionDeployment.check({ projectId, deploymentId: v2.outs.deploymentId })));
    expect(pointer.outs.rolledBack).toBe(false);
    const back = valid(productionDeployment.check({ projectId, deploymentId: v1.outs.deploymentId }));
    expect(productionDeployment.diff(pointer.id, pointer.outs, back)).toEqual({ changes: true, replaces: [] });
    const rolled = await productionDeployment.update(ctx, pointer.id, pointer.outs, back);
    expect(rolled.rolledBack).toBe(true);
    expect(await invoke()).toBe("v1");
    expect((await productionDeployment.read(ctx, pointer.id, rolled))?.outs).toEqual(rolled); // no drift

    // A rollback made outside Pulumi shows on refresh, and the next up points production back.
    await fixture.api.post(`/projects/${projectId}/deployments/${v2.outs.deploymentId}/rollback`, { token: fixture.token });
    const drifted = defined(await productionDeployment.read(ctx, pointer.id, rolled));
    expect(productionDeployment.diff(pointer.id, drifted.outs, back).changes).toBe(true);
    await productionDeployment.update(ctx, pointer.id, drifted.outs, back);
    expect(await invoke()).toBe("v1");
  });

  it("Deployment: a failed build fails create with the last lines of its logs", async () => {
    const projectId = fixture.otherProjectId;
    const fn = await lubesFunction.create(ctx, valid(lubesFunction.check({ projectId, slug: "fragile", source: "export default async () => new Response('ok');" })));
    await server.app.lubes.sql.query("UPDATE function_versions SET source = 'export default (' WHERE function_id = $1", [fn.outs.functionId]);
    await expect(deployment.create(ctx, valid(deployment.check({ projectId, ref: "broken" })))).rejects.toThrow(/failed: function "fragile" version 1: it does not load[\s\S]*Last log lines:[\s\S]*error: function "fragile"/);
    await lubesFunction.delete(ctx, fn.id, fn.outs);
  });

  it("SignedUrl: downloads without a key; read as gone once the object is gone or the URL expired", async () => {
    const projectId = fixture.projectId;
    const object = await storageObject.create(ctx, valid(storageObject.check({ projectId, bucket: "assets", key: "shared/report.txt", content: "quarterly" })));
    const inputs = valid(signedUrl.check({ projectId, bucket: "assets", key: "shared/report.txt", expiresInSeconds: 600 }));
    const created = await signedUrl.create(ctx, inputs);
    expect(signedUrl.secretOutputs).toEqual(["url"]);
    const download = await fetch(created.outs.url);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe("quarterly");
    expect(Date.parse(created.outs.expiresAt) - Date.now()).toBeGreaterThan(590_000);
    expect(signedUrl.diff(created.id, created.outs, inputs)).toEqual({ changes: false, replaces: [] });
    expect(signedUrl.diff(created.id, created.outs, { ...inputs, expiresInSeconds: 60 }).replaces).toEqual(["expiresInSeconds"]);
    expect(await signedUrl.read(ctx, created.id, created.outs)).toEqual({ id: created.id, outs: created.outs });
    expect(await signedUrl.read(ctx, created.id, { ...created.outs, expiresAt: new Date(Date.now() - 1000).toISOString() })).toBeUndefined();
    await storageObject.delete(ctx, object.id, object.outs);
    expect(await signedUrl.read(ctx, created.id, created.outs)).toBeUndefined();
    await expect(signedUrl.create(ctx, inputs)).rejects.toThrow(/not found/i);
    expect(signedUrl.check({ projectId, bucket: "assets", key: "k", expiresInSeconds: 8 * 24 * 3600 }).failures[0]?.property).toBe("expiresInSeconds");
  });
});
