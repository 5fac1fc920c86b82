// Registers one resource of every SDK class under pulumi.runtime.setMocks (no engine, no API) and reports which of
// the properties the user left out still became outputs. Run with node from a program folder (see program-folder.ts).
const pulumi = require("@pulumi/pulumi");

async function main() {
  await pulumi.runtime.setMocks({
    // The mock answers what a provider would: the inputs, plus a value for every property the kind computes.
    newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, name: args.inputs.name ?? `${args.name}-auto`, slug: args.inputs.slug ?? `${args.name}-auto`, plan: args.inputs.plan ?? "free" } }),
    call: () => ({}),
  }, "guard", "dev", false);
  const lubes = require("@lubes/pulumi");
  const org = new lubes.Organization("acme", {});
  const project = new lubes.Project("web", { organizationId: org.id });
  const bucket = new lubes.Bucket("assets", { projectId: project.id });
  const fn = new lubes.Function("hello", { projectId: project.id, source: "export default () => new Response()" });
  const read = (output) => (pulumi.Output.isInstance(output) ? new Promise((resolve) => output.apply((v) => resolve(v))) : Promise.resolve("(not an output)"));
  const report = {
    orgName: await read(org.name),
    orgSlug: await read(org.slug),
    orgPlan: await read(org.plan),
    projectName: await read(project.name),
    bucketName: await read(bucket.name),
    functionSlug: await read(fn.slug),
  };
  process.stdout.write(JSON.stringify(report));
}

main().catch((error) => {
  process.stderr.write(String((error && error.stack) || error));
  process.exit(1);
});
