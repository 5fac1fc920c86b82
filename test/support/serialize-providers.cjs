// Prints the serialized provider (`__provider`) of every SDK class as `pulumi up` stores it, keyed by type token.
// Run with node from a program folder (see program-folder.ts): compiled JavaScript, outside vitest's transform.
const { LubesResource, serializedProvider } = require("@lubes/pulumi/sdk/shim");
const sdk = require("@lubes/pulumi");

const texts = {};
for (const name of Object.keys(sdk).filter((n) => typeof sdk[n] === "function" && sdk[n].prototype instanceof LubesResource)) {
  texts[`lubes:index:${name}`] = serializedProvider(`lubes:index:${name}`);
}
process.stdout.write(JSON.stringify(texts));
