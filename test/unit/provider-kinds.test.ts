// Each kind's create, read, update and delete against undici's MockAgent: exactly which calls an operation makes,
// with which bodies, and that a 404 reads as gone and deletes as done. (The same kinds run against a real
// lubes-server in test/server/provider-kinds.test.ts and through the real host in host-lifecycle.test.ts.)
import { createHash } from "node:crypto";
import { MockAgent } from "undici";
import { describe, expect, it } from "vitest";
import { LubesClient } from "../../provider/client";
import { branch, bucket, databaseCopy, deployment, envVar, lubesFunction, migration, organization, organizationMember, productionDeployment, project, signedUrl, storageObject, type OperationContext, type ResourceKind } from "../../provider/resources";

const ORIGIN = "https://api.lubes.test";
const T = "2024-01-15T10:30:00.000Z";
const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const md5 = (text: string) => createHash("md5").update(text).digest("hex");
const page = (items: unknown[]) => ({ data: items, pagination: { total: items.length, limit: 100, offset: 0, has_more: false } });

const api = {
  org: { id: "org_1", name: "Acme", slug: "acme", plan: "free", created_at: T, updated_at: T },
  project: { id: "proj_1", name: "Web", slug: "web", organization_id: "org_1", current_deployment_id: null, created_at: T, updated_at: T },
  env: { key: "API_URL", value: "one", value_sha256: sha("one"), value_digest: null, sensitive: false, environments: ["development", "preview", "production"], created_at: T, updated_at: T },
  bucket: { id: "bkt_1", project_id: "proj_1", name: "assets", public: false, created_at: T },
  member: { id: "mem_1", organization_id: "org_1", user_id: null, email: "ada@example.com", role: "developer", status: "pending", created_at: T },
  branch: { id: "br_1", project_id: "proj_1", name: "dev", parent_id: "br_0", default: false, created_at: T },
  migration: { id: "mig_1", project_id: "proj_1", branch_id: "br_0", name: "001", checksum: sha("CREATE TABLE t (x int)"), sql: "CREATE TABLE t (x int)", status: "applied", error: null, applied_at: T, created_at: T },
  fn: { id: "fn_1", project_id: "proj_1", slug: "hello", name: "hello", runtime: "nodejs20", source: "export default () => new Response('1')", source_sha256: sha("export default () => new Response('1')"), timeout_ms: 10000, memory_mb: 128, live_version: null, created_at: T, updated_at: T },
  version: (n: number) => ({ function_id: "fn_1", slug: "hello", version: n, checksum: "c", deployed_at: T, live: true }),
  object: { key: "assets/a.txt", url: `${ORIGIN}/v1/projects/proj_1/storage/objects/assets/a.txt`, size: 3, content_type: "text/plain" },
  deployment: (status: string) => ({ id: "dep_1", project_id: "proj_1", environment: "production", status, ref: "main", commit: null, error: null, rollback_of: null, current: status === "ready", functions: [], env: [], created_at: T, ready_at: status === "ready" ? T : null }),
};

interface Call {
  method: string;
  path: string;
  status?: number;
  reply: unknown;
  /** The JSON body the call must carry. */
  body?: unknown;
}

function mocked(calls: Call[]): { ctx: OperationContext; made: () => string[]; done: () => void } {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const pool = agent.get(ORIGIN);
  const made: string[] = [];
  for (const call of calls) {
    pool.intercept({ method: call.method, path: (p: string) => p.split("?")[0] === `/v1${call.path}` }).reply((options) => {
      made.push(`${call.method} ${call.path}`);
      if (call.body !== undefined) expect(JSON.parse(typeof options.body === "string" ? options.body : "")).toEqual(call.body);
      return { statusCode: call.status ?? 200, data: JSON.stringify(call.reply), responseOptions: { headers: { "content-type": "application/json" } } };
    });
  }
  const client = new LubesClient({ apiUrl: `${ORIGIN}/v1`, apiKey: "lubes_sk_test" }, { dispatcher: agent, sleep: () => Promise.resolve(), maxRetries: 0 });
  return { ctx: { client, log: () => undefined }, made: () => made, done: () => agent.assertNoPendingInterceptors() };
}

const notFound = { error: { code: "not_found", message: "gone" } };
const queried = (rows: Record<string, unknown>[]) => ({ rows, row_count: rows.length, execution_time_ms: 1, fields: [] });

interface Table {
  kind: ResourceKind<any, any>;
  inputs: Record<string, unknown>;
  create: Call[];
  read: Call[];
  update: { inputs: Record<string, unknown>; calls: Call[] };
  remove: Call[];
  /** How the API says the resource is gone when read. */
  gone: Call[];
}

const tables: Table[] = [
  {
    kind: organization,
    inputs: { name: "Acme" },
    create: [{ method: "POST", path: "/organizations", body: { name: "Acme", plan: "free" }, reply: api.org }],
    read: [{ method: "GET", path: "/organizations/org_1", reply: api.org }],
    update: { inputs: { name: "Acme Inc", plan: "pro" }, calls: [{ method: "PATCH", path: "/organizations/org_1", body: { name: "Acme Inc", plan: "pro" }, reply: { ...api.org, name: "Acme Inc", plan: "pro" } }] },
    remove: [{ method: "DELETE", path: "/organizations/org_1", status: 204, reply: "" }],
    gone: [{ method: "GET", path: "/organizations/org_1", status: 404, reply: notFound }],
  },
  {
    kind: project,
    inputs: { name: "Web", organizationId: "org_1" },
    create: [{ method: "POST", path: "/projects", body: { name: "Web", organization_id: "org_1" }, reply: api.project }],
    read: [{ method: "GET", path: "/projects/proj_1", reply: api.project }],
    update: { inputs: { name: "Web App", organizationId: "org_1" }, calls: [{ method: "PATCH", path: "/projects/proj_1", body: { name: "Web App" }, reply: { ...api.project, name: "Web App" } }] },
    remove: [{ method: "DELETE", path: "/projects/proj_1", status: 204, reply: "" }],
    gone: [{ method: "GET", path: "/projects/proj_1", status: 404, reply: notFound }],
  },
  {
    kind: envVar,
    inputs: { projectId: "proj_1", key: "API_URL", value: "one" },
    create: [{ method: "POST", path: "/projects/proj_1/env", body: { key: "API_URL", value: "one", sensitive: false, environments: ["development", "preview", "production"] }, reply: api.env }],
    read: [{ method: "GET", path: "/projects/proj_1/env/API_URL", reply: api.env }],
    update: { inputs: { projectId: "proj_1", key: "API_URL", value: "two" }, calls: [{ method: "POST", path: "/projects/proj_1/env", body: { key: "API_URL", value: "two", sensitive: false, environments: ["development", "preview", "production"] }, reply: { ...api.env, value: "two", value_sha256: sha("two") } }] },
    remove: [{ method: "DELETE", path: "/projects/proj_1/env/API_URL", status: 204, reply: "" }],
    gone: [{ method: "GET", path: "/projects/proj_1/env/API_URL", status: 404, reply: notFound }],
  },
  {
    kind: bucket,
    inputs: { projectId: "proj_1", name: "assets" },
    create: [{ method: "POST", path: "/projects/proj_1/storage/buckets", body: { name: "assets", public: false }, reply: api.bucket }],
    read: [{ method: "GET", path: "/projects/proj_1/storage/buckets/assets", reply: api.bucket }],
    update: { inputs: { projectId: "proj_1", name: "assets", public: true }, calls: [{ method: "PATCH", path: "/projects/proj_1/storage/buckets/assets", body: { public: true }, reply: { ...api.bucket, public: true } }] },
    remove: [{ method: "DELETE", path: "/projects/proj_1/storage/buckets/assets", status: 204, reply: "" }],
    gone: [{ method: "GET", path: "/projects/proj_1/storage/buckets/assets", status: 404, reply: notFound }],
  },
  {
    kind: organizationMember,
    inputs: { organizationId: "org_1", email: "ada@example.com" },
    create: [{ method: "POST", path: "/organizations/org_1/members", body: { email: "ada@example.com", role: "developer" }, reply: api.member }],
    read: [{ method: "GET", path: "/organizations/org_1/members/mem_1", reply: api.member }],
    update: { inputs: { organizationId: "org_1", email: "ada@example.com", role: "admin" }, calls: [{ method: "PATCH", path: "/organizations/org_1/members/mem_1", body: { role: "admin" }, reply: { ...api.member, role: "admin" } }] },
    remove: [{ method: "DELETE", path: "/organizations/org_1/members/mem_1", status: 204, reply: "" }],
    gone: [{ method: "GET", path: "/organizations/org_1/members/mem_1", status: 404, reply: notFound }],
  },
  {
    kind: branch,
    inputs: { projectId: "proj_1", name: "dev" },
    create: [{ method: "POST", path: "/projects/proj_1/db/branches", body: { name: "dev", parent: "main" }, reply: api.branch }],
    read: [{ method: "GET", path: "/projects/proj_1/db/branches/dev", reply: api.branch }],
    update: { inputs: { projectId: "proj_1", name: "dev" }, calls: [] },
    remove: [{ method: "DELETE", path: "/projects/proj_1/db/branches/br_1", status: 204, reply: "" }],
    gone: [{ method: "GET", path: "/projects/proj_1/db/branches/dev", status: 404, reply: notFound }],
  },
  {
    kind: migration,
    inputs: { projectId: "proj_1", name: "001", sql: "CREATE TABLE t (x int)", down: "DROP TABLE t" },
    create: [{ method: "POST", path: "/projects/proj_1/db/migrations", status: 201, body: { name: "001", sql: "CREATE TABLE t (x int)", branch: "main" }, reply: api.migration }],
    read: [{ method: "GET", path: "/projects/proj_1/db/migrations/001", reply: api.migration }],
    update: { inputs: { projectId: "proj_1", name: "001", sql: "CREATE TABLE t (x int)", down: "DROP TABLE IF EXISTS t" }, calls: [] },
    remove: [{ method: "POST", path: "/projects/proj_1/db/migrations/001/revert", status: 204, body: { sql: "DROP TABLE IF EXISTS t", branch: "main" }, reply: "" }],
    gone: [{ method: "GET", path: "/projects/proj_1/db/migrations/001", status: 404, reply: notFound }],
  },
  {
    kind: lubesFunction,
    inputs: { projectId: "proj_1", slug: "hello", source: api.fn.source },
    create: [
      { method: "POST", path: "/projects/proj_1/functions", body: { slug: "hello", source: api.fn.source, runtime: "nodejs20", timeout_ms: 10000, memory_mb: 128 }, reply: api.fn },
      { method: "POST", path: "/projects/proj_1/functions/hello/deploy", reply: api.version(1) },
    ],
    read: [{ method: "GET", path: "/projects/proj_1/functions/hello", reply: { ...api.fn, live_version: 1 } }],
    update: {
      inputs: { projectId: "proj_1", slug: "hello", source: "export default () => new Response('2')" },
      calls: [
        { method: "PATCH", path: "/projects/proj_1/functions/hello", body: { source: "export default () => new Response('2')", timeout_ms: 10000, memory_mb: 128 }, reply: { ...api.fn, source: "export default () => new Response('2')", source_sha256: sha("export default () => new Response('2')"), live_version: 1 } },
        { method: "POST", path: "/projects/proj_1/functions/hello/deploy", reply: api.version(2) },
      ],
    },
    remove: [{ method: "DELETE", path: "/projects/proj_1/functions/hello", status: 204, reply: "" }],
    gone: [{ method: "GET", path: "/projects/proj_1/functions/hello", status: 404, reply: notFound }],
  },
  {
    kind: storageObject,
    inputs: { projectId: "proj_1", bucket: "assets", key: "a.txt", content: "abc" },
    create: [{ method: "PUT", path: "/projects/proj_1/storage/objects/assets/a.txt", reply: api.object }],
    read: [{ method: "GET", path: "/projects/proj_1/storage/objects", reply: page([{ ...api.object, bucket: "assets", name: "a.txt", etag: `"${md5("abc")}"`, created_at: T, updated_at: T }]) }],
    update: { inputs: { projectId: "proj_1", bucket: "assets", key: "a.txt", content: "abcd" }, calls: [{ method: "PUT", path: "/projects/proj_1/storage/objects/assets/a.txt", reply: { ...api.object, size: 4 } }] },
    remove: [{ method: "DELETE", path: "/projects/proj_1/storage/objects/assets/a.txt", status: 204, reply: "" }],
    gone: [{ method: "GET", path: "/projects/proj_1/storage/objects", reply: page([]) }],
  },
  {
    kind: signedUrl,
    inputs: { projectId: "proj_1", bucket: "assets", key: "a.txt" },
    create: [{ method: "POST", path: "/projects/proj_1/storage/sign", body: { bucket: "assets", key: "a.txt", method: "GET", expires_in: 3600 }, reply: { url: `${ORIGIN}/v1/projects/proj_1/storage/objects/assets/a.txt?expires=1&signature=s`, method: "GET", expires_at: "2999-01-01T00:00:00.000Z" } }],
    read: [{ method: "GET", path: "/projects/proj_1/storage/objects", reply: page([{ ...api.object, bucket: "assets", name: "a.txt", etag: `"${md5("abc")}"`, created_at: T, updated_at: T }]) }],
    update: { inputs: { projectId: "proj_1", bucket: "assets", key: "a.txt", method: "GET" }, calls: [] },
    remove: [],
    gone: [{ method: "GET", path: "/projects/proj_1/storage/objects", reply: page([]) }],
  },
  {
    kind: deployment,
    inputs: { projectId: "proj_1", ref: "main" },
    create: [
      { method: "POST", path: "/projects/proj_1/deployments", body: { environment: "production", ref: "main" }, reply: api.deployment("queued") },
      { method: "GET", path: "/projects/proj_1/deployments/dep_1", reply: api.deployment("building") },
      { method: "GET", path: "/projects/proj_1/deployments/dep_1", reply: api.deployment("ready") },
    ],
    read: [{ method: "GET", path: "/projects/proj_1/deployments/dep_1", reply: api.deployment("ready") }],
    update: { inputs: { projectId: "proj_1", ref: "main", waitTimeoutSeconds: 60 }, calls: [] },
    remove: [],
    gone: [{ method: "GET", path: "/projects/proj_1/deployments/dep_1", status: 404, reply: notFound }],
  },
  {
    kind: productionDeployment,
    inputs: { projectId: "proj_1", deploymentId: "dep_1" },
    create: [
      { method: "GET", path: "/projects/proj_1", reply: { ...api.project, current_deployment_id: "dep_2" } },
      { method: "POST", path: "/projects/proj_1/deployments/dep_1/rollback", reply: { ...api.deployment("ready"), id: "dep_3", rollback_of: "dep_1" } },
    ],
    read: [{ method: "GET", path: "/projects/proj_1", reply: { ...api.project, current_deployment_id: "dep_3" } }],
    update: { inputs: { projectId: "proj_1", deploymentId: "dep_2" }, calls: [
      { method: "GET", path: "/projects/proj_1", reply: { ...api.project, current_deployment_id: "dep_3" } },
      { method: "POST", path: "/projects/proj_1/deployments/dep_2/rollback", reply: { ...api.deployment("ready"), id: "dep_4", rollback_of: "dep_2" } },
    ] },
    remove: [],
    gone: [{ method: "GET", path: "/projects/proj_1", status: 404, reply: notFound }],
  },
  {
    kind: databaseCopy,
    inputs: { projectId: "proj_1", sourceProjectId: "proj_2" },
    create: [
      { method: "POST", path: "/projects/proj_2/db/query", reply: queried([{ name: "public.items", quoted: "public.items", columns: ["id", "name"], primary_key: ["id"], keyed: true, references: [] }]) },
      { method: "POST", path: "/projects/proj_1/db/query", reply: queried([{ name: "public.items", quoted: "public.items", columns: ["id", "name"], primary_key: ["id"], keyed: true, references: [] }]) },
      { method: "POST", path: "/projects/proj_2/db/query", body: { query: "SELECT count(*) AS n FROM public.items", params: [], branch: "main" }, reply: queried([{ n: "2" }]) },
      { method: "POST", path: "/projects/proj_2/db/query", body: { query: expect.stringContaining('ORDER BY src."id" LIMIT $1'), params: [2], branch: "main" }, reply: queried([{ r: '{"id": 1, "name": "a"}' }, { r: '{"id": 2, "name": "b"}' }]) },
      {
        method: "POST", path: "/projects/proj_1/db/query",
        body: { query: expect.stringMatching(/^INSERT INTO public\.items \("id", "name"\) OVERRIDING SYSTEM VALUE .* ON CONFLICT DO NOTHING/), params: ['[{"id": 1, "name": "a"},{"id": 2, "name": "b"}]'], branch: "main" },
        reply: queried([{ "?column?": 1 }, { "?column?": 1 }]),
      },
      { method: "POST", path: "/projects/proj_1/db/query", reply: queried([{ column: "id", sequence: "public.items_id_seq" }]) },
      { method: "POST", path: "/projects/proj_1/db/query", body: { query: expect.stringContaining("setval"), params: ["public.items_id_seq"], branch: "main" }, reply: queried([{ setval: "2" }]) },
    ],
    read: [{ method: "GET", path: "/projects/proj_1", reply: api.project }],
    update: { inputs: { projectId: "proj_1", sourceProjectId: "proj_2", rowLimit: 10_000 }, calls: [] },
    remove: [],
    gone: [{ method: "GET", path: "/projects/proj_1", status: 404, reply: notFound }],
  },
];

describe.each(tables)("$kind.type against MockAgent", (table) => {
  const inputsOf = (raw: Record<string, unknown>) => {
    const checked = table.kind.check(raw);
    expect(checked.failures).toEqual([]);
    return checked.inputs;
  };

  it("create, read, update and delete make exactly the expected calls; diff makes none", async () => {
    const calls = [...table.create, ...table.read, ...table.update.calls, ...table.remove];
    const { ctx, made, done } = mocked(calls);
    const inputs = inputsOf(table.inputs);
    const created = await table.kind.create(ctx, inputs);
    expect(created.outs.stateVersion).toBe(1);
    expect(table.kind.diff(created.id, created.outs, inputs)).toEqual({ changes: false, replaces: [] });
    const read = await table.kind.read(ctx, created.id, created.outs);
    expect(read?.id).toBe(created.id);
    const updated = await table.kind.update(ctx, created.id, read?.outs, inputsOf(table.update.inputs));
    expect(table.kind.diff(created.id, updated, inputsOf(table.update.inputs)).changes).toBe(false);
    await table.kind.delete(ctx, created.id, updated);
    expect(made()).toEqual(calls.map((c) => `${c.method} ${c.path}`));
    done();
  });

  it("reads a resource the API no longer has as gone, and deletes it as done", async () => {
    const removeGone = table.remove.map((c) => ({ method: c.method, path: c.path, status: 404, reply: notFound }));
    const { ctx, done } = mocked([...table.create, ...table.gone, ...removeGone]);
    const created = await table.kind.create(ctx, inputsOf(table.inputs));
    const read = await table.kind.read(ctx, created.id, created.outs);
    expect(read).toBeUndefined();
    await table.kind.delete(ctx, created.id, created.outs);
    done();
  });
});

it("covers every registered kind", async () => {
  const { kinds } = await import("../../provider/resources");
  expect(new Set(tables.map((t) => t.kind.type))).toEqual(new Set(kinds.map((k) => k.type)));
});

describe("every kind's diff, derived from its definition", () => {
  it.each(tables.map((t) => [t.kind.type, t.kind] as const))("%s: a change of any input shows, but for the inputs the kind names with a reason", (_type, kind) => {
    const inputs = Object.keys(kind.inputs.shape);
    expect(inputs.length).toBeGreaterThan(0);
    const notDiffed = new Set(Object.keys(kind.notDiffed ?? {}));
    for (const key of inputs) {
      const result = kind.diff("id", { [key]: "before" }, { [key]: "after" });
      expect(result.changes, key).toBe(!notDiffed.has(key));
      expect(result.replaces, key).toEqual(result.changes && kind.replaceOnChanges.includes(key) ? [key] : []);
    }
  });
});
