// The quickstart through the provider plugin: the same program with every resource given a `lubes.Provider` runs
// through the engine harness, which starts the plugin as the engine does, and leaves the server in the same state as
// the quickstart through the dynamic resources. Then a stack made with the dynamic resources moves to the plugin by
// only adding the provider: nothing is replaced or changed.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { harnessStack, type ExampleStack } from "../engine/runner";
import { exampleServer, expectNoChanges, listOf, type ExampleServer } from "./support";

const LONG = 300_000;
const ROOT = path.resolve(__dirname, "../..");

/**
 * The program with a `lubes.Provider` declared after its imports and given to every Lubes resource (merged into the
 * options it has), edited through the TypeScript compiler's syntax tree so that no call is missed.
 */
function withExplicitProvider(source: string): string {
  const file = ts.createSourceFile("index.ts", source, ts.ScriptTarget.ES2022, true);
  const edits: { at: number; end: number; text: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.expression.getText(file) === "lubes" && node.expression.name.text !== "Provider") {
      const args = node.arguments ?? ts.factory.createNodeArray();
      const options = args[2];
      if (options) edits.push({ at: options.getStart(file), end: options.getEnd(), text: `{ ...${options.getText(file)}, provider: lubesProvider }` });
      else edits.push({ at: (args[1] ?? args[0] ?? node).getEnd(), end: (args[1] ?? args[0] ?? node).getEnd(), text: ", { provider: lubesProvider }" });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  let edited = source;
  for (const edit of edits.sort((a, b) => b.at - a.at)) edited = edited.slice(0, edit.at) + edit.text + edited.slice(edit.end);
  const imports = /import \* as lubes from "@lubes\/pulumi";\n/;
  if (!imports.test(edited) || edits.length === 0) throw new Error("the program does not import @lubes/pulumi as lubes, or declares nothing");
  return edited.replace(imports, (line) => `${line}const lubesConfig = new pulumi.Config("lubes");\nconst lubesProvider = new lubes.Provider("account", { apiKey: lubesConfig.requireSecret("apiKey"), apiUrl: lubesConfig.require("apiUrl") });\n`);
}

type Snapshot = Record<string, unknown>;

/** What a project holds, without ids and times: two projects made by the two faces must be alike. */
async function snapshot(lubes: ExampleServer, projectId: string): Promise<Snapshot> {
  const p = `/projects/${projectId}`;
  const list = (suffix: string) => listOf(lubes.api, lubes.token, `${p}${suffix}`);
  const pick = (items: Record<string, unknown>[], keys: string[]) => items.map((item) => Object.fromEntries(keys.map((key) => [key, item[key]])));
  return {
    env: pick(await list("/env"), ["key", "value", "sensitive", "environments"]),
    buckets: pick(await list("/storage/buckets"), ["name", "public"]),
    objects: pick(await list("/storage/objects"), ["name", "size", "content_type", "etag"]),
    functions: pick(await list("/functions"), ["slug", "name", "runtime", "memory_mb", "timeout_ms", "version"]),
    migrations: pick(await list("/db/migrations"), ["name", "status", "checksum"]),
    branches: pick(await list("/db/branches"), ["name"]),
    deployments: pick(await list("/deployments"), ["status", "current", "ref"]),
  };
}

describe("examples/quickstart through the provider plugin (engine harness: emulates the engine, not the Pulumi CLI)", () => {
  let lubes: ExampleServer;
  let dynamic: ExampleStack;
  let plugin: ExampleStack;
  const config = (server: ExampleServer) => ({ ...server.config, "lubes-quickstart:apiToken": "tok-faces" });

  beforeAll(async () => {
    lubes = await exampleServer();
    dynamic = harnessStack({ example: "quickstart", stack: "dynamic", config: config(lubes), secret: [...lubes.secret, "lubes-quickstart:apiToken"] });
    plugin = harnessStack({ example: "quickstart", stack: "plugin", config: config(lubes), secret: [...lubes.secret, "lubes-quickstart:apiToken"] });
    writeFileSync(path.join(plugin.folder, "index.ts"), withExplicitProvider(readFileSync(path.join(plugin.folder, "index.ts"), "utf8")));
  });
  afterAll(async () => {
    dynamic?.dispose();
    plugin?.dispose();
    await lubes?.close();
  });

  it("up through the plugin makes what the dynamic resources make, with the same final server state", { timeout: LONG }, async () => {
    const [viaDynamic, viaPlugin] = [await dynamic.up(), await plugin.up()];
    expect(viaPlugin.summary.create, viaPlugin.text).toBe(viaDynamic.summary.create);
    expect(viaPlugin.steps.every((step) => step.urn.includes("::lubes:index:")), viaPlugin.text).toBe(true);
    expect(viaPlugin.outputs["welcomeUrl"]).toBe("[secret]");
    const [one, two] = [String((await dynamic.outputs())["projectId"]), String((await plugin.outputs())["projectId"])];
    expect(one).not.toBe(two);
    expect(await snapshot(lubes, two)).toEqual(await snapshot(lubes, one));
    const answer = await fetch(`${lubes.server.url}/projects/${two}/functions/hello/invoke?name=Plugin`, { method: "POST", headers: { authorization: `Bearer ${lubes.token}` } });
    expect(await answer.json()).toMatchObject({ message: "Hello, Plugin!", hasToken: true });
  });

  it("a preview and a refresh through the plugin find nothing to do", { timeout: LONG }, async () => {
    expectNoChanges(await plugin.preview());
    expect((await plugin.refresh()).drift).toEqual([]);
  });

  it("moves the dynamic stack to the plugin by adding the provider: nothing is created, replaced or deleted", { timeout: LONG }, async () => {
    const before = await snapshot(lubes, String((await dynamic.outputs())["projectId"]));
    writeFileSync(path.join(dynamic.folder, "index.ts"), withExplicitProvider(readFileSync(path.join(dynamic.folder, "index.ts"), "utf8")));
    const preview = await dynamic.preview();
    expectNoChanges(preview);
    const moved = await dynamic.up();
    expectNoChanges(moved);
    expect(moved.steps.every((step) => step.urn.includes("::lubes:index:")), moved.text).toBe(true);
    expect(await snapshot(lubes, String((await dynamic.outputs())["projectId"]))).toEqual(before);
    expectNoChanges(await dynamic.preview());
  });

  it("moves it back by removing the provider: one update per resource that writes nothing, then refresh and preview find nothing", { timeout: LONG }, async () => {
    const projectId = String((await dynamic.outputs())["projectId"]);
    const before = await snapshot(lubes, projectId);
    writeFileSync(path.join(dynamic.folder, "index.ts"), readFileSync(path.join(ROOT, "examples", "quickstart", "index.ts")));
    // The plugin's outputs lack the `__provider` that the dynamic host's refresh and delete load: an update stores it.
    const back = await dynamic.up();
    expect({ create: back.summary.create, replace: back.summary.replace, delete: back.summary.delete }, back.text).toEqual({ create: 0, replace: 0, delete: 0 });
    expect(back.steps.every((step) => step.urn.includes("::pulumi-nodejs:dynamic/lubes:")), back.text).toBe(true);
    expect(await snapshot(lubes, projectId)).toEqual(before);
    expect((await dynamic.refresh()).drift).toEqual([]);
    expectNoChanges(await dynamic.preview());
  });

  it("destroy leaves nothing of either stack", { timeout: LONG }, async () => {
    await plugin.destroy();
    await dynamic.destroy();
    expect(await listOf(lubes.api, lubes.token, "/organizations")).toEqual([]);
  });
});
