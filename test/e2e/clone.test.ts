// Cloning an environment end to end: a source project built through the API with every area is cloned into another
// organization by a program (`cloneEnvironment` + `ProjectEnvironment`) run through the engine harness; the two
// projects are then compared through the API. Destroying the clone leaves the source as it was.
import { execFile } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matchesDigest } from "../../provider/resources/env-var";
import { harnessStack, type ExampleStack } from "../engine/runner";
import { programFolder } from "../support/program-folder";
import { exampleServer, expectNoChanges, listOf, type ExampleServer } from "./support";

const LONG = 300_000;
const COMMAND = path.resolve(__dirname, "../../dist/sdk/clone-command.js");

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as lubes from "@lubes/pulumi";

const config = new pulumi.Config();

export = async () => {
  const spec = await lubes.cloneEnvironment(config.require("source"), {
    name: "Shop (staging)",
    organizationId: config.require("targetOrg"),
    env: { API_URL: "https://staging.example", DB_PASSWORD: config.requireSecret("dbPassword") },
    skipObjectsOf: ["uploads"],
    copyData: config.getBoolean("copyData") ?? false,
  });
  const staging = new lubes.ProjectEnvironment("staging", spec);
  return { projectId: staging.projectId, functionUrls: staging.functionUrls };
};
`;

describe("cloneEnvironment through the engine harness (emulates the engine, not the Pulumi CLI)", () => {
  let lubes: ExampleServer;
  let stack: ExampleStack;
  let source: string;
  let clone: string;
  const get = async (path: string) => (await lubes.api.get(path, { token: lubes.token })).body as Record<string, unknown>;
  const raw = async (path: string) => Buffer.from(await (await fetch(`${lubes.server.url}${path}`, { headers: { authorization: `Bearer ${lubes.token}` } })).arrayBuffer());
  const invoke = async (projectId: string, slug: string) =>
    (await fetch(`${lubes.server.url}/projects/${projectId}/functions/${slug}/invoke?name=Ada`, { method: "POST", headers: { authorization: `Bearer ${lubes.token}` } })).text();
  /** Tables with their columns, as the API describes them. */
  const schemaOf = async (projectId: string) => {
    const tables = await listOf<{ name: string }>(lubes.api, lubes.token, `/projects/${projectId}/db/tables`);
    return Promise.all(tables.map(async (t) => ({ table: t.name, columns: ((await get(`/projects/${projectId}/db/tables/${t.name}`))["columns"] as { name: string; type: string }[]).map((c) => [c.name, c.type]) })));
  };
  const count = async (projectId: string, table: string) =>
    ((await lubes.api.post(`/projects/${projectId}/db/query`, { token: lubes.token, body: { query: `SELECT count(*)::int AS n FROM ${table}` } })).body as { rows: { n: number }[] }).rows[0]?.n;
  /** Every row of a table as Postgres prints it, in key order. */
  const rowsOf = async (projectId: string, table: string) =>
    ((await lubes.api.post(`/projects/${projectId}/db/query`, { token: lubes.token, body: { query: `SELECT to_jsonb(t.*)::text AS r FROM ${table} t ORDER BY id` } })).body as { rows: { r: string }[] }).rows.map((row) => row.r);
  /** Everything of the source a clone must not touch. */
  const snapshot = async (projectId: string) => ({
    env: await listOf(lubes.api, lubes.token, `/projects/${projectId}/env`),
    functions: await listOf(lubes.api, lubes.token, `/projects/${projectId}/functions`),
    objects: await listOf(lubes.api, lubes.token, `/projects/${projectId}/storage/objects`),
    migrations: await listOf(lubes.api, lubes.token, `/projects/${projectId}/db/migrations`),
    branches: await listOf(lubes.api, lubes.token, `/projects/${projectId}/db/branches`),
    rows: [await count(projectId, "items"), await count(projectId, "orders")],
  });
  let before: Awaited<ReturnType<typeof snapshot>>;
  let stackConfig: { config: Record<string, string>; secret: string[] };

  beforeAll(async () => {
    lubes = await exampleServer();
    const post = (path: string, body?: unknown) => lubes.api.post(path, { token: lubes.token, ...(body === undefined ? {} : { body }) });
    const sourceOrg = (await post("/organizations", { name: "Shop Inc" })).body as { id: string };
    const targetOrg = (await post("/organizations", { name: "Shop Staging" })).body as { id: string };
    source = ((await post("/projects", { name: "Shop", organization_id: sourceOrg.id })).body as { id: string }).id;
    const p = `/projects/${source}`;
    await post(`${p}/env`, { key: "GREETING", value: "Hello" });
    await post(`${p}/env`, { key: "API_URL", value: "https://shop.example" });
    await post(`${p}/env`, { key: "DB_PASSWORD", value: "production-password", sensitive: true, environments: ["production"] });
    await post(`${p}/functions`, { slug: "hello", source: "export default async (req, env) => new Response(`${env.GREETING}, ${new URL(req.url).searchParams.get('name')}!`);" });
    await post(`${p}/functions`, { slug: "version", source: "export default async () => Response.json({ version: 7 });", memory_mb: 64 });
    await post(`${p}/functions/hello/deploy`);
    await post(`${p}/functions/version/deploy`);
    await post(`${p}/storage/buckets`, { name: "assets", public: true });
    await post(`${p}/storage/buckets`, { name: "uploads" });
    const put = (key: string, bytes: string | Buffer, type: string) => lubes.api.request("PUT", `${p}/storage/objects/${key}`, { token: lubes.token, raw: bytes, headers: { "content-type": type } });
    await put("assets/img/logo.svg", "<svg/>", "image/svg+xml");
    await put("assets/docs/guide/readme.txt", "Read me", "text/plain");
    await put("assets/bin/data.bin", Buffer.from([0, 1, 2, 255, 254]), "application/octet-stream");
    await put("uploads/user/1.txt", "private", "text/plain");
    await post(`${p}/db/migrations`, { name: "001_items", sql: "CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL)" });
    await post(`${p}/db/migrations`, { name: "002_price", sql: "ALTER TABLE items ADD COLUMN price numeric(10,2) DEFAULT 0" });
    await post(`${p}/db/migrations`, { name: "003_orders", sql: "CREATE TABLE orders (id bigserial PRIMARY KEY, item_id bigint REFERENCES items(id), placed_at timestamptz DEFAULT now())" });
    await post(`${p}/db/query`, { query: "INSERT INTO items (name, price) VALUES ('pen', 1.50), ('book', 12.00)" });
    await post(`${p}/db/query`, { query: "INSERT INTO orders (item_id) VALUES (1), (2), (2)" });
    await post(`${p}/db/branches`, { name: "staging" });
    await post(`${p}/deployments`, { ref: "main" });
    before = await snapshot(source);
    stackConfig = {
      config: { ...lubes.config, "clone-test:source": source, "clone-test:targetOrg": targetOrg.id, "clone-test:dbPassword": "staging-password" },
      secret: [...lubes.secret, "clone-test:dbPassword"],
    };
    stack = harnessStack({ files: { "Pulumi.yaml": "name: clone-test\nruntime: nodejs\n", "index.ts": PROGRAM }, stack: "staging", ...stackConfig });
  }, LONG);
  afterAll(async () => {
    stack?.dispose();
    await lubes?.close();
  });

  it("up makes a copy in the other organization; the second up changes nothing", { timeout: LONG }, async () => {
    const started = Date.now();
    const up = await stack.up();
    console.info(`clone of the test project (no rows): ${Date.now() - started} ms, ${up.summary.create} resources`);
    clone = String((await stack.outputs())["projectId"]);
    expect(clone).not.toBe(source);
    expect(await get(`/projects/${clone}`)).toMatchObject({ name: "Shop (staging)" });
    expectNoChanges(await stack.preview());
  });

  it("has the same schema, migrations and branches; rows are not copied", async () => {
    expect(await schemaOf(clone)).toEqual(await schemaOf(source));
    const migrations = async (id: string) => (await listOf<{ name: string; checksum: string; status: string }>(lubes.api, lubes.token, `/projects/${id}/db/migrations`)).map((m) => [m.name, m.checksum, m.status]);
    expect(await migrations(clone)).toEqual(await migrations(source));
    const branches = async (id: string) => (await listOf<{ name: string }>(lubes.api, lubes.token, `/projects/${id}/db/branches`)).map((b) => b.name).sort();
    expect(await branches(clone)).toEqual(["main", "staging"]);
    expect([await count(clone, "items"), await count(clone, "orders")]).toEqual([0, 0]);
  });

  it("has the variables with the overrides applied, and the sensitive one set from them", async () => {
    const env = await listOf<{ key: string; value: string | null; sensitive: boolean; value_digest: string | null; environments: string[] }>(lubes.api, lubes.token, `/projects/${clone}/env`);
    expect(env.map((v) => v.key).sort()).toEqual(["API_URL", "DB_PASSWORD", "GREETING"]);
    expect(env.find((v) => v.key === "GREETING")?.value).toBe("Hello");
    expect(env.find((v) => v.key === "API_URL")?.value).toBe("https://staging.example");
    const password = env.find((v) => v.key === "DB_PASSWORD");
    expect(password).toMatchObject({ value: null, sensitive: true, environments: ["production"] });
    expect(await matchesDigest("staging-password", password?.value_digest ?? "")).toBe(true);
  });

  it("has functions that answer as the source's do, and a current deployment", async () => {
    for (const slug of ["hello", "version"]) expect(await invoke(clone, slug)).toBe(await invoke(source, slug));
    expect(await invoke(clone, "hello")).toBe("Hello, Ada!");
    expect(await listOf(lubes.api, lubes.token, `/projects/${clone}/deployments`)).toMatchObject([{ status: "ready", current: true }]);
  });

  it("has the objects' bytes, in folders, except in the bucket opted out", async () => {
    for (const key of ["img/logo.svg", "docs/guide/readme.txt", "bin/data.bin"]) {
      expect((await raw(`/projects/${clone}/storage/objects/assets/${key}`)).equals(await raw(`/projects/${source}/storage/objects/assets/${key}`)), key).toBe(true);
    }
    const buckets = await listOf<{ name: string; public: boolean }>(lubes.api, lubes.token, `/projects/${clone}/storage/buckets`);
    expect(buckets.map((b) => [b.name, b.public]).sort()).toEqual([["assets", true], ["uploads", false]]);
    expect(await listOf(lubes.api, lubes.token, `/projects/${clone}/storage/objects?bucket=uploads`)).toEqual([]);
  });

  it("destroying the clone leaves nothing of it, and the source as it was", { timeout: LONG }, async () => {
    await stack.destroy();
    expect((await lubes.api.get(`/projects/${clone}`, { token: lubes.token })).status).toBe(404);
    expect(await snapshot(source)).toEqual(before);
  });

  it("with copyData, the copy has the same rows, its branch has them too, and new rows get new ids", { timeout: LONG }, async () => {
    const withRows = harnessStack({
      files: { "Pulumi.yaml": "name: clone-test\nruntime: nodejs\n", "index.ts": PROGRAM },
      stack: "rows",
      config: { ...stackConfig.config, "clone-test:copyData": "true" },
      secret: stackConfig.secret,
    });
    try {
      const started = Date.now();
      const up = await withRows.up();
      console.info(`clone of the test project (with rows): ${Date.now() - started} ms, ${up.summary.create} resources`);
      expect(up.summary.create, up.text).toBe(18);
      expect(up.text).toMatch(/public\.items: copied 2 of 2 rows/);
      expect(up.text).toMatch(/public\.orders: copied 3 of 3 rows/);
      const copy = String((await withRows.outputs())["projectId"]);
      for (const table of ["items", "orders"]) expect(await rowsOf(copy, table)).toEqual(await rowsOf(source, table));
      const onBranch = await lubes.api.post(`/projects/${copy}/db/query`, { token: lubes.token, body: { query: "SELECT count(*)::int AS n FROM orders", branch: "staging" } });
      expect(onBranch.body).toMatchObject({ rows: [{ n: 3 }] });
      expectNoChanges(await withRows.preview());
      const added = await lubes.api.post(`/projects/${copy}/db/query`, { token: lubes.token, body: { query: "INSERT INTO items (name) VALUES ('ink') RETURNING id::int AS id" } });
      expect(added.body).toMatchObject({ rows: [{ id: 3 }] });
      await withRows.destroy();
      expect((await lubes.api.get(`/projects/${copy}`, { token: lubes.token })).status).toBe(404);
    } finally {
      withRows.dispose();
    }
    expect(await snapshot(source)).toEqual(before);
  });

  describe("the lubes-clone command", () => {
    // Asynchronous: the lubes-server under test runs in this process.
    const run = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const env = { ...process.env, LUBES_API_KEY: lubes.config["lubes:apiKey"], LUBES_API_URL: lubes.server.url };
        execFile(process.execPath, [COMMAND, ...args], { encoding: "utf8", env }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }));
      });

    it("--help shows an example; bad usage exits 2 saying what is wrong", async () => {
      expect(await run("--help")).toMatchObject({ code: 0, stdout: expect.stringMatching(/Example:\n\s+LUBES_API_KEY=.*lubes-clone proj_123 --name staging/) });
      expect(await run(source)).toMatchObject({ code: 2, stderr: expect.stringMatching(/--name is required/) });
      expect(await run(source, "--name", "x", "--set", "DB_PASSWORD=nope")).toMatchObject({ code: 2, stderr: expect.stringMatching(/sensitive variables take their values from the program's stack secrets/) });
      expect(await run("proj_missing", "--name", "x")).toMatchObject({ code: 1, stderr: expect.stringMatching(/No project proj_missing is visible to this API key/) });
      expect(await run(source, "--name", "x", "--copy-data", "--row-limit", "0")).toMatchObject({ code: 2, stderr: expect.stringMatching(/--row-limit 0: expected a whole number from 1 to 1000000/) });
      expect(await run(source, "--name", "x", "--row-limit", "5")).toMatchObject({ code: 2, stderr: expect.stringMatching(/--row-limit applies only with --copy-data/) });
    });

    it("prints the spec as JSON, naming the sensitive keys without values, with progress on stderr", async () => {
      const printed = await run(source, "--name", "Shop (json)", "--set", "API_URL=https://json.example");
      expect(printed.code, printed.stderr).toBe(0);
      expect(printed.stderr).toMatch(/read 3 variables, 2 functions, 2 buckets \(4 files\), 3 migrations, 1 branches\nlubes-clone: database rows are not copied \(--copy-data copies them\)/);
      const spec = JSON.parse(printed.stdout) as { sensitiveKeys: string[]; env: { key: string; value: string }[]; project: { organizationId: string } };
      expect(spec.sensitiveKeys).toEqual(["DB_PASSWORD"]);
      expect(spec.env.map((v) => [v.key, v.value]).sort()).toEqual([["API_URL", "https://json.example"], ["GREETING", "Hello"]]);
      expect(printed.stdout).not.toContain("production-password");
    });

    it("--copy-data names each table with its rows now and the limit, and puts the copy in the spec", async () => {
      const printed = await run(source, "--name", "Shop (rows)", "--copy-data", "--row-limit", "2");
      expect(printed.code, printed.stderr).toBe(0);
      expect(printed.stderr).toMatch(/rows of public\.items: 2\n/);
      expect(printed.stderr).toMatch(/rows of public\.orders: 3 \(the first 2 will be copied\)/);
      expect((JSON.parse(printed.stdout) as { data: unknown }).data).toEqual({ sourceProjectId: source, rowLimit: 2 });
    });

    it("--out writes a program that the harness runs into a copy; destroy removes it", { timeout: LONG }, async () => {
      const folder = programFolder();
      const written = await run(source, "--name", "Shop (cli)", "--set", "API_URL=https://cli.example", "--skip-objects", "uploads", "--copy-data", "--out", folder);
      expect(written.code, written.stderr).toBe(0);
      expect(written.stderr).toMatch(/pulumi config set --secret DB_PASSWORD <value>/);
      const cli = harnessStack({ folder, stack: "cli", config: { ...lubes.config, "lubes-clone-shop-cli:DB_PASSWORD": "cli-password" }, secret: [...lubes.secret, "lubes-clone-shop-cli:DB_PASSWORD"] });
      try {
        const up = await cli.up();
        expect(up.summary.create, up.text).toBe(18);
        const copy = String((await cli.outputs())["projectId"]);
        const env = await listOf<{ key: string; value: string | null; value_digest: string | null }>(lubes.api, lubes.token, `/projects/${copy}/env`);
        expect(env.find((v) => v.key === "API_URL")?.value).toBe("https://cli.example");
        expect(await matchesDigest("cli-password", env.find((v) => v.key === "DB_PASSWORD")?.value_digest ?? "")).toBe(true);
        expect(await invoke(copy, "hello")).toBe("Hello, Ada!");
        expect(await schemaOf(copy)).toEqual(await schemaOf(source));
        expect(await rowsOf(copy, "orders")).toEqual(await rowsOf(source, "orders"));
        await cli.destroy();
        expect((await lubes.api.get(`/projects/${copy}`, { token: lubes.token })).status).toBe(404);
      } finally {
        cli.dispose();
      }
      expect(await snapshot(source)).toEqual(before);
    });
  });
});
