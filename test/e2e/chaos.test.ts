// A generated stack of every kind (an organization, and per project variables, chained migrations, a branch, buckets,
// objects and functions: 101 resources) through the engine harness while the API misbehaves at random, switched on
// the running server with PUT /v1/admin/faults: answers 503 and 502, connections reset before anything runs or cut as
// it runs, and work that commits and then loses its answer. The stack must converge in one `up` and the server then
// hold exactly what the program declares (no duplicate from a retried create, no orphan, every function deployed
// once); a second `up` changes nothing and `destroy` leaves nothing. Canaries planted for the run (the API key, the
// user's password and tokens, a sensitive variable's value) are then nowhere in plain text: not in the stack's state
// file, the server's log or its data dir. A larger run, with 429s, is bench/chaos.ts.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
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
const dataDir = mkdtempSync(path.join(os.tmpdir(), "lubes-chaos-"));
let log = "";
const sensitiveValue = `canary-${randomBytes(12).toString("hex")}`;
/** Requests the server received, and those it answered 5xx or never answered (reset, cut, dropped). */
const seen = { requests: 0, failed: 0, unanswered: 0 };

beforeAll(async () => {
  lubes = await exampleServer({ faults: {}, dataDir, logStream: { write: (line) => void (log += line) } });
  lubes.server.app.server.on("request", (request, response) => {
    seen.requests += 1;
    response.on("close", () => {
      // A reset, a cut or a dropped answer closes the connection under the response.
      if (request.socket.destroyed) seen.unanswered += 1;
      else if (response.statusCode >= 500) seen.failed += 1;
    });
  });
  stack = harnessStack({
    files: { "Pulumi.yaml": "name: chaos\nruntime: nodejs\n", "index.ts": stackProgram(PROJECTS, { secretConfig: "canary" }) }, stack: "chaos",
    config: { ...lubes.config, "chaos:canary": sensitiveValue }, secret: [...lubes.secret, "chaos:canary"],
  });
});
afterAll(async () => {
  stack.dispose();
  await lubes.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The files under `root` (every file, binary included) whose bytes contain one of `canaries`, as `file: canary`. */
const plainTextIn = (root: string, canaries: Record<string, string>): string[] => {
  const files = statSync(root).isDirectory() ? readdirSync(root, { recursive: true, encoding: "utf8" }).map((f) => path.join(root, f)) : [root];
  return files.filter((file) => statSync(file).isFile()).flatMap((file) => {
    const bytes = readFileSync(file);
    return Object.entries(canaries).filter(([, value]) => bytes.includes(value)).map(([name]) => `${file}: ${name}`);
  });
};

const expectNoSecretsInPlainText = () => {
  const canaries = {
    "API key": lubes.config["lubes:apiKey"] ?? "", password: lubes.owner.password, "refresh token": lubes.owner.refreshToken,
    "access token": lubes.owner.token, "sensitive variable": sensitiveValue,
  };
  expect([...plainTextIn(path.join(stack.folder, ".harness", "state.json"), canaries), ...plainTextIn(dataDir, canaries)]).toEqual([]);
  expect(Object.keys(canaries).filter((name) => log.includes(canaries[name as keyof typeof canaries]))).toEqual([]);
};

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
    const secret = (await lubes.api.get(`/projects/${project.id}/env/VAR_0`, { token: lubes.token })).body;
    expect(secret).toMatchObject({ sensitive: true });
    expect(JSON.stringify(secret)).not.toContain(sensitiveValue);
  }
  // The places searched are real and full (the log has the run, the state the sensitive variable): a canary kept in
  // plain text would be found.
  expect(log).toMatch(/"status":201/);
  expect(readFileSync(path.join(stack.folder, ".harness", "state.json"), "utf8")).toContain("VAR_0");
  expectNoSecretsInPlainText();

  expectNoChanges(await withFaults(() => stack.up()));
  const destroy = await withFaults(() => stack.destroy());
  expect(destroy.summary.delete, destroy.text).toBe(RESOURCES);
  expect((await listOf<{ name: string }>(lubes.api, lubes.token, "/organizations?limit=100")).filter((o) => o.name === "Bench")).toEqual([]);
  expectNoSecretsInPlainText();
}, LONG);
