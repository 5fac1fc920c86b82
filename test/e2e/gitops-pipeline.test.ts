// examples/gitops-environments/.github/workflows/lubes.yml, read as GitHub Actions reads it and its `pulumi` command
// lines run as written: on merge each `up` job in its order with its environment's key, on a pull request each stack's
// preview with a read-only key, every morning the drift check. The file is checked for where its secrets and settings
// come from, and every command line it holds must have been run by these scenarios.
import { readFileSync } from "node:fs";
import path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import yaml from "js-yaml";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ExampleStack } from "../engine/runner";
import { createKey } from "../support/server";
import { describeExample, exampleServer, type ExampleServer } from "./support";

const EXAMPLE = path.resolve(__dirname, "../../examples/gitops-environments");
const WORKFLOW_TEXT = readFileSync(path.join(EXAMPLE, ".github/workflows/lubes.yml"), "utf8");
const LONG = 300_000;

interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  strategy?: { matrix?: { stack?: string[] } };
  env?: Record<string, string>;
  steps: { run?: string; uses?: string; with?: Record<string, string> }[];
}
const workflow = yaml.load(WORKFLOW_TEXT) as { on: Record<string, unknown>; jobs: Record<string, Job>; env: Record<string, string> };

/** A `pulumi` command line of a job: its words after `pulumi`, for one stack, and which key the job holds. */
interface PipelineCommand {
  job: string;
  stack: string;
  args: string[];
  key: "read" | "write";
}

/** A line's words as bash splits them (double quotes only, which is all the file uses), up to a pipe or redirection. */
function words(line: string, stack: string): string[] {
  const result: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"|(\S+)/g)) {
    const word = (match[1] ?? match[2] ?? "").replaceAll("$STACK", stack);
    if (match[2] && /^(\||>|2>|&>|\d?>&)/.test(match[2])) break;
    result.push(word);
  }
  return result;
}

function pipelineCommands(): PipelineCommand[] {
  return Object.entries(workflow.jobs).flatMap(([name, job]) => {
    const stackEnv = job.env?.["STACK"] ?? "";
    const stacks = stackEnv.includes("matrix.stack") ? (job.strategy?.matrix?.stack ?? []) : [stackEnv];
    const keyEnv = job.env?.["LUBES_API_KEY"] ?? "";
    const key = keyEnv.includes("LUBES_READ_KEY") ? "read" : keyEnv === "${{ secrets.LUBES_API_KEY }}" ? "write" : undefined;
    if (!key) throw new Error(`job ${name}: LUBES_API_KEY must come from a secret (${keyEnv})`);
    const lines = job.steps.flatMap((step) => (step.run ?? "").split("\n").map((l) => l.trim()).filter((l) => l.startsWith("pulumi ")));
    return stacks.flatMap((stack) => lines.map((line) => ({ job: name, stack, args: words(line, stack).slice(1), key })));
  });
}

/** The `up` jobs in the order `needs` runs them. */
function upJobsInOrder(): string[] {
  const order: string[] = [];
  const jobs = Object.entries(workflow.jobs).filter(([name]) => name.startsWith("up-"));
  while (order.length < jobs.length) {
    const next = jobs.find(([name, job]) => !order.includes(name) && [job.needs ?? []].flat().every((need) => order.includes(need)));
    if (!next) throw new Error("the up jobs' needs form a cycle");
    order.push(next[0]);
  }
  return order;
}

it("the pipeline is a valid GitHub Actions workflow (its published JSON schema)", () => {
  expect(validateWorkflow(WORKFLOW_TEXT).errors).toEqual([]);
  // …and the check can fail: a job without runs-on is refused.
  expect(validateWorkflow(WORKFLOW_TEXT.replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest")).errors).not.toEqual([]);
});

it("the pipeline takes every secret from the secret store and every API URL from the stacks' config", () => {
  const secrets = [...WORKFLOW_TEXT.matchAll(/secrets(?:\.([A-Z_]+)|\[format\('([A-Z_]+)\{0\}')/g)].map((m) => m[1] ?? `${m[2] ?? ""}<stack>`);
  expect(new Set(secrets)).toEqual(new Set(["PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "LUBES_API_KEY", "LUBES_READ_KEY_<stack>"]));
  const withoutComments = WORKFLOW_TEXT.split("\n").filter((line) => !line.trim().startsWith("#")).join("\n");
  expect(withoutComments).not.toMatch(/lubes_(sk|pk)_|apiUrl|LUBES_API_URL|PULUMI_CONFIG_PASSPHRASE: [^$]/);
  for (const stack of ["dev", "staging", "production"]) expect(readFileSync(path.join(EXAMPLE, `Pulumi.${stack}.yaml`), "utf8")).toMatch(/^\s+lubes:apiUrl: \S+/m);
  expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "push", "schedule", "workflow_dispatch"]);
});

it("the pipeline previews on pull requests and comments, goes dev → staging → production on merge, and checks drift on a schedule", () => {
  expect(upJobsInOrder()).toEqual(["up-dev", "up-staging", "up-production"]);
  for (const name of upJobsInOrder()) expect(workflow.jobs[name]?.environment, name).toBe(name.slice("up-".length));
  expect(workflow.jobs["up-dev"]?.if).toBe("github.event_name == 'push'");
  const { preview, drift } = workflow.jobs;
  expect(preview?.if).toBe("github.event_name == 'pull_request'");
  expect(preview?.permissions?.["pull-requests"]).toBe("write");
  expect(preview?.steps.some((s) => s.uses?.startsWith("actions/github-script") && /createComment/.test(s.with?.["script"] ?? ""))).toBe(true);
  expect(drift?.if).toMatch(/schedule/);
  // Previews and the drift check hold read-only keys; only the `up` jobs may write.
  expect(pipelineCommands().filter((c) => c.key === "read").map((c) => c.args[0])).toEqual(expect.arrayContaining(["preview", "refresh"]));
  expect(pipelineCommands().filter((c) => c.args[0] === "up").every((c) => c.key === "write")).toBe(true);
});

describeExample("the gitops-environments pipeline", (make) => {
  let lubes: ExampleServer;
  let keys: Record<"read" | "write", string>;
  const stacks = new Map<string, ExampleStack>();
  /** Every command line run, as `<stack>: <args>`, to check against the file. */
  const ran = new Set<string>();
  const commands = pipelineCommands();
  const run = async (command: PipelineCommand) => {
    const stack = stacks.get(command.stack);
    if (!stack) throw new Error(`no stack ${command.stack}`);
    ran.add(`${command.stack}: ${command.args.join(" ")}`);
    return stack.pulumi(command.args, { LUBES_API_KEY: keys[command.key] });
  };
  const ofJob = (job: string, stack?: string) => commands.filter((c) => c.job === job && (!stack || c.stack === stack));
  const projectOf = async (stack: string) => {
    const orgs = (await lubes.api.get("/organizations", { token: lubes.token })).body.data as { id: string; name: string }[];
    const org = orgs.find((o) => o.name === `acme-${stack}`);
    const projects = (await lubes.api.get(`/projects?organization_id=${org?.id ?? ""}`, { token: lubes.token })).body.data as { id: string }[];
    return projects[0]?.id ?? "";
  };

  beforeAll(async () => {
    lubes = await exampleServer();
    keys = { write: String(lubes.config["lubes:apiKey"]), read: await createKey(lubes.api, lubes.token, { name: "ci-read", permissions: ["read"] }) };
    for (const stack of ["dev", "staging", "production"]) {
      // Only what the repository holds: the stack file's settings (its apiUrl pointed at this server) and the
      // secret a person set once with `pulumi config set --secret`. The key comes from the job's environment.
      const made = await make({ example: "gitops-environments", stack, config: { "lubes-gitops:databaseUrl": `postgres://app@db/${stack}` }, secret: ["lubes-gitops:databaseUrl"] });
      made.edit(`Pulumi.${stack}.yaml`, /lubes:apiUrl: \S+/, `lubes:apiUrl: ${lubes.server.url}`);
      stacks.set(stack, made);
    }
  }, LONG);
  afterAll(async () => {
    for (const [name, stack] of stacks) {
      await stack.pulumi(["destroy", "--stack", name, "--yes"], { LUBES_API_KEY: keys.write });
      stack.dispose();
    }
    await lubes?.close();
  }, LONG);

  it("merge to main: each up job in its order, with its environment's key", async () => {
    for (const job of upJobsInOrder()) {
      for (const command of ofJob(job)) {
        const result = await run(command);
        expect(result.code, result.text).toBe(0);
        expect(result.text).toMatch(/Resources: 12 created/);
      }
    }
    expect(((await lubes.api.get("/organizations", { token: lubes.token })).body.data as { name: string }[]).map((o) => o.name).sort()).toEqual(["acme-dev", "acme-production", "acme-staging"]);
  }, LONG);

  it("every morning: no drift anywhere passes; a change made by hand fails that stack's check, and is not recorded", async () => {
    for (const command of ofJob("drift")) {
      const result = await run(command);
      expect(result.code, `${command.stack} ${command.args.join(" ")}\n${result.text}`).toBe(0);
    }
    await lubes.api.post(`/projects/${await projectOf("staging")}/env`, { token: lubes.token, body: { key: "LOG_LEVEL", value: "trace" } });
    const [liveCheck] = ofJob("drift", "staging");
    if (!liveCheck) throw new Error("the drift job has no command");
    for (let attempt = 0; attempt < 2; attempt++) {
      const failed = await run(liveCheck);
      expect(failed.code, failed.text).toBe(1);
      expect(failed.text).toMatch(/no changes were expected but changes were proposed/);
    }
    for (const command of ofJob("drift", "dev")) expect((await run(command)).code).toBe(0);
    // The operator's fix: record the drift, then put the program's value back.
    const staging = stacks.get("staging");
    expect((await staging?.pulumi(["refresh", "--stack", "staging", "--yes"], { LUBES_API_KEY: keys.write }))?.code).toBe(0);
    const fixed = await staging?.pulumi(["up", "--stack", "staging", "--yes"], { LUBES_API_KEY: keys.write });
    expect(fixed?.text).toMatch(/log-level\s+update/);
    for (const command of ofJob("drift", "staging")) expect((await run(command)).code).toBe(0);
  }, LONG);

  it("a pull request: each stack's preview, with a read-only key, shows the change; the drift check sees it unapplied", async () => {
    for (const stack of stacks.values()) stack.edit("functions/api.js", "version: 1", "version: 2");
    for (const command of ofJob("preview")) {
      const result = await run(command);
      expect(result.code, result.text).toBe(0);
      expect(result.text).toMatch(/lubes:Function api\s+update/);
    }
    const [, programCheck] = ofJob("drift", "production");
    if (!programCheck) throw new Error("the drift job has no second command");
    expect((await run(programCheck)).code).toBe(1);
    // The read-only key a pull request holds cannot apply anything.
    const refused = await stacks.get("dev")?.pulumi(["up", "--stack", "dev", "--yes"], { LUBES_API_KEY: keys.read });
    expect(refused?.code).toBe(1);
    expect(refused?.text).toMatch(/permission/i);
  }, LONG);

  it("ran every command line of the pipeline", () => {
    for (const command of commands) expect(ran, `${command.job}: pulumi ${command.args.join(" ")}`).toContain(`${command.stack}: ${command.args.join(" ")}`);
  });
});
