// The provider plugin started exactly as the engine starts it from PulumiPlugin.yaml (`run-plugin` on the package's
// folder, port on stdout), driven over gRPC against a real lubes-server: GetSchema, CheckConfig, Configure, then for
// every kind Check, Diff, Create, Read by id alone (`pulumi import`), Update and Delete. Needs `npm run build`.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageSchema } from "../../provider/schema";
import { fixtureOn, lifecycles, type Fixture } from "../support/lifecycles";
import { startPlugin, type Plugin } from "../support/host";
import { startTestServer, type TestServer } from "../support/server";

const ROOT = path.resolve(__dirname, "../..");
/** Pulumi's wire form of a secret value. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;

describe("the plugin over gRPC, as the engine starts it", () => {
  let server: TestServer;
  let plugin: Plugin;
  let fixture: Fixture;
  let key: string;

  beforeAll(async () => {
    server = await startTestServer("pglite");
    ({ fixture, key } = await fixtureOn(server));
    // The key is given only as the provider's own property: the plugin's environment has none.
    plugin = await startPlugin({ apiKey: key, apiUrl: server.url });
  });
  afterAll(async () => {
    await plugin?.stop();
    await server?.close();
  });

  it("GetSchema answers the package schema generated from the definitions, as committed in schema.json", async () => {
    const served = JSON.parse(await plugin.getSchema()) as ReturnType<typeof packageSchema>;
    expect(served).toEqual(packageSchema(VERSION));
    expect(served.name).toBe("lubes");
    expect(served.config.variables["apiKey"]).toMatchObject({ secret: true, defaultInfo: { environment: ["LUBES_API_KEY"] } });
    expect(served.resources["lubes:index:EnvVar"]?.inputProperties["value"]).toMatchObject({ type: "string", secret: true });
    expect(served.resources["lubes:index:Bucket"]?.inputProperties["name"]).toMatchObject({ replaceOnChanges: true });
    expect(served.resources["lubes:index:Bucket"]?.requiredInputs).toEqual(["projectId"]);
  });

  it("CheckConfig passes good settings and names each bad one", async () => {
    expect((await plugin.checkConfig({ apiKey: key, apiUrl: server.url, version: VERSION })).failures).toEqual([]);
    const bad = await plugin.checkConfig({ apiKey: "", apiUrl: "ftp://lubes.example", region: "eu" });
    expect(bad.failures).toEqual([
      { property: "region", reason: expect.stringMatching(/not a setting of the Lubes provider \(known: apiKey, apiUrl, allowInsecureHttp\)/) },
      { property: "apiKey", reason: expect.stringMatching(/non-empty/) },
      { property: "apiUrl", reason: expect.stringMatching(/http\(s\) URL/) },
    ]);
    const insecure = await plugin.checkConfig({ apiUrl: "http://lubes.example/v1" });
    expect(insecure.failures).toEqual([{ property: "apiUrl", reason: expect.stringMatching(/clear text.*allowInsecureHttp/) }]);
  });

  it("DiffConfig: a new key is a change that replaces nothing", async () => {
    expect(await plugin.diffConfig({ apiKey: "a", apiUrl: server.url }, { apiKey: "b", apiUrl: server.url })).toEqual({ changes: true, diffs: ["apiKey"] });
    expect(await plugin.diffConfig({ apiKey: "a" }, { apiKey: "a" })).toEqual({ changes: false, diffs: [] });
  });

  it.each(lifecycles)("$kind.type: check → create → import by id → update → replace → drift → delete → gone", async (life) => {
    const type = life.kind.type;
    const first = await plugin.check(type, undefined, life.inputs(fixture));
    expect(first.failures).toEqual([]);
    const created = await plugin.create(type, first.inputs);
    expect(created.id).not.toBe("");
    expect(await plugin.diff(type, created.id, created.outs, first.inputs)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    // What the schema calls required is there: generated SDKs type it as always present.
    for (const key of packageSchema(VERSION).resources[type]?.required ?? []) expect(created.outs[key] ?? null, `${type}.${key}`).not.toBeNull();

    // `pulumi import`: Read with the id alone, then Check of the inputs it returned, then Diff: nothing to change.
    const imported = await plugin.importById(type, created.id);
    expect(imported.id).toBe(created.id);
    const importChecked = await plugin.check(type, undefined, imported.inputs);
    expect(importChecked.failures).toEqual([]);
    expect((await plugin.diff(type, imported.id, imported.props, importChecked.inputs)).changes).toBe(false);

    const second = await plugin.check(type, first.inputs, life.update(fixture));
    expect(await plugin.diff(type, created.id, created.outs, second.inputs)).toMatchObject({ changes: true, replaces: [] });
    const updated = await plugin.update(type, created.id, created.outs, second.inputs);
    expect((await plugin.diff(type, created.id, updated, second.inputs)).changes).toBe(false);

    const [replaceRaw, property] = life.replace(fixture);
    const third = await plugin.check(type, second.inputs, replaceRaw);
    expect((await plugin.diff(type, created.id, updated, third.inputs)).replaces).toEqual(property ? [property] : []);

    await life.drift(fixture, created.id);
    const refreshed = await plugin.read(type, created.id, updated);
    expect(refreshed.props[life.drifted[0]]).toEqual(life.drifted[1]);

    await plugin.delete(type, created.id, refreshed.props);
    expect((await plugin.read(type, created.id, refreshed.props)).id).toBe("");
  });

  it("lubes:index:Branch: create → import by id → a new parent replaces, deleting first (the name is kept) → delete", async () => {
    const type = "lubes:index:Branch";
    const checked = await plugin.check(type, undefined, { projectId: fixture.projectId, name: "plugin-x" });
    const created = await plugin.create(type, checked.inputs);
    const imported = await plugin.importById(type, created.id);
    expect(imported.inputs).toMatchObject({ projectId: fixture.projectId, name: "plugin-x", parent: "main" });
    const moved = await plugin.check(type, checked.inputs, { projectId: fixture.projectId, name: "plugin-x", parent: "plugin-y" });
    expect(await plugin.diff(type, created.id, created.outs, moved.inputs)).toEqual({ changes: true, replaces: ["parent"], deleteBeforeReplace: true });
    await plugin.delete(type, created.id, created.outs);
    expect((await plugin.read(type, created.id, created.outs)).id).toBe("");
  });

  it("lubes:index:Migration: applied once → import by id → down added in place → delete runs down", async () => {
    const type = "lubes:index:Migration";
    const checked = await plugin.check(type, undefined, { projectId: fixture.projectId, name: "020_plugin", sql: "CREATE TABLE plugin_notes (id int)" });
    const created = await plugin.create(type, checked.inputs);
    expect(created.outs["status"]).toBe("applied");
    const imported = await plugin.importById(type, created.id);
    expect(imported.inputs).toMatchObject({ name: "020_plugin", sql: "CREATE TABLE plugin_notes (id int)" });
    const withDown = await plugin.check(type, checked.inputs, { ...checked.inputs, down: "DROP TABLE plugin_notes" });
    const updated = await plugin.update(type, created.id, created.outs, withDown.inputs);
    await plugin.delete(type, created.id, updated);
    const table = await fixture.api.post(`/projects/${fixture.projectId}/db/query`, { token: fixture.token, body: { query: "SELECT to_regclass('plugin_notes') AS t" } });
    expect(table.body.rows).toEqual([{ t: null }]);
  });

  it("lubes:index:Deployment and ProductionDeployment: create, import by id, roll production back by an update", async () => {
    const projectId = fixture.otherProjectId;
    const fn = await plugin.check("lubes:index:Function", undefined, { projectId, slug: "plugged", source: "export default async () => new Response('one');" });
    const fnState = await plugin.create("lubes:index:Function", fn.inputs);
    const v1 = await plugin.create("lubes:index:Deployment", (await plugin.check("lubes:index:Deployment", undefined, { projectId, ref: "one" })).inputs);
    expect(v1.outs["status"]).toBe("ready");
    expect((await plugin.importById("lubes:index:Deployment", v1.id)).inputs).toMatchObject({ projectId, ref: "one" });
    const fnTwo = await plugin.check("lubes:index:Function", fn.inputs, { projectId, slug: "plugged", source: "export default async () => new Response('two');" });
    await plugin.update("lubes:index:Function", fnState.id, fnState.outs, fnTwo.inputs);
    const v2 = await plugin.create("lubes:index:Deployment", (await plugin.check("lubes:index:Deployment", undefined, { projectId, ref: "two" })).inputs);

    const prod = "lubes:index:ProductionDeployment";
    const atTwo = await plugin.check(prod, undefined, { projectId, deploymentId: v2.outs["deploymentId"] });
    const pointer = await plugin.create(prod, atTwo.inputs);
    const imported = await plugin.importById(prod, pointer.id);
    expect(imported.inputs).toMatchObject({ projectId, deploymentId: v2.outs["deploymentId"] });
    const atOne = await plugin.check(prod, atTwo.inputs, { projectId, deploymentId: v1.outs["deploymentId"] });
    const rolled = await plugin.update(prod, pointer.id, pointer.outs, atOne.inputs);
    expect(rolled["rolledBack"]).toBe(true);
    const answer = await fetch(`${server.url}/projects/${projectId}/functions/plugged/invoke`, { method: "POST", headers: { authorization: `Bearer ${fixture.token}` } });
    expect(await answer.text()).toBe("one");
    await plugin.delete(prod, pointer.id, rolled);
    await plugin.delete("lubes:index:Deployment", v1.id, v1.outs);
  });

  it("lubes:index:SignedUrl: the URL is a secret output; import by id is refused with the reason", async () => {
    const type = "lubes:index:SignedUrl";
    const objectType = "lubes:index:StorageObject";
    const object = await plugin.create(objectType, (await plugin.check(objectType, undefined, { projectId: fixture.projectId, bucket: "assets", key: "signed.txt", content: "hello" })).inputs);
    const checked = await plugin.check(type, undefined, { projectId: fixture.projectId, bucket: "assets", key: "signed.txt", expiresInSeconds: 600 });
    const created = await plugin.create(type, checked.inputs);
    expect(plugin.lastSecrets()).toContain("url");
    expect(await (await fetch(String(created.outs["url"]))).text()).toBe("hello");
    expect((await plugin.read(type, created.id, created.outs)).id).toBe(created.id);
    await expect(plugin.importById(type, created.id)).rejects.toThrow(/cannot be imported|not importable|no record/);
    await plugin.delete(type, created.id, created.outs);
    await plugin.delete(objectType, object.id, object.outs);
  });

  it("lubes:index:DatabaseCopy: copies the rows and reports each table; import by id is refused with the reason", async () => {
    const type = "lubes:index:DatabaseCopy";
    const sql = (projectId: string, query: string) => fixture.api.post(`/projects/${projectId}/db/query`, { token: fixture.token, body: { query } });
    await sql(fixture.otherProjectId, "CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) VALUES ('one'), ('two')");
    await sql(fixture.projectId, "CREATE TABLE notes (id serial PRIMARY KEY, body text)");
    const checked = await plugin.check(type, undefined, { projectId: fixture.projectId, sourceProjectId: fixture.otherProjectId, tables: ["notes"] });
    expect(checked.failures).toEqual([]);
    const created = await plugin.create(type, checked.inputs);
    expect(created.outs["copiedTables"]).toEqual([{ table: "public.notes", rows: 2, sourceRows: 2, skipped: null }]);
    expect((await sql(fixture.projectId, "SELECT body FROM notes ORDER BY id")).body.rows).toEqual([{ body: "one" }, { body: "two" }]);
    expect((await plugin.read(type, created.id, created.outs)).id).toBe(created.id);
    await expect(plugin.importById(type, created.id)).rejects.toThrow(/cannot be imported/);
    await plugin.delete(type, created.id, created.outs);
  });

  it("keeps an environment variable's value secret in inputs and outputs", async () => {
    const type = "lubes:index:EnvVar";
    const checked = await plugin.check(type, undefined, { projectId: fixture.projectId, key: "PLUGIN_SECRET", value: "s3cret", sensitive: true });
    expect(plugin.lastSecrets()).toEqual(["value"]);
    const created = await plugin.create(type, checked.inputs);
    expect(plugin.lastSecrets()).toEqual(["value"]);
    expect(created.outs["value"]).toBe("s3cret");
    await plugin.delete(type, created.id, created.outs);
  });

  it("keeps a value the program made secret a secret: unwrapped for the API, wrapped again in inputs and outputs", async () => {
    const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });
    const type = "lubes:index:Project";
    const checked = await plugin.check(type, undefined, { name: secret("Secret Name"), organizationId: fixture.orgId });
    expect(checked.failures).toEqual([]);
    expect(plugin.lastSecrets()).toEqual(["name"]);
    const created = await plugin.create(type, { ...checked.inputs, name: secret(checked.inputs["name"]) });
    expect(plugin.lastSecrets()).toEqual(["name"]);
    const live = await fixture.api.get(`/projects/${created.id}`, { token: fixture.token });
    expect(live.body.name).toBe("Secret Name");
    await plugin.delete(type, created.id, { ...created.outs, name: secret(created.outs["name"]) });
  });

  it("names a resource a program left unnamed after its logical name in the URN, and keeps it", async () => {
    const type = "urn:pulumi:test::lubes-e2e::lubes:index:Bucket::Media Files";
    const first = await plugin.check(type, undefined, { projectId: fixture.projectId });
    expect(first.failures).toEqual([]);
    expect(first.inputs["name"]).toMatch(/^media-files-[0-9a-f]{7}$/);
    const again = await plugin.check(type, first.inputs, { projectId: fixture.projectId, public: true });
    expect(again.inputs["name"]).toBe(first.inputs["name"]);
  });

  it("reports check failures naming the property", async () => {
    const checked = await plugin.check("lubes:index:EnvVar", undefined, { projectId: fixture.projectId, key: "not-valid", value: "x" });
    expect(checked.failures).toEqual([{ property: "key", reason: expect.stringMatching(/uppercase letters/) }]);
  });
});

describe("the plugin's configuration", () => {
  let server: TestServer;
  let key: string;
  let fixture: Fixture;

  beforeAll(async () => {
    server = await startTestServer("pglite");
    ({ fixture, key } = await fixtureOn(server));
  });
  afterAll(async () => server?.close());

  it("takes an API key the engine sends as a secret", async () => {
    const plugin = await startPlugin({ apiKey: { [SIG_KEY]: SECRET_SIG, value: key }, apiUrl: server.url });
    try {
      expect((await plugin.check("lubes:index:Project", undefined, { name: "Secret Key", organizationId: fixture.orgId })).failures).toEqual([]);
      expect((await plugin.checkConfig({ apiKey: { [SIG_KEY]: SECRET_SIG, value: key }, apiUrl: server.url })).failures).toEqual([]);
    } finally {
      await plugin.stop();
    }
  });

  it("CheckConfig honours LUBES_ALLOW_INSECURE_HTTP in the plugin's environment, as operations do", async () => {
    const plugin = await startPlugin({}, { env: { LUBES_ALLOW_INSECURE_HTTP: "yes" } });
    try {
      expect((await plugin.checkConfig({ apiUrl: "http://lubes.internal:8787/v1", allowInsecureHttp: "1" })).failures).toEqual([]);
    } finally {
      await plugin.stop();
    }
  });

  it("takes the settings from `lubes:config:*` variables, as older engines send them", async () => {
    const plugin = await startPlugin({}, { variables: { "lubes:config:apiKey": key, "lubes:config:apiUrl": server.url } });
    try {
      const checked = await plugin.check("lubes:index:Project", undefined, { name: "By Variables", organizationId: fixture.orgId });
      expect(checked.failures).toEqual([]);
    } finally {
      await plugin.stop();
    }
  });

  it("without a key anywhere, fails with what to set", async () => {
    const plugin = await startPlugin({ apiUrl: server.url });
    try {
      await expect(plugin.check("lubes:index:Project", undefined, { name: "No Key", organizationId: fixture.orgId })).rejects.toThrow(/No Lubes API key.*lubes:apiKey.*LUBES_API_KEY/);
    } finally {
      await plugin.stop();
    }
  });

  it("serves two accounts from two plugin processes, as two explicit providers do", async () => {
    const other = await fixtureOn(server);
    const [mine, theirs] = await Promise.all([startPlugin({ apiKey: key, apiUrl: server.url }), startPlugin({ apiKey: other.key, apiUrl: server.url })]);
    try {
      const inputs = (f: Fixture) => ({ name: "Per Account", organizationId: f.orgId });
      expect((await mine.check("lubes:index:Project", undefined, inputs(fixture))).failures).toEqual([]);
      const created = await theirs.create("lubes:index:Project", (await theirs.check("lubes:index:Project", undefined, inputs(other.fixture))).inputs);
      // The first account cannot see the second's project: each process uses its own key.
      expect((await mine.read("lubes:index:Project", created.id, {})).id).toBe("");
      expect((await theirs.read("lubes:index:Project", created.id, {})).id).toBe(created.id);
    } finally {
      await Promise.all([mine.stop(), theirs.stop()]);
    }
  });
});
