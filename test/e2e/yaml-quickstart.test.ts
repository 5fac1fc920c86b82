// examples/yaml-quickstart: every resource type and property it uses is in schema.json (what Pulumi YAML checks a
// program against), and its resources converge through the plugin, started as the engine starts it. The YAML is
// evaluated by a small stand-in for Pulumi YAML (`${resource.property}`, `${config}`, `fn::readFile`, dependency
// order), not by Pulumi YAML itself, which cannot run here.
import { readFileSync } from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PackageSchema } from "../../provider/schema";
import { startPlugin, type Plugin } from "../support/host";
import { exampleServer, listOf, type ExampleServer } from "./support";

const ROOT = path.resolve(__dirname, "../..");
const FOLDER = path.join(ROOT, "examples", "yaml-quickstart");
const schema = JSON.parse(readFileSync(path.join(ROOT, "schema.json"), "utf8")) as PackageSchema;

interface YamlProgram {
  packages?: Record<string, string>;
  config?: Record<string, { type: string; secret?: boolean }>;
  resources: Record<string, { type: string; properties?: Record<string, unknown> }>;
  outputs?: Record<string, string>;
}
const program = yaml.load(readFileSync(path.join(FOLDER, "Pulumi.yaml"), "utf8")) as YamlProgram;

const JSON_TYPES: Record<string, string> = { string: "string", boolean: "boolean", integer: "number", number: "number", array: "object", object: "object" };

describe("examples/yaml-quickstart against schema.json", () => {
  it("points its `packages` entry at the plugin's folder", () => {
    expect(program.packages?.["lubes"]).toBeDefined();
    expect(readFileSync(path.join(FOLDER, program.packages?.["lubes"] ?? "", "PulumiPlugin.yaml"), "utf8")).toMatch(/runtime: nodejs/);
  });

  it.each(Object.entries(program.resources))("%s: its type, every property and every required input are the schema's", (_name, resource) => {
    const spec = schema.resources[resource.type];
    expect(spec, `${resource.type} is not in schema.json`).toBeDefined();
    const properties = resource.properties ?? {};
    for (const [key, value] of Object.entries(properties)) {
      const property = spec?.inputProperties[key];
      expect(property, `${resource.type} has no input ${key}`).toBeDefined();
      // A literal must have the property's type; an interpolation or a function is resolved at run time.
      const literal = !(typeof value === "string" && value.includes("${")) && !(typeof value === "object" && value !== null && !Array.isArray(value));
      if (literal && property?.type) expect(typeof value, `${resource.type}.${key}`).toBe(JSON_TYPES[property.type]);
    }
    for (const required of spec?.requiredInputs ?? []) expect(properties, `${resource.type} needs ${required}`).toHaveProperty(required);
  });

  it("exports only outputs the schema declares", () => {
    for (const expression of Object.values(program.outputs ?? {})) {
      const [name, property] = /^\$\{(\w+)\.(\w+)\}$/.exec(expression)?.slice(1) ?? [];
      const type = program.resources[name ?? ""]?.type ?? "";
      if (property !== "id") expect(schema.resources[type]?.properties, expression).toHaveProperty(property ?? "");
    }
  });
});

describe("examples/yaml-quickstart through the plugin", () => {
  let lubes: ExampleServer;
  let plugin: Plugin;
  const made = new Map<string, { type: string; id: string; outs: Record<string, unknown> }>();

  beforeAll(async () => {
    lubes = await exampleServer();
    plugin = await startPlugin({ apiKey: lubes.config["lubes:apiKey"], apiUrl: lubes.server.url });
  });
  afterAll(async () => {
    await plugin?.stop();
    await lubes?.close();
  });

  it("creates what it declares, then destroys it in reverse order", { timeout: 120_000 }, async () => {
    const org = (await lubes.api.post("/organizations", { token: lubes.token, body: { name: "YAML" } })).body as { id: string };
    const config: Record<string, unknown> = { organizationId: org.id, apiToken: "tok-yaml" };
    const resolve = (value: unknown): unknown => {
      if (typeof value === "string") {
        const whole = /^\$\{([\w.]+)\}$/.exec(value);
        if (!whole) return value;
        const [name = "", property] = (whole[1] ?? "").split(".");
        if (property === undefined) return config[name];
        const resource = made.get(name);
        if (!resource) throw new Error(`${value} before ${name} was made`);
        return property === "id" ? resource.id : resource.outs[property];
      }
      if (Array.isArray(value)) return value.map(resolve);
      if (typeof value === "object" && value !== null) {
        const file = (value as Record<string, unknown>)["fn::readFile"];
        if (typeof file === "string") return readFileSync(path.join(FOLDER, file), "utf8");
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
      }
      return value;
    };
    const dependsOn = (properties: unknown): string[] => [...JSON.stringify(properties ?? {}).matchAll(/\$\{(\w+)\./g)].map((m) => m[1] ?? "");

    // Each resource once the ones it refers to are made, as the engine orders them.
    const order: string[] = [];
    while (order.length < Object.keys(program.resources).length) {
      const ready = Object.entries(program.resources).find(([name, r]) => !order.includes(name) && dependsOn(r.properties).every((d) => order.includes(d)));
      if (!ready) throw new Error("a dependency cycle in Pulumi.yaml");
      const [name, resource] = ready;
      const urn = `urn:pulumi:dev::lubes-yaml-quickstart::${resource.type}::${name}`;
      const checked = await plugin.check(urn, undefined, resolve(resource.properties) as Record<string, unknown>);
      expect(checked.failures, name).toEqual([]);
      const created = await plugin.create(urn, checked.inputs);
      made.set(name, { type: urn, id: created.id, outs: created.outs });
      order.push(name);
    }

    const projectId = made.get("project")?.id ?? "";
    const p = `/projects/${projectId}`;
    expect(await listOf(lubes.api, lubes.token, `${p}/env`)).toMatchObject([{ key: "API_TOKEN", sensitive: true }, { key: "GREETING", value: "Hello" }]);
    const welcome = await fetch(String(made.get("welcome")?.outs["url"]));
    expect(await welcome.text()).toBe("Welcome to Lubes, from Pulumi YAML.");
    const answer = await fetch(`${String(made.get("hello")?.outs["invokeUrl"])}?name=YAML`, { method: "POST", headers: { authorization: `Bearer ${lubes.token}` } });
    expect(await answer.json()).toEqual({ message: "Hello, YAML!" });

    for (const name of [...order].reverse()) {
      const resource = made.get(name);
      if (resource) await plugin.delete(resource.type, resource.id, resource.outs);
    }
    expect((await lubes.api.get(p, { token: lubes.token })).status).toBe(404);
  });
});
