// The package a user installs: `npm pack` of this repository, installed into a fresh folder outside it with
// `npm install <tarball> @pulumi/pulumi`, as a user's program would have it. The quickstart example, copied there,
// type-checks against the installed SDK and runs end to end through the engine harness (the dynamic resources load
// the provider core from the installed package); the plugin starts from the installed package's folder as the engine
// starts it. Needs `npm run build` and the npm registry (or npm's cache).
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { harnessStack, type ExampleStack } from "../engine/runner";
import { startPlugin } from "../support/host";
import { exampleServer, expectNoChanges, listOf, type ExampleServer } from "./support";

const ROOT = path.resolve(__dirname, "../..");
const LONG = 300_000;
const rootPackage = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string; devDependencies: Record<string, string> };

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

const npm = (args: string[], cwd: string): string => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });

describe("the packed tarball, installed outside the repository", () => {
  const work = mkdtempSync(path.join(os.tmpdir(), "lubes-tarball-"));
  const program = path.join(work, "program");
  let packed: Packed;
  let lubes: ExampleServer;
  let stack: ExampleStack;

  beforeAll(async () => {
    // Without scripts: `npm run build` made dist already, and other tests use it meanwhile.
    packed = (JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", work], ROOT)) as Packed[])[0] as Packed;
    cpSync(path.join(ROOT, "examples", "quickstart"), program, { recursive: true, filter: (source) => !source.includes(`${path.sep}node_modules`) });
    const manifest = JSON.parse(readFileSync(path.join(program, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    manifest.dependencies["@lubes/pulumi"] = `file:${path.join(work, packed.filename)}`;
    writeFileSync(path.join(program, "package.json"), JSON.stringify(manifest, null, 2));
    npm(["install", "--no-audit", "--no-fund", "--prefer-offline"], program);
    lubes = await exampleServer();
  }, LONG);
  afterAll(async () => {
    stack?.dispose();
    await lubes?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("holds the SDK, the provider core and the plugin entry, and nothing of lubes-server", () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(["package.json", "PulumiPlugin.yaml", "schema.json", "LICENSE", "CHANGELOG.md", "README.md", "dist/sdk/index.js", "dist/provider/dynamic.js", "dist/provider/plugin-main.js"]));
    expect(files.filter((f) => f.startsWith("dist/server") || f.startsWith("server/") || f.startsWith("test/"))).toEqual([]);
    const installed = JSON.parse(readFileSync(path.join(program, "node_modules", "@lubes", "pulumi", "package.json"), "utf8")) as { dependencies: Record<string, string>; peerDependencies: Record<string, string>; private?: boolean };
    expect(Object.keys(installed.dependencies).sort()).toEqual(["undici", "zod"]);
    expect(Object.keys(installed.peerDependencies)).toEqual(["@pulumi/pulumi"]);
    expect(installed.private).toBeUndefined();
    console.info(`tarball ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${files.length} files`);
  });

  it("type-checks the quickstart against the installed SDK with the program's own tsconfig", () => {
    const tsc = path.join(program, "node_modules", "typescript", "bin", "tsc");
    expect(() => execFileSync(process.execPath, [tsc, "--noEmit", "-p", program], { cwd: program, encoding: "utf8" })).not.toThrow();
  });

  it("runs the quickstart end to end through the engine harness: up, a preview with nothing to do, destroy", { timeout: LONG }, async () => {
    stack = harnessStack({
      folder: program, stack: "dev",
      config: { ...lubes.config, "lubes-quickstart:apiToken": "tok-tarball-secret" },
      secret: [...lubes.secret, "lubes-quickstart:apiToken"],
    });
    const up = await stack.up();
    expect(up.summary.create, up.text).toBe(11);
    const projectId = String((await stack.outputs())["projectId"]);
    const answer = await fetch(`${lubes.server.url}/projects/${projectId}/functions/hello/invoke?name=Ada`, { method: "POST", headers: { authorization: `Bearer ${lubes.token}` } });
    expect(await answer.json()).toMatchObject({ message: "Hello, Ada!" });
    expectNoChanges(await stack.preview());
    await stack.destroy();
    expect(await listOf(lubes.api, lubes.token, "/organizations")).toEqual([]);
  });

  it("starts the plugin from the installed package's folder, and manages a resource through it", { timeout: LONG }, async () => {
    const org = (await lubes.api.post("/organizations", { token: lubes.token, body: { name: "Through the plugin" } })).body as { id: string };
    const plugin = await startPlugin({ apiKey: lubes.config["lubes:apiKey"], apiUrl: lubes.server.url }, { folder: path.join(program, "node_modules", "@lubes", "pulumi") });
    try {
      expect(JSON.parse(await plugin.getSchema())).toMatchObject({ name: "lubes", version: rootPackage.version });
      const checked = await plugin.check("lubes:index:Project", undefined, { name: "Plugged In", organizationId: org.id });
      const created = await plugin.create("lubes:index:Project", checked.inputs);
      expect((await plugin.read("lubes:index:Project", created.id, {})).props).toMatchObject({ name: "Plugged In", organizationId: org.id });
      await plugin.delete("lubes:index:Project", created.id, created.outs);
    } finally {
      await plugin.stop();
    }
  });
});
