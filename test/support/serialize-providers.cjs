// Prints the serialized provider (`__provider`) of every SDK class as `pulumi up` makes it, keyed by type token.
// Run with node from a program folder (see program-folder.ts): compiled JavaScript, outside vitest's transform.
const pulumi = require("@pulumi/pulumi");
const { LubesResource, providerFor } = require("@lubes/pulumi/sdk/shim");
const sdk = require("@lubes/pulumi");

async function main() {
  const texts = {};
  for (const name of Object.keys(sdk).filter((n) => typeof sdk[n] === "function" && sdk[n].prototype instanceof LubesResource)) {
    const provider = providerFor(`lubes:index:${name}`);
    texts[`lubes:index:${name}`] = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
  }
  process.stdout.write(JSON.stringify(texts));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack || error));
  process.exit(1);
});
