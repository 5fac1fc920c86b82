// The generated stack of the stack benchmarks (bench/stack.ts, bench/stack-scale.ts): one organization, and per project
// 30 variables, 2 chained migrations, a branch of the migrated main, 4 buckets, 10 objects and 2 functions.

/** Resources per project, the project included. */
export const RESOURCES_PER_PROJECT = 1 + 30 + 2 + 1 + 4 + 10 + 2;

/**
 * With `secretConfig`, each project's VAR_0 is sensitive and holds the stack's secret config value of that name (the
 * chaos test plants a canary there, and looks for it in plain text afterwards).
 */
export const stackProgram = (projects: number, options: { secretConfig?: string } = {}): string => `import * as pulumi from "@pulumi/pulumi";
import * as lubes from "@lubes/pulumi";
const org = new lubes.Organization("bench", { name: "Bench" });
const secret = ${options.secretConfig ? `new pulumi.Config().requireSecret(${JSON.stringify(options.secretConfig)})` : "undefined"};
for (let p = 0; p < ${projects}; p++) {
  const project = new lubes.Project(\`p\${p}\`, { organizationId: org.id, name: \`bench-\${p}\` });
  const projectId = project.id;
  for (let e = 0; e < 30; e++) {
    const value = e === 0 && secret ? { value: secret, sensitive: true } : { value: \`value \${p}.\${e}\` };
    new lubes.EnvVar(\`p\${p}-env\${e}\`, { projectId, key: \`VAR_\${e}\`, ...value });
  }
  const first = new lubes.Migration(\`p\${p}-m1\`, { projectId, name: "001_items", sql: "CREATE TABLE items (id bigserial PRIMARY KEY, name text)" });
  const second = new lubes.Migration(\`p\${p}-m2\`, { projectId, name: "002_tags", sql: "CREATE TABLE tags (id bigserial PRIMARY KEY)" }, { dependsOn: [first] });
  new lubes.Branch(\`p\${p}-dev\`, { projectId, name: "dev" }, { dependsOn: [second] });
  const buckets = [0, 1, 2, 3].map((b) => new lubes.Bucket(\`p\${p}-b\${b}\`, { projectId, name: \`bucket-\${b}\`, forceDestroy: true }));
  for (let o = 0; o < 10; o++) new lubes.StorageObject(\`p\${p}-o\${o}\`, { projectId, bucket: buckets[o % 4]!.name, key: \`files/\${o}.txt\`, content: \`file \${o} of project \${p}\` });
  for (let f = 0; f < 2; f++) new lubes.Function(\`p\${p}-f\${f}\`, { projectId, slug: \`fn-\${f}\`, source: \`export default async () => new Response("fn \${f}")\` });
}
`;
