// Benchmark: API calls and time of `refresh` as a project grows, through the engine harness (test/engine) on the
// embedded default. Two stacks: 1,000 variables in one project (issue 16's case: each read used to page through the
// whole list), and 100 each of the other kinds a project holds many of (buckets, objects, migrations, members) plus
// 10 branches. A kind that reads its resource in O(1) calls makes about one call per resource, whatever the count.
// Usage: npm run build && npm run bench:refresh
import { harnessStack } from "../test/engine/runner";
import { createKey, signUp, startTestServer } from "../test/support/server";

const VARIABLES = `import * as lubes from "@lubes/pulumi";
const org = new lubes.Organization("bench", { name: "Bench" });
const project = new lubes.Project("p", { organizationId: org.id, name: "bench" });
for (let e = 0; e < 1000; e++) new lubes.EnvVar(\`env\${e}\`, { projectId: project.id, key: \`VAR_\${e}\`, value: \`value \${e}\`, sensitive: e % 10 === 0 });
`;

const MIXED = `import * as lubes from "@lubes/pulumi";
const org = new lubes.Organization("bench", { name: "Bench" });
const project = new lubes.Project("p", { organizationId: org.id, name: "bench" });
const projectId = project.id;
const buckets = [];
for (let b = 0; b < 100; b++) buckets.push(new lubes.Bucket(\`b\${b}\`, { projectId, name: \`bucket-\${b}\`, forceDestroy: true }));
for (let o = 0; o < 100; o++) new lubes.StorageObject(\`o\${o}\`, { projectId, bucket: buckets[o]!.name, key: \`files/\${o}.txt\`, content: \`file \${o}\` });
for (let m = 0; m < 100; m++) new lubes.Migration(\`m\${m}\`, { projectId, name: \`\${String(m).padStart(3, "0")}_t\${m}\`, sql: \`CREATE TABLE t\${m} (id int)\` });
for (let u = 0; u < 100; u++) new lubes.OrganizationMember(\`u\${u}\`, { organizationId: org.id, email: \`member\${u}@example.com\`, role: "viewer" });
for (let r = 0; r < 10; r++) new lubes.Branch(\`r\${r}\`, { projectId, name: \`preview/pr-\${r}\` });
`;

async function measure(name: string, program: string, resources: number): Promise<string> {
  const server = await startTestServer("pglite");
  const owner = await signUp(server.api, "bench");
  const key = await createKey(server.api, owner.token, { name: "bench" });
  let calls = 0;
  server.app.server.on("request", () => (calls += 1));
  const stack = harnessStack({ files: { "Pulumi.yaml": "name: bench\nruntime: nodejs\n", "index.ts": program }, stack: "bench", config: { "lubes:apiUrl": server.url, "lubes:apiKey": key }, secret: ["lubes:apiKey"] });
  try {
    const up = await stack.up();
    if (up.summary["create"] !== resources) throw new Error(`${name}: up made ${JSON.stringify(up.summary)}\n${up.text}`);
    calls = 0;
    const started = performance.now();
    const refresh = await stack.refresh();
    const ms = performance.now() - started;
    if (refresh.summary["same"] !== resources) throw new Error(`${name}: refresh found ${JSON.stringify(refresh.summary)}`);
    return `| ${name} | ${resources} | ${calls} | ${(calls / resources).toFixed(2)} | ${(ms / 1000).toFixed(1)} s |`;
  } finally {
    await stack.destroy().catch(() => undefined);
    stack.dispose();
    await server.close();
  }
}

async function main(): Promise<void> {
  const rows = [await measure("1,000 variables in one project", VARIABLES, 1002), await measure("100 buckets, objects, migrations, members; 10 branches", MIXED, 412)];
  console.log("| stack | resources | refresh calls | calls per resource | refresh time |");
  console.log("|---|---:|---:|---:|---:|");
  for (const row of rows) console.log(row);
}

void main();
