// Benchmark: the provider. In one run, against a real lubes-server:
//  1. API calls per operation of every kind (check and diff must make none);
//  2. time per operation through the real dynamic-provider host (gRPC) against the raw HTTP calls it makes.
// Usage: npm run build && npm run bench:provider
import { rmSync } from "node:fs";
import { Pool } from "undici";
import { LubesClient, type CallRecord } from "../provider/client";
import { kinds, type OperationContext } from "../provider/resources";
import { startHost, serializedProviders } from "../test/support/host";
import { fixtureOn, lifecycles } from "../test/support/lifecycles";
import { programFolder } from "../test/support/program-folder";
import { startTestServer } from "../test/support/server";

const ROUNDS = 200;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function main(): Promise<void> {
  const server = await startTestServer("pglite");
  const { fixture, key } = await fixtureOn(server);

  // 1. Calls per operation, through the provider core with a counting client.
  let calls: CallRecord[] = [];
  const ctx: OperationContext = { client: new LubesClient({ apiUrl: server.url, apiKey: key }, { onCall: (c) => calls.push(c) }), log: () => undefined };
  const count = async (fn: () => unknown) => {
    calls = [];
    await fn();
    return calls.length;
  };
  const rows: string[] = [];
  for (const life of lifecycles) {
    const kind = life.kind;
    let inputs: unknown;
    const check = await count(() => (inputs = kind.check(life.inputs(fixture)).inputs));
    let created: { id: string; outs: object } = { id: "", outs: {} };
    const create = await count(async () => (created = await kind.create(ctx, inputs)));
    const diff = await count(() => kind.diff(created.id, created.outs, inputs));
    const read = await count(() => kind.read(ctx, created.id, created.outs));
    const updateInputs = kind.check(life.update(fixture)).inputs as object;
    let updated: object = {};
    const update = await count(async () => (updated = await kind.update(ctx, created.id, created.outs, updateInputs)));
    const remove = await count(() => kind.delete(ctx, created.id, updated));
    rows.push(`| ${kind.type.split(":")[2] ?? ""} | ${check} | ${diff} | ${create} | ${read} | ${update} | ${remove} |`);
  }
  const covered = new Set(lifecycles.map((l) => l.kind.type));
  const notMeasured = kinds.filter((k) => !covered.has(k.type)).map((k) => k.type.split(":")[2]).join(", ");

  // 2. Through the host against raw HTTP: reading a project, and updating an environment variable.
  const folder = programFolder();
  const host = await startHost(folder, { "lubes:apiKey": key, "lubes:apiUrl": server.url }, serializedProviders(folder));
  const http = new Pool(new URL(server.url).origin, { connections: 1 });
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  const project = await host.create("lubes:index:Project", (await host.check("lubes:index:Project", undefined, { name: "Timed", organizationId: fixture.orgId })).inputs);
  const envInputs = (await host.check("lubes:index:EnvVar", undefined, { projectId: fixture.projectId, key: "TIMED", value: "a" })).inputs;
  const env = await host.create("lubes:index:EnvVar", envInputs);
  const timed = async (fn: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 20; i++) await fn(i);
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const started = performance.now();
      await fn(i);
      times.push(performance.now() - started);
    }
    return median(times);
  };
  const hostRead = await timed(() => host.read("lubes:index:Project", project.id, project.outs));
  const coreClient = new LubesClient({ apiUrl: server.url, apiKey: key });
  const coreRead = await timed(() => kinds.find((k) => k.type === "lubes:index:Project")?.read({ client: coreClient, log: () => undefined }, project.id, project.outs) ?? Promise.resolve());
  const rawRead = await timed(async () => (await http.request({ method: "GET", path: `/v1/projects/${project.id}`, headers })).body.json());
  const hostUpdate = await timed((i) => host.update("lubes:index:EnvVar", env.id, env.outs, { ...envInputs, value: `v${i}` }));
  const rawUpdate = await timed(async (i) => (await http.request({ method: "POST", path: `/v1/projects/${fixture.projectId}/env`, headers, body: JSON.stringify({ key: "TIMED", value: `r${i}` }) })).body.json());

  await host.stop();
  await http.close();
  rmSync(folder, { recursive: true, force: true });
  await server.close();

  process.stdout.write([
    "API calls per operation (provider core, counting every HTTP attempt):",
    "",
    "| kind | check | diff | create | read | update | delete |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `Not in this table (their flows differ; see the note): ${notMeasured}.`,
    "",
    `Time per operation, median of ${ROUNDS} after 20 warm-up, one connection:`,
    "",
    "| operation | through the host (gRPC → shim → core → HTTP) | raw HTTP | overhead |",
    "|---|---:|---:|---:|",
    `| read Project | ${hostRead.toFixed(2)} ms | ${rawRead.toFixed(2)} ms | ${(((hostRead - rawRead) / rawRead) * 100).toFixed(0)}% |`,
    `| read Project, provider core only (no host, no gRPC) | ${coreRead.toFixed(2)} ms | ${rawRead.toFixed(2)} ms | ${(((coreRead - rawRead) / rawRead) * 100).toFixed(0)}% |`,
    `| update EnvVar | ${hostUpdate.toFixed(2)} ms | ${rawUpdate.toFixed(2)} ms | ${(((hostUpdate - rawUpdate) / rawUpdate) * 100).toFixed(0)}% |`,
  ].join("\n") + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
