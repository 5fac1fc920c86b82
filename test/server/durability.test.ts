// Data written before a restart is there after it, in both storage modes; first start bootstraps a dev account once.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { bootstrap } from "../../server/bootstrap";
import { lockDataDir } from "../../server/db/dir-lock";
import { describeEachEngine } from "../support/engines";
import { createOrg, createProject, freshPostgresDatabase, signUp, startTestServer, type Engine, type TestServerOptions } from "../support/server";

describeEachEngine("restart durability", (engine: Engine) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "lubes-durability-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  let storage: TestServerOptions = { dataDir };
  const start = () => startTestServer(engine, storage);

  it("keeps users, sessions, organizations, projects and keys across a restart", async () => {
    if (engine === "postgres") storage = { dataDir, databaseUrl: await freshPostgresDatabase() };
    const first = await start();
    const user = await signUp(first.api, "durable");
    const org = await createOrg(first.api, user.token, { name: "Durable", plan: "pro" });
    const project = await createProject(first.api, user.token, org.id, "Survivor");
    const key = (await first.api.post("/api-keys", { token: user.token, body: { name: "k" } })).body.key as string;
    const idem = await first.api.post("/projects", { token: user.token, body: { name: "Idem", organization_id: org.id }, headers: { "idempotency-key": "across-restart" } });
    await first.close();

    const second = await start();
    try {
      expect((await second.api.get(`/projects/${project.id}`, { token: key })).body).toEqual(project);
      expect((await second.api.get(`/organizations/${org.id}`, { token: user.token })).body.plan).toBe("pro");
      const login = await second.api.post("/auth/login", { body: { email: user.email, password: user.password } });
      expect(login.status).toBe(200);
      // The root key is in the data directory's key file: tokens issued before the restart still verify.
      expect((await second.api.get("/auth/me", { token: user.token })).status).toBe(200);
      const replay = await second.api.post("/projects", { token: user.token, body: { name: "Idem", organization_id: org.id }, headers: { "idempotency-key": "across-restart" } });
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(replay.body).toEqual(idem.body);
    } finally {
      await second.close();
    }
  });

  it("bootstraps a dev account on the first start only, with working credentials in credentials.json", async () => {
    const bootDir = mkdtempSync(path.join(os.tmpdir(), "lubes-boot-"));
    const bootStorage: TestServerOptions = engine === "postgres" ? { dataDir: bootDir, databaseUrl: await freshPostgresDatabase() } : { dataDir: bootDir };
    try {
      const first = await startTestServer(engine, bootStorage);
      const created = await bootstrap(first.app, first.url);
      expect(created).toBeDefined();
      const file = path.join(bootDir, "credentials.json");
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(created);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const orgs = await first.api.get("/organizations", { token: created?.api_key });
      expect(orgs.body.data).toEqual([expect.objectContaining({ id: created?.organization_id, plan: "team" })]);
      await first.close();

      const second = await startTestServer(engine, bootStorage);
      expect(await bootstrap(second.app, second.url)).toBeUndefined();
      expect((await second.api.post("/auth/login", { body: { email: created?.email, password: created?.password } })).status).toBe(200);
      await second.close();
    } finally {
      rmSync(bootDir, { recursive: true, force: true });
    }
  });
});

describe("PostgreSQL dropping connections", () => {
  it.skipIf(!inject("postgresUrl"))("does not take lubes-server down: the next request is served on a fresh connection", async () => {
    const databaseUrl = await freshPostgresDatabase();
    const server = await startTestServer("postgres", { databaseUrl });
    try {
      const user = await signUp(server.api, "failover");
      const admin = new pg.Client({ connectionString: inject("postgresUrl") ?? "" });
      await admin.connect();
      const database = new URL(databaseUrl).pathname.slice(1);
      const { rows } = await admin.query<{ n: number }>("SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1", [database]);
      await admin.end();
      expect(rows[0]?.n).toBeGreaterThan(0);
      // The pool replaces the connections it finds dead: the server answers again without a restart (the test waits
      // for it), and an answer before that is an error in the envelope, never a crash.
      for (let res = await server.api.get("/auth/me", { token: user.token }); res.status !== 200; res = await server.api.get("/auth/me", { token: user.token })) {
        expect(res.body.error.code, res.text).toEqual(expect.any(String));
      }
    } finally {
      await server.close();
    }
  });
});

describe("one owner per embedded data directory", () => {
  it("refuses a second server on a data dir in use, and allows it once the first has stopped", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "lubes-lock-"));
    try {
      const first = await startTestServer("pglite", { dataDir });
      await expect(startTestServer("pglite", { dataDir })).rejects.toThrow(/already open|in use/);
      await first.close();
      const second = await startTestServer("pglite", { dataDir });
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("names the other process holding the directory", () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "lubes-lock-"));
    try {
      // PID 1 is always alive and never us.
      writeFileSync(path.join(dataDir, "lubes.lock"), "1");
      expect(() => lockDataDir(dataDir)).toThrow(/in use by another lubes-server \(pid 1\)/);
      // A lock left by a dead process is taken over.
      writeFileSync(path.join(dataDir, "lubes.lock"), "999999999");
      const release = lockDataDir(dataDir);
      release();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
