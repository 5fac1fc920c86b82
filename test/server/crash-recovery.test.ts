// lubes-server killed (SIGKILL) in the middle of work and started again on the same data dir, as a CI runner or an
// out-of-memory killer leaves it: a migration applying, an Idempotency-Key request in flight, a deployment building
// and an upload half-written. The embedded server owns its data dir, so the restarted one releases all of it at
// start-up: the retries run at once (no "in progress" until a lease expires), the build finishes, no leftover stays.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { Api } from "../support/server";
import { startServerProcess, stopServerProcesses, until } from "../support/server-process";

const dataDir = mkdtempSync(path.join(os.tmpdir(), "lubes-crash-"));
afterAll(async () => {
  await stopServerProcesses();
  rmSync(dataDir, { recursive: true, force: true });
});

const startServer = () => startServerProcess({ LUBES_DATA_DIR: dataDir });

const partialUploads = () => readdirSync(path.join(dataDir, "storage"), { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".partial"));

it("releases what a killed server left in progress: a migration, an Idempotency-Key, a build and an upload", async () => {
  const first = await startServer();
  const credentials = JSON.parse(readFileSync(path.join(dataDir, "credentials.json"), "utf8")) as { api_key: string; organization_id: string };
  const token = credentials.api_key;
  let api = new Api(first.url);
  const project = (await api.post("/projects", { token, body: { name: "Crash", organization_id: credentials.organization_id } })).body.id as string;
  const base = `/projects/${project}`;
  // A function whose module takes a while to load makes the build last long enough to be cut.
  await api.post(`${base}/functions`, { token, body: { slug: "slow", source: "await new Promise((r) => setTimeout(r, 1500));\nexport default async () => new Response('ok');" } });
  expect((await api.post(`${base}/functions/slow/deploy`, { token })).status).toBe(201);
  await api.post(`${base}/storage/buckets`, { token, body: { name: "uploads" } });

  // Work in progress at the kill: a migration holding the branch's database, a query with an Idempotency-Key queued
  // behind it, a deployment building, and an upload half sent.
  void api.post(`${base}/db/migrations`, { token, body: { name: "001_slow", sql: "SELECT pg_sleep(30)" } }).catch(() => undefined);
  await until(async () => ((await api.get(`${base}/db/migrations/001_slow`, { token })).body.status === "running" ? true : undefined));
  const query = { query: "SELECT 1 AS one" };
  void api.post(`${base}/db/query`, { token, body: query, headers: { "idempotency-key": "cut-off" } }).catch(() => undefined);
  const deployment = (await api.post(`${base}/deployments`, { token, body: {} })).body.id as string;
  await until(async () => ((await api.get(`${base}/deployments/${deployment}`, { token })).body.status === "building" ? true : undefined));
  const upload = request(`${first.url}${base}/storage/objects/uploads/big.bin`, { method: "PUT", headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" } });
  upload.on("error", () => undefined);
  upload.write(Buffer.alloc(256 * 1024));
  await until(() => (partialUploads().length > 0 ? true : undefined));
  // The query's claim is taken before it waits for the database: a retry now is refused as in progress.
  await until(async () => ((await api.post(`${base}/db/query`, { token, body: query, headers: { "idempotency-key": "cut-off" } })).status === 409 ? true : undefined));

  await first.kill();
  const second = await startServer();
  api = new Api(second.url);

  const migration = (await api.get(`${base}/db/migrations/001_slow`, { token })).body;
  expect(migration).toMatchObject({ status: "failed", error: { code: "interrupted", message: expect.stringContaining("post it again") } });
  const rerun = await api.post(`${base}/db/migrations`, { token, body: { name: "001_slow", sql: "CREATE TABLE survived (id int)" } });
  expect(rerun.status, rerun.text).toBe(201);
  const retried = await api.post(`${base}/db/query`, { token, body: query, headers: { "idempotency-key": "cut-off" } });
  expect(retried.status, retried.text).toBe(200);
  expect(retried.body.rows).toEqual([{ one: 1 }]);
  expect(partialUploads()).toEqual([]);
  const built = await until(async () => {
    const status = (await api.get(`${base}/deployments/${deployment}`, { token })).body.status as string;
    return status === "ready" || status === "failed" ? status : undefined;
  });
  expect(built).toBe("ready");
  const logs = (await api.get(`${base}/deployments/${deployment}/logs?limit=100`, { token })).body.data as { message: string }[];
  expect(logs.map((line) => line.message)).toContain("The server stopped during this build: building it again");
  expect(second.output()).toContain("released work the previous process left unfinished");
});
