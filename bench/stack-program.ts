// The generated stack of the stack benchmarks (bench/stack.ts, bench/stack-scale.ts): one organization, and per project
// 30 variables, 2 chained migrations, a branch of the migrated main, 4 buckets, 10 objects and 2 functions; and what a
// server holding exactly that stack holds.
import type { Api } from "../test/support/server";

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

async function list(api: Api, token: string, path: string): Promise<Record<string, unknown>[]> {
  const res = await api.get(path, { token });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
  return res.body.data as Record<string, unknown>[];
}

/** What the server holds of the stack (organizations named "Bench" and what is in them), counted by kind. */
export async function stackCensus(api: Api, token: string): Promise<Record<string, number>> {
  const organizations = (await list(api, token, "/organizations?limit=100")).filter((o) => o["name"] === "Bench");
  const counts: Record<string, number> = { organizations: organizations.length, projects: 0, variables: 0, migrations: 0, branches: 0, buckets: 0, objects: 0, functions: 0, deploys: 0 };
  const add = (kind: string, n: number) => (counts[kind] = (counts[kind] ?? 0) + n);
  for (const organization of organizations) {
    for (const project of await list(api, token, `/projects?organization_id=${String(organization["id"])}&limit=100`)) {
      const base = `/projects/${String(project["id"])}`;
      add("projects", 1);
      add("variables", (await list(api, token, `${base}/env?limit=100`)).length);
      add("migrations", (await list(api, token, `${base}/db/migrations`)).filter((m) => m["status"] === "applied").length);
      add("branches", (await list(api, token, `${base}/db/branches`)).length - 1);
      add("buckets", (await list(api, token, `${base}/storage/buckets`)).length);
      add("objects", (await list(api, token, `${base}/storage/objects?limit=100`)).length);
      const functions = await list(api, token, `${base}/functions`);
      add("functions", functions.length);
      add("deploys", functions.reduce((sum, f) => sum + Number(f["live_version"] ?? 0), 0));
    }
  }
  return counts;
}

/** The census of a server holding exactly `stackProgram(projects)`: every function deployed once. */
export const expectedCensus = (projects: number): Record<string, number> => ({
  organizations: 1, projects, variables: 30 * projects, migrations: 2 * projects, branches: projects, buckets: 4 * projects, objects: 10 * projects, functions: 2 * projects, deploys: 2 * projects,
});
