// Program edits a Pulumi user makes, end to end: renaming resources (without an alias, with one, with adoptExisting),
// renaming an autonamed resource with an alias, replacing a branch whose name the user chose, and reading a live
// resource by its id (`get`). After every step the server must still hold everything the program declares.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ExampleStack } from "../engine/runner";
import { changes, describeExample, exampleServer, expectNoChanges, listOf, type ExampleServer } from "./support";

const LONG = 180_000;
const PULUMI_YAML = "name: lubes-renames\nruntime: nodejs\n";

/** The program at each step: the resources around the ones being renamed stay the same. */
function program(parts: { variable: string; object: string; bucket: string; branchParent?: string; extra?: string }): string {
  return `import * as pulumi from "@pulumi/pulumi";
import * as lubes from "@lubes/pulumi";
const org = new lubes.Organization("acme", { name: "Renames Inc" });
const project = new lubes.Project("web", { organizationId: org.id });
${parts.variable}
${parts.bucket}
${parts.object}
const base = new lubes.Branch("base", { projectId: project.id, name: "base" });
new lubes.Branch("preview", { projectId: project.id, name: "preview", parent: ${parts.branchParent ?? '"main"'} }, { dependsOn: [base] });
${parts.extra ?? ""}
export const projectId = project.id;
export const bucketName = assets.name;
`;
}

const v1 = {
  variable: `new lubes.EnvVar("db-url", { projectId: project.id, key: "DATABASE_URL", value: "postgres://db" });`,
  bucket: `const assets = new lubes.Bucket("assets", { projectId: project.id, forceDestroy: true });`,
  object: `new lubes.StorageObject("logo", { projectId: project.id, bucket: assets.name, key: "logo.svg", content: "<svg/>" });`,
};
const renamed = {
  ...v1,
  variable: `new lubes.EnvVar("database-url", { projectId: project.id, key: "DATABASE_URL", value: "postgres://db" });`,
  object: `new lubes.StorageObject("logo-file", { projectId: project.id, bucket: assets.name, key: "logo.svg", content: "<svg/>" });`,
};
const aliased = {
  ...v1,
  variable: `new lubes.EnvVar("database-url", { projectId: project.id, key: "DATABASE_URL", value: "postgres://db" }, { aliases: [{ name: "db-url" }] });`,
  object: `new lubes.StorageObject("logo-file", { projectId: project.id, bucket: assets.name, key: "logo.svg", content: "<svg/>" }, { aliases: [{ name: "logo" }] });`,
};

describeExample("renames and replaces that keep the data", (make) => {
  let lubes: ExampleServer;
  let stack: ExampleStack;
  let projectId = "";
  let bucket = "";
  const variables = async () => (await listOf(lubes.api, lubes.token, `/projects/${projectId}/env`)).map((v) => `${String(v["key"])}=${String(v["value"])}`);
  const logo = async () => (await lubes.api.get(`/projects/${projectId}/storage/objects/${bucket}/logo.svg`, { token: lubes.token })).text;

  beforeAll(async () => {
    lubes = await exampleServer();
    stack = await make({ files: { "Pulumi.yaml": PULUMI_YAML, "index.ts": program(v1) }, stack: "dev", config: lubes.config, secret: lubes.secret });
  });
  afterAll(async () => {
    stack.dispose();
    await lubes.close();
  });

  it("up makes the variable, the object and the branches", async () => {
    const up = await stack.up();
    expect(up.summary.create, up.text).toBe(7);
    projectId = String(up.outputs["projectId"]);
    bucket = String(up.outputs["bucketName"]);
    expect(await variables()).toEqual(["DATABASE_URL=postgres://db"]);
    expect(await logo()).toBe("<svg/>");
  }, LONG);

  it("renaming a variable and an object without an alias stops with a message naming aliases, and loses nothing", async () => {
    stack.edit("index.ts", /[\s\S]*/, program(renamed));
    await expect(stack.up()).rejects.toThrow(/already exists[\s\S]*aliases: \[\{ name:/);
    expect(await variables()).toEqual(["DATABASE_URL=postgres://db"]);
    expect(await logo()).toBe("<svg/>");
    // The old resources still manage them: the next preview still plans the rename, nothing is forgotten.
    expect(changes(await stack.preview())).toEqual(["create EnvVar::database-url", "create StorageObject::logo-file", "delete EnvVar::db-url", "delete StorageObject::logo"]);
  }, LONG);

  it("with aliases the same rename moves the resources: nothing is made or deleted", async () => {
    stack.edit("index.ts", /[\s\S]*/, program(aliased));
    const up = await stack.up();
    expect(changes(up), up.text).toEqual([]);
    expect(await variables()).toEqual(["DATABASE_URL=postgres://db"]);
    expect(await logo()).toBe("<svg/>");
    expectNoChanges(await stack.preview());
  }, LONG);

  it("an autonamed bucket renamed with an alias keeps its name", async () => {
    const uploads = `const assets = new lubes.Bucket("uploads", { projectId: project.id, forceDestroy: true }, { aliases: [{ name: "assets" }] });`;
    stack.edit("index.ts", /[\s\S]*/, program({ ...aliased, bucket: uploads }));
    const up = await stack.up();
    expect(changes(up), up.text).toEqual([]);
    expect(up.outputs["bucketName"]).toBe(bucket);
    expect(await logo()).toBe("<svg/>");
  }, LONG);

  it("a branch whose name the user set is replaced by deleting it first: a new parent works in one up", async () => {
    const uploads = `const assets = new lubes.Bucket("uploads", { projectId: project.id, forceDestroy: true }, { aliases: [{ name: "assets" }] });`;
    stack.edit("index.ts", /[\s\S]*/, program({ ...aliased, bucket: uploads, branchParent: "base.name" }));
    const up = await stack.up();
    expect(changes(up), up.text).toEqual(["replace Branch::preview"]);
    const listed = await listOf(lubes.api, lubes.token, `/projects/${projectId}/db/branches`);
    const baseId = listed.find((b) => b["name"] === "base")?.["id"];
    expect(listed.find((b) => b["name"] === "preview")?.["parent_id"]).toBe(baseId);
    expectNoChanges(await stack.preview());
  }, LONG);

  it("get reads a live resource by its id; a rename with adoptExisting keeps the variable too", async () => {
    const uploads = `const assets = new lubes.Bucket("uploads", { projectId: project.id, forceDestroy: true }, { aliases: [{ name: "assets" }] });`;
    const adopting = `new lubes.EnvVar("primary-db", { projectId: project.id, key: "DATABASE_URL", value: "postgres://db", adoptExisting: true });`;
    const extra = `const live = lubes.EnvVar.get("live-db-url", pulumi.interpolate\`\${project.id}/DATABASE_URL\`);
export const liveEnvironments = live.environments;
export const liveValue = live.value;`;
    stack.edit("index.ts", /[\s\S]*/, program({ ...aliased, variable: adopting, bucket: uploads, branchParent: "base.name", extra }));
    const up = await stack.up();
    expect(changes(up), up.text).toEqual(["create EnvVar::primary-db", "delete EnvVar::database-url"]);
    expect(await variables()).toEqual(["DATABASE_URL=postgres://db"]);
    const outputs = await stack.outputs();
    expect(outputs["liveEnvironments"]).toEqual(["development", "preview", "production"]);
    expect(outputs["liveValue"]).toBe("postgres://db");
    expect(up.outputs["liveValue"]).toBe("[secret]");
    expectNoChanges(await stack.preview());
  }, LONG);

  it("destroy leaves nothing of the stack", async () => {
    await stack.destroy();
    expect((await lubes.api.get(`/projects/${projectId}`, { token: lubes.token })).status).toBe(404);
    expect(await listOf(lubes.api, lubes.token, "/organizations")).toEqual([]);
  }, LONG);
});
