// The engine harness's own promises, with small programs: mistakes stop at preview, a preview of a new stack answers
// unknowns and calls nothing, a failure halfway through `up` leaves no orphan, and protect is honoured.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changes, exampleServer, listOf, type ExampleServer } from "../e2e/support";
import { harnessStack, type ExampleStack } from "./runner";

const LONG = 120_000;
const PULUMI_YAML = "name: harness-test\nruntime: nodejs\n";
const program = (body: string) => ({ "Pulumi.yaml": PULUMI_YAML, "index.ts": `import * as lubes from "@lubes/pulumi";\n${body}\n` });

describe("the engine harness", () => {
  let lubes: ExampleServer;
  const stacks: ExampleStack[] = [];
  const stackOf = (body: string) => {
    const stack = harnessStack({ files: program(body), stack: "test", config: lubes.config, secret: lubes.secret });
    stacks.push(stack);
    return stack;
  };
  const organizations = async () => (await listOf(lubes.api, lubes.token, "/organizations")).map((o) => String(o["name"]));
  const calls: string[] = [];

  beforeAll(async () => {
    lubes = await exampleServer();
    lubes.server.app.server.on("request", (request: { method: string; url: string }) => calls.push(`${request.method} ${request.url}`));
  });
  afterAll(async () => {
    for (const stack of stacks) stack.dispose();
    await lubes.close();
  });

  it("previews a new stack with unknowns where outputs are not known yet, and calls the API only to check the key", async () => {
    const stack = stackOf(`const org = new lubes.Organization("acme", { name: "Preview Co" });
const project = new lubes.Project("web", { organizationId: org.id });
export const orgName = org.name;
export const projectId = project.id;`);
    calls.length = 0;
    const preview = await stack.preview();
    expect(changes(preview)).toEqual(["create Organization::acme", "create Project::web"]);
    expect(preview.outputs).toEqual({ orgName: "Preview Co", projectId: "[unknown]" });
    expect(calls).toEqual(["GET /v1/auth/me"]);
    expect(await organizations()).toEqual([]);
  }, LONG);

  it("stops a preview with a wrong API key, saying where the key came from", async () => {
    const stack = harnessStack({ files: program(`new lubes.Organization("acme", { name: "Never" });`), stack: "test", config: { ...lubes.config, "lubes:apiKey": "lubes_sk_not_a_key" }, secret: lubes.secret });
    stacks.push(stack);
    await expect(stack.preview()).rejects.toThrow(/not a valid API key[\s\S]*the API key from lubes:apiKey was refused/);
    expect(await organizations()).toEqual([]);
  }, LONG);

  it("stops at preview on a mistake, naming the resource, the property and what is wrong", async () => {
    const stack = stackOf(`new lubes.Organization("acme", { name: "Acme", plan: "gold" as never });`);
    await expect(stack.preview()).rejects.toThrow(/Organization::acme: plan: .*"free".*"pro".*"team"/);
    await expect(stack.up()).rejects.toThrow(/plan/);
    expect(await organizations()).toEqual([]);
  }, LONG);

  it("keeps what it made when up fails halfway, so the next up makes only the rest (no orphan, no duplicate)", async () => {
    const broken = `const org = new lubes.Organization("acme", { name: "Halfway" });
const project = new lubes.Project("web", { organizationId: org.id });
new lubes.Function("api", { projectId: project.id, slug: "api", source: "export default (" });`;
    const stack = stackOf(broken);
    await expect(stack.up()).rejects.toThrow(/Function "api" was not deployed/);
    stack.edit("index.ts", `source: "export default ("`, `source: "export default async () => new Response('ok')"`);
    const up = await stack.up();
    expect(changes(up), up.text).toEqual(["create Function::api"]);
    expect((await organizations()).filter((name) => name === "Halfway")).toHaveLength(1);
    await stack.destroy();
  }, LONG);

  it.each(["the dynamic provider", "the plugin"])("ends an up whose failed create has dependents three links deep, naming the resource and the error (%s)", async (through) => {
    const options = through === "the plugin"
      ? `{ provider: new lubes.Provider("explicit", { apiUrl: ${JSON.stringify(lubes.config["lubes:apiUrl"])}, apiKey: ${JSON.stringify(lubes.config["lubes:apiKey"])} }) }`
      : "{}";
    const stack = stackOf(`const org = new lubes.Organization("acme", { name: "Chain Co" });
const project = new lubes.Project("web", { organizationId: org.id });
const opts: { provider?: lubes.Provider } = ${options};
const first = new lubes.Migration("first", { projectId: project.id, name: "001_broken", sql: "CREATE TABLE (" }, opts);
const second = new lubes.Migration("second", { projectId: project.id, name: "002_next", sql: "SELECT 1" }, { ...opts, dependsOn: [first] });
const branch = new lubes.Branch("feature", { projectId: project.id, name: "feature" }, { ...opts, dependsOn: [second] });
new lubes.EnvVar("flag", { projectId: project.id, key: "FLAG", value: "on" }, { ...opts, dependsOn: [branch] });`);
    await expect(stack.up()).rejects.toThrow(/Migration::first[\s\S]*syntax error/);
    await stack.destroy();
    expect((await organizations()).filter((name) => name === "Chain Co")).toEqual([]);
  }, LONG);

  it("refuses to delete a protected resource, and keeps it", async () => {
    const stack = stackOf(`new lubes.Organization("keep", { name: "Protected Co" }, { protect: true });`);
    await stack.up();
    stack.edit("index.ts", /new lubes[\s\S]*/, "export {};\n");
    await expect(stack.up()).rejects.toThrow(/Organization::keep is protected/);
    expect(await organizations()).toContain("Protected Co");
    expect((await stack.preview()).summary.delete).toBe(1);
  }, LONG);
});
