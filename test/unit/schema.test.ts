// schema.json, the package schema `pulumi package add` and other languages' SDK generators read, is generated from the
// kinds' definitions; the committed copy must be what the definitions give today.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { kinds } from "../../provider/resources";
import { packageSchema } from "../../provider/schema";

const ROOT = path.resolve(__dirname, "../..");
const read = (file: string) => JSON.parse(readFileSync(path.join(ROOT, file), "utf8")) as Record<string, unknown>;

describe("schema.json", () => {
  it("is what the definitions generate (if not, run `npm run schema` and commit it)", () => {
    const { version } = read("package.json") as { version: string };
    expect(read("schema.json")).toEqual(packageSchema(version));
  });

  it("describes every kind, every input and output with a doc, and marks secrets and replacing inputs", () => {
    const schema = packageSchema("0.0.0");
    expect(Object.keys(schema.resources).sort()).toEqual(kinds.map((k) => k.type).sort());
    for (const kind of kinds) {
      const resource = schema.resources[kind.type];
      expect(resource?.description, kind.type).toContain(kind.description);
      for (const [name, property] of Object.entries({ ...resource?.inputProperties, ...resource?.properties })) {
        expect(property.description, `${kind.type}.${name}`).toBeTruthy();
      }
      for (const name of kind.secretOutputs) expect(resource?.properties[name]?.secret, `${kind.type}.${name}`).toBe(true);
      for (const name of kind.replaceOnChanges) expect(resource?.inputProperties[name]?.replaceOnChanges, `${kind.type}.${name}`).toBe(true);
    }
  });
});
