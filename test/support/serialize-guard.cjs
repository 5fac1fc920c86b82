// Serialization guard, run with node from a program folder whose node_modules holds @lubes/pulumi (compiled) and
// @pulumi/pulumi. Serializes the provider each SDK class passes to Pulumi, as `pulumi up` does, and prints a report.
// Plain JavaScript in a child process: under vitest's transform, packages would be inlined (DESIGN.md).
const CANARY = "lubes_sk_CANARY_must_never_reach_state";
process.env.LUBES_API_KEY = CANARY;
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const requireFromString = require("require-from-string");
const { LubesResource, providerFor } = require("@lubes/pulumi/sdk/shim");
const sdk = require("@lubes/pulumi");

async function main() {
  const report = [];
  for (const name of Object.keys(sdk).filter((n) => typeof sdk[n] === "function" && sdk[n].prototype instanceof LubesResource)) {
    const type = `lubes:index:${name}`;
    const provider = providerFor(type);
    const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    const requires = [...serialized.text.matchAll(/require\(["'`]([^"'`]+)["'`]\)/g)].map((m) => m[1]);
    const loaded = requireFromString(serialized.text, path.join(process.cwd(), "__provider.js"))[serialized.exportName]();
    // A diff through the loaded shim proves it reaches the provider core by package name (diff calls no API).
    const diff = await loaded.diff("guard", { plan: "free" }, { plan: "pro" });
    report.push({
      name,
      bytes: Buffer.byteLength(serialized.text),
      containsSecrets: serialized.containsSecrets,
      hasCanary: serialized.text.includes(CANARY),
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
