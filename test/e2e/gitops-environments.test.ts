// examples/gitops-environments end to end: three stacks of one program as a GitOps pipeline runs them (preview on a
// pull request, up on merge, refresh for drift), and an emergency rollback declared in config.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ExampleStack } from "../engine/runner";
import { changes, describeExample, exampleServer, expectNoChanges, listOf, type ExampleServer } from "./support";

const LONG = 240_000;
const STAGES = { dev: { plan: "free", memory: 128, logLevel: "debug" }, staging: { plan: "pro", memory: 256, logLevel: "info" }, production: { plan: "team", memory: 512, logLevel: "warn" } } as const;
type Stage = keyof typeof STAGES;
const stages = Object.keys(STAGES) as Stage[];

describeExample("examples/gitops-environments", (make) => {
  let lubes: ExampleServer;
  const stacks = {} as Record<Stage, ExampleStack>;
  const projectIds = {} as Record<Stage, string>;
  let firstRelease = "";
  let webhookHashes: Record<string, string> = {};
  const webhookSecretHashes = async () => {
    const hashes: Record<string, string> = {};
    for (const stage of stages) {
      const env = await listOf<{ key: string; value: string | null; value_digest: string | null }>(lubes.api, lubes.token, `/projects/${projectIds[stage]}/env`);
      const secret = env.find((v) => v.key === "WEBHOOK_SECRET");
      expect(secret?.value).toBeNull();
      hashes[stage] = secret?.value_digest ?? "";
    }
    return hashes;
  };
  const invoke = async (stage: Stage) => {
    const res = await fetch(`${lubes.server.url}/projects/${projectIds[stage]}/functions/api/invoke`, { method: "POST", headers: { authorization: `Bearer ${lubes.token}` } });
    return (await res.json()) as { stage: string; logLevel: string; version: number; database: string; webhookSecret: string };
  };

  beforeAll(async () => {
    lubes = await exampleServer();
    for (const stage of stages) {
      stacks[stage] = await make({
        example: "gitops-environments", stack: stage,
        config: { ...lubes.config, "lubes-gitops:databaseUrl": `postgres://app:${stage}-password@db/${stage}` },
        secret: [...lubes.secret, "lubes-gitops:databaseUrl"],
      });
    }
  });
  afterAll(async () => {
    for (const stage of stages) stacks[stage].dispose();
    await lubes.close();
  });

  it("up on each stack makes one environment per stack, configured by its own config", async () => {
    for (const stage of stages) {
      const up = await stacks[stage].up();
      expect(up.summary.create, up.text).toBe(12);
      projectIds[stage] = String(up.outputs["projectId"]);
    }
    firstRelease = String((await stacks.production.outputs())["releaseId"]);
    const orgs = await listOf(lubes.api, lubes.token, "/organizations");
    expect(orgs.map((o) => `${String(o["name"])} ${String(o["plan"])}`).sort()).toEqual(["acme-dev free", "acme-production team", "acme-staging pro"]);
    // Each slug has its stack's random suffix (random.RandomId).
    expect(orgs.map((o) => String(o["slug"])).sort()).toEqual([expect.stringMatching(/^acme-dev-[0-9a-f]{6}$/), expect.stringMatching(/^acme-production-[0-9a-f]{6}$/), expect.stringMatching(/^acme-staging-[0-9a-f]{6}$/)]);
    for (const stage of stages) {
      const p = `/projects/${projectIds[stage]}`;
      expect((await listOf(lubes.api, lubes.token, `${p}/env`)).map((v) => `${String(v["key"])}=${v["sensitive"] ? "(sensitive)" : String(v["value"])}`)).toEqual([
        "DATABASE_URL=(sensitive)", `LOG_LEVEL=${STAGES[stage].logLevel}`, `STAGE=${stage}`, "WEBHOOK_SECRET=(sensitive)",
      ]);
      expect(await listOf(lubes.api, lubes.token, `${p}/functions`)).toMatchObject([{ slug: "api", memory_mb: STAGES[stage].memory, live_version: 1 }]);
      expect((await listOf(lubes.api, lubes.token, `${p}/storage/buckets`)).map((b) => b["name"])).toEqual(["uploads"]);
      expect(await invoke(stage)).toEqual({ stage, logLevel: STAGES[stage].logLevel, version: 1, database: "configured", webhookSecret: "configured" });
    }
    // A generated secret of its own per stack (random.RandomPassword), never readable back through the API.
    webhookHashes = await webhookSecretHashes();
    expect(new Set(Object.values(webhookHashes)).size).toBe(3);
  }, LONG);

  it("a pull request's preview on every stack shows no change until the program changes", async () => {
    for (const stage of stages) expectNoChanges(await stacks[stage].preview());
    const refresh = await stacks.production.refresh();
    expect(refresh.drift, refresh.text).toEqual([]);
  }, LONG);

  it("a pull request that changes the API previews the same change on each stack; merging it rolls it out", async () => {
    for (const stage of stages) stacks[stage].edit("functions/api.js", "version: 1", "version: 2");
    for (const stage of stages) {
      const preview = await stacks[stage].preview();
      expect(changes(preview), preview.text).toEqual(["replace Deployment::release", "update Function::api", "update ProductionDeployment::production"]);
    }
    for (const stage of stages) {
      await stacks[stage].up();
      expectNoChanges(await stacks[stage].preview());
      expect((await invoke(stage)).version).toBe(2);
    }
    // The generated secrets were made once: later ups keep them.
    expect(await webhookSecretHashes()).toEqual(webhookHashes);
  }, LONG);

  it("a variable changed by hand on staging is caught by refresh and put back by up", async () => {
    await lubes.api.post(`/projects/${projectIds.staging}/env`, { token: lubes.token, body: { key: "LOG_LEVEL", value: "trace" } });
    const refresh = await stacks.staging.refresh();
    expect(refresh.drift.map((d) => `${d.urn.split("::").at(-1) ?? ""} ${d.fields.join(",")}`), refresh.text).toEqual(["log-level updatedAt,value,valueDigest"]);
    expect(changes(await stacks.staging.up())).toEqual(["update EnvVar::log-level"]);
    expect((await invoke("staging")).logLevel).toBe("info");
    expect(changes(await stacks.dev.preview())).toEqual([]);
  }, LONG);

  it("rollback: with rollbackTo set to the first release, up makes production answer as v1 again", async () => {
    expect((await invoke("production")).version).toBe(2);
    await stacks.production.setConfig("lubes-gitops:rollbackTo", firstRelease);
    const preview = await stacks.production.preview();
    expect(changes(preview), preview.text).toEqual(["update ProductionDeployment::production"]);
    const up = await stacks.production.up();
    expect(changes(up), up.text).toEqual(["update ProductionDeployment::production"]);
    expect(await invoke("production")).toMatchObject({ stage: "production", version: 1 });
    const project = await lubes.api.get(`/projects/${projectIds.production}`, { token: lubes.token });
    expect(String((await stacks.production.outputs())["productionDeploymentId"])).toBe(project.body.current_deployment_id);
    expectNoChanges(await stacks.production.preview());
    // The other environments are untouched.
    expect((await invoke("staging")).version).toBe(2);
  }, LONG);

  it("destroy on each stack leaves the server with nothing of them", async () => {
    for (const stage of stages) {
      const destroy = await stacks[stage].destroy();
      expect(destroy.summary.delete, destroy.text).toBe(12);
    }
    expect(await listOf(lubes.api, lubes.token, "/organizations")).toEqual([]);
    for (const stage of stages) expect((await lubes.api.get(`/projects/${projectIds[stage]}`, { token: lubes.token })).status).toBe(404);
  }, LONG);
});
