// Serialization guard, run with node from a program folder whose node_modules holds @lubes/pulumi (compiled) and
// @pulumi/pulumi. Takes the `__provider` each SDK class passes to Pulumi, loads it as the dynamic-provider host does,
// compares it with what Pulumi's own serializer makes of the shim, and prints a report.
// Plain JavaScript in a child process: under vitest's transform, packages would be inlined (DESIGN.md).
const CANARY = "lubes_sk_CANARY_must_never_reach_state";
process.env.LUBES_API_KEY = CANARY;
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const requireFromString = require("require-from-string");
const { LubesResource, providerFor, serializedProvider } = require("@lubes/pulumi/sdk/shim");
const sdk = require("@lubes/pulumi");

async function main() {
  const report = [];
  for (const name of Object.keys(sdk).filter((n) => typeof sdk[n] === "function" && sdk[n].prototype instanceof LubesResource)) {
    const type = `lubes:index:${name}`;
    const text = serializedProvider(type);
    const provider = providerFor(type);
    const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    const requires = [...text.matchAll(/require\(["'`]([^"'`]+)["'`]\)/g)].map((m) => m[1]);
    // As the dynamic-provider host loads it.
    const loaded = requireFromString(text, path.join(process.cwd(), "__provider.js")).handler();
    // A diff through the loaded shim proves it reaches the provider core by package name (diff calls no API).
    const diff = await loaded.diff("guard", { plan: "free" }, { plan: "pro" });
    report.push({
      name,
      bytes: Buffer.byteLength(text),
      sameAsPulumi: text === serialized.text,
      containsSecrets: serialized.containsSecrets,
      hasCanary: text.includes(CANARY),
      requires: [...new Set(requires)],
      methods: ["check", "diff", "create", "read", "update", "delete", "configure"].filter((m) => typeof loaded[m] === "function"),
      diffChanges: diff.changes,
    });
  }
  process.stdout.write(JSON.stringify(report));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack || error));
  process.exit(1);
});
