// Three lubes-server processes (the compiled bin) on one PostgreSQL and one shared data directory, behind a
// round-robin proxy of the test's own, behave as one server: they start together on an empty database and agree on
// one root key and one dev account; a rate limit allows exactly its limit across them; an Idempotency-Key retried on
// another process replays; an object uploaded through one is read through every other; a queued deployment is built
// exactly once; and a generated stack converges through them while the API fails at random and one process is killed
// in the middle of the `up`, leaving exactly what the program declares.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RESOURCES_PER_PROJECT, expectedCensus, stackCensus, stackProgram } from "../../bench/stack-program";
import { expectNoChanges, listOf } from "../e2e/support";
import { harnessStack } from "../engine/runner";
import { startRoundRobinProxy, type RoundRobinProxy } from "../support/round-robin-proxy";
import { Api, createOrg, createProject, freshPostgresDatabase, setFaults, signUp } from "../support/server";
import { startServerProcess, stopServerProcesses, until, type ServerProcess } from "../support/server-process";

const PROCESSES = 3;
/** The pro plan's limit in this test (the others are not throttled). */
const PRO_LIMIT = 40;
const FAULTS = "fail=0.06,bad_gateway=0.03,reset=0.02,cut=0.02,drop=0.03";
const LONG = 600_000;

/**
 * Sends a slow query with an Idempotency-Key and returns the request once the key is seen in flight (a second send is
 * refused with 409). If the second send reached the server first, it ran the query itself: then another key is tried.
 */
async function queryInFlight(server: Api, token: string, path: string): Promise<{ body: { query: string }; headers: Record<string, string> }> {
  for (let attempt = 1; ; attempt++) {
    const query = { body: { query: "SELECT pg_sleep(5), 1 AS one" }, headers: { "idempotency-key": `orphaned-${attempt}` } };
    void server.post(path, { token, ...query }).catch(() => undefined);
    const seen = await until(async () => {
      const status = (await server.post(path, { token, ...query })).status;
      return status === 409 || status === 200 ? status : undefined;
    });
    if (seen === 409) return query;
  }
}

describe.skipIf(!inject("postgresUrl"))(`${PROCESSES} lubes-server processes on one PostgreSQL behind a round-robin proxy`, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "lubes-scale-out-"));
  let servers: ServerProcess[] = [];
  let proxy: RoundRobinProxy;
  let api: Api;
  let token: string;
  let organizationId: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    env = {
      LUBES_DATABASE_URL: await freshPostgresDatabase(), LUBES_DATA_DIR: dataDir, LUBES_DEV: "1", LUBES_LOG: "0",
      LUBES_FAULTS: "off", LUBES_RATE_LIMITS: `free=100000,pro=${PRO_LIMIT},team=100000`,
    };
    // Started together on an empty database: they take turns migrating it and bootstrapping it.
    servers = await Promise.all(Array.from({ length: PROCESSES }, () => startServerProcess(env)));
    proxy = await startRoundRobinProxy(servers.map((s) => s.url));
    api = new Api(proxy.url);
    const credentials = JSON.parse(readFileSync(path.join(dataDir, "credentials.json"), "utf8")) as { api_key: string; organization_id: string };
    token = credentials.api_key;
    organizationId = credentials.organization_id;
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await stopServerProcesses();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("start together on an empty database as one server: one dev account, and a key or session any of them accepts", async () => {
    expect(servers.filter((s) => s.output().includes("First start")).length).toBe(1);
    const user = await signUp(api, "scaled");
    for (const server of servers) {
      const direct = new Api(server.url);
      expect((await direct.get("/auth/me", { token: user.token })).status).toBe(200);
      expect((await direct.get(`/organizations/${organizationId}`, { token })).status).toBe(200);
    }
  });

  it("a rate limit allows exactly its limit across processes, never more", async () => {
    const user = await signUp(api, "limited");
    const org = await createOrg(api, user.token, { name: "Limited", plan: "pro" });
    const project = await createProject(api, user.token, org.id);
    // Twice the limit and more: however the burst falls across a window boundary, one window is refused some.
    const answers = await Promise.all(Array.from({ length: 2 * PRO_LIMIT + 20 }, () => api.get(`/projects/${project.id}`, { token: user.token })));
    const byWindow = new Map<string, { allowed: number; refused: number }>();
    for (const answer of answers) {
      const window = answer.headers.get("x-ratelimit-reset") ?? "";
      const counts = byWindow.get(window) ?? byWindow.set(window, { allowed: 0, refused: 0 }).get(window)!;
      if (answer.status === 200) counts.allowed += 1;
      else if (answer.status === 429) counts.refused += 1;
      else throw new Error(`unexpected ${answer.status}: ${answer.text}`);
    }
    expect(proxy.counts.every((count) => count > 0)).toBe(true);
    for (const counts of byWindow.values()) {
      expect(counts.allowed).toBeLessThanOrEqual(PRO_LIMIT);
      if (counts.refused > 0) expect(counts.allowed).toBe(PRO_LIMIT);
    }
    expect([...byWindow.values()].some((counts) => counts.refused > 0)).toBe(true);
  }, 120_000);

  it("an Idempotency-Key retried on another process replays the first answer", async () => {
    const body = { name: "Once", organization_id: organizationId };
    const headers = { "idempotency-key": "scale-out-create" };
    const [first, ...retries] = servers;
    const created = await new Api(first!.url).post("/projects", { token, body, headers });
    expect(created.status, created.text).toBe(201);
    for (const server of retries) {
      const replay = await new Api(server.url).post("/projects", { token, body, headers });
      expect(replay.status).toBe(201);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(replay.body.id).toBe(created.body.id);
    }
    const projects = await listOf<{ name: string }>(api, token, `/projects?organization_id=${organizationId}&limit=100`);
    expect(projects.filter((p) => p.name === "Once")).toHaveLength(1);
  });

  it("an object uploaded through one process is read through every other (one shared data directory)", async () => {
    const project = await createProject(api, token, organizationId, "Objects");
    await new Api(servers[0]!.url).post(`/projects/${project.id}/storage/buckets`, { token, body: { name: "shared" } });
    const upload = await new Api(servers[0]!.url).request("PUT", `/projects/${project.id}/storage/objects/shared/hello.txt`, { token, raw: "hello from one process", headers: { "content-type": "text/plain" } });
    expect(upload.status, upload.text).toBe(201);
    for (const server of servers.slice(1)) {
      const download = await new Api(server.url).get(`/projects/${project.id}/storage/objects/shared/hello.txt`, { token });
      expect(download.text).toBe("hello from one process");
    }
  });

  it("builds each queued deployment exactly once, whichever processes poll for it", async () => {
    const project = await createProject(api, token, organizationId, "Deploys");
    const base = `/projects/${project.id}`;
    // A module that takes a moment to load keeps builds running while the other processes poll.
    await api.post(`${base}/functions`, { token, body: { slug: "slow", source: "await new Promise((r) => setTimeout(r, 200));\nexport default async () => new Response('ok');" } });
    expect((await api.post(`${base}/functions/slow/deploy`, { token })).status).toBe(201);
    const created = await Promise.all(Array.from({ length: 6 }, (_, i) => api.post(`${base}/deployments`, { token, body: { environment: i % 2 ? "preview" : "production" } })));
    const ids = created.map((res) => res.body.id as string);
    for (const id of ids) {
      const status = await until(async () => {
        const deployment = (await api.get(`${base}/deployments/${id}`, { token })).body as { status: string };
        return deployment.status === "ready" || deployment.status === "failed" ? deployment.status : undefined;
      }, 200);
      expect(status).toBe("ready");
      const logs = await listOf<{ message: string }>(api, token, `${base}/deployments/${id}/logs?limit=100`);
      expect(logs.filter((line) => line.message.startsWith("Building")), JSON.stringify(logs)).toHaveLength(1);
    }
  });

  it("work a killed process had claimed is taken over at once by another, without waiting for its lease", async () => {
    const victim = await startServerProcess(env);
    const project = await createProject(api, token, organizationId, "Orphans");
    const base = `/projects/${project.id}`;
    const onVictim = new Api(victim.url);
    void onVictim.post(`${base}/db/migrations`, { token, body: { name: "001_slow", sql: "SELECT pg_sleep(20)" } }).catch(() => undefined);
    await until(async () => ((await api.get(`${base}/db/migrations/001_slow`, { token })).body.status === "running" ? true : undefined));
    const query = await queryInFlight(onVictim, token, `${base}/db/query`);

    await victim.kill();
    // The leases (a minute and more) have not run out: only the owner's death frees the claims.
    const migration = await api.post(`${base}/db/migrations`, { token, body: { name: "001_slow", sql: "CREATE TABLE survived (id int)" } });
    expect(migration.status, migration.text).toBe(201);
    const retried = await api.post(`${base}/db/query`, { token, ...query });
    expect(retried.status, retried.text).toBe(200);
    // Run again by this process, not a replay of an answer the killed one stored.
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
    expect(retried.body.rows[0]).toMatchObject({ one: 1 });
  }, 120_000);

  it("a stack converges through them while the API fails at random and one process is killed during the up", async () => {
    const user = await signUp(api, "stack");
    const key = (await api.post("/api-keys", { token: user.token, body: { name: "pulumi" } })).body.key as string;
    const stack = harnessStack({
      files: { "Pulumi.yaml": "name: scale-out\nruntime: nodejs\n", "index.ts": stackProgram(1) }, stack: "scale-out",
      config: { "lubes:apiUrl": proxy.url, "lubes:apiKey": key }, secret: ["lubes:apiKey"],
    });
    try {
      for (const server of servers) await setFaults(new Api(server.url), FAULTS);
      const victim = servers[1]!;
      const before = proxy.counts.reduce((a, b) => a + b, 0);
      let upEnded = false;
      const killing = until(() => (upEnded || proxy.counts.reduce((a, b) => a + b, 0) - before >= 25 ? true : undefined), 20).then(async () => {
        if (!upEnded) await victim.kill();
        return !upEnded;
      });
      const up = await stack.up().finally(() => (upEnded = true));
      expect(await killing, "a process was killed during the up").toBe(true);
      expect(up.summary.create, up.text).toBe(1 + RESOURCES_PER_PROJECT);
      servers = servers.filter((s) => s !== victim);
      for (const server of servers) await setFaults(new Api(server.url), "off");

      expect(await stackCensus(api, user.token)).toEqual(expectedCensus(1));

      expectNoChanges(await stack.up());
      const destroy = await stack.destroy();
      expect(destroy.summary.delete, destroy.text).toBe(1 + RESOURCES_PER_PROJECT);
    } finally {
      stack.dispose();
    }
  }, LONG);
});
