// A generated stack of every kind (an organization, and per project variables, chained migrations, a branch, buckets,
// objects and functions: 101 resources) through the engine harness while the API misbehaves at random, switched on
// the running server with PUT /v1/admin/faults: answers 503 and 502, connections reset before anything runs or cut as
// it runs, and work that commits and then loses its answer. The stack must converge in one `up` and the server then
// hold exactly what the program declares (no duplicate from a retried create, no orphan, every function deployed
// once); a second `up` changes nothing and `destroy` leaves nothing. A larger run, with 429s, is bench/chaos.ts.
import { afterAll, beforeAll, expect, it } from "vitest";
import { RESOURCES_PER_PROJECT, stackProgram } from "../../bench/stack-program";
import { harnessStack, type ExampleStack } from "../engine/runner";
import { setFaults } from "../support/server";
import { expectNoChanges, exampleServer, listOf, type ExampleServer } from "./support";

const PROJECTS = 2;
const RESOURCES = 1 + PROJECTS * RESOURCES_PER_PROJECT;
const FAULTS = "fail=0.08,bad_gateway=0.04,reset=0.02,cut=0.02,drop=0.03";
const LONG = 600_000;

let lubes: ExampleServer;
let stack: ExampleStack;
/** Requests the server received, and those it answered 5xx or never answered (reset, cut, dropped). */
const seen = { requests: 0, failed: 0, unanswered: 0 };

beforeAll(async () => {
  lubes = await exampleServer({ faults: {} });
  lubes.server.app.server.on("request", (request, response) => {
    seen.requests += 1;
    response.on("close", () => {
      // A reset, a cut or a dropped answer closes the connection under the response.
      if (request.socket.destroyed) seen.unanswered += 1;
      else if (response.statusCode >= 500) seen.failed += 1;
    });
  });
  stack = harnessStack({ files: { "Pulumi.yaml": "name: chaos\nruntime: nodejs\n", "index.ts": stackProgram(PROJECTS) }, stack: "chaos", config: lubes.config, secret: lubes.secret });
});
afterAll(async () => {
  stack.dispose();
  await lubes.close();
});

const withFaults = async <T>(run: () => Promise<T>): Promise<T> => {
  await setFaults(lubes.api, FAULTS);
  try {
    return await run();
  } finally {
    await setFaults(lubes.api, "off");
  }
};

it("converges in one up through random faults, holding exactly what the program declares; a second up changes nothing; destroy leaves nothing", async () => {
  const up = await withFaults(() => stack.up());
  expect(up.summary.create, up.text).toBe(RESOURCES);
  // The faults struck: retries made the stack converge, not luck.
  expect(seen.failed + seen.unanswered).toBeGreaterThan(0);
  process.stdout.write(`chaos up: ${seen.requests} requests, ${seen.failed} answered 5xx, ${seen.unanswered} never answered\n`);

  const organizations = (await listOf<{ id: string; name: string }>(lubes.api, lubes.token, "/organizations?limit=100")).filter((o) => o.name === "Bench");
  expect(organizations).toHaveLength(1);
  const projects = await listOf<{ id: string; name: string }>(lubes.api, lubes.token, `/projects?organization_id=${organizations[0]?.id ?? ""}&limit=100`);
  expect(projects.map((p) => p.name).sort()).toEqual(["bench-0", "bench-1"]);
  for (const project of projects) {
    const list = (path: string) => listOf<Record<string, unknown>>(lubes.api, lubes.token, `/projects/${project.id}${path}`);
    expect(await list("/env?limit=100")).toHaveLength(30);
    expect((await list("/db/migrations")).map((m) => [m["name"], m["status"]])).toEqual([["001_items", "applied"], ["002_tags", "applied"]]);
    expect((await list("/db/branches")).map((b) => b["name"])).toEqual(["main", "dev"]);
    expect(await list("/storage/buckets")).toHaveLength(4);
    expect(await list("/storage/objects?limit=100")).toHaveLength(10);
    const functions = await list("/functions");
    expect(functions.map((f) => [f["slug"], f["live_version"]])).toEqual([["fn-0", 1], ["fn-1", 1]]);
  }

  expectNoChanges(await withFaults(() => stack.up()));
  const destroy = await withFaults(() => stack.destroy());
  expect(destroy.summary.delete, destroy.text).toBe(RESOURCES);
  expect((await listOf<{ name: string }>(lubes.api, lubes.token, "/organizations?limit=100")).filter((o) => o.name === "Bench")).toEqual([]);
}, LONG);
