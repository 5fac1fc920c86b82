// A create whose process died after its row committed and before its response was stored: the Idempotency-Key's
// record is still "in flight" and its lease is over (a restarted embedded server, or a dead process on shared
// PostgreSQL, leaves exactly that). The client's retry with the same key takes the claim over and must find the row
// its first attempt wrote: answered as a create, never a conflict and never a second row. Seen for real when
// lubes-server was killed during an `up` (test/e2e/crash.test.ts): "Environment variable VAR_23 already exists".
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { createKey, createOrg, createProject, signUp, startTestServer, type ApiResponse, type TestServer, type TestUser } from "../support/server";

describeEachEngine("a create retried after its process died before answering", (engine) => {
  let server: TestServer;
  let owner: TestUser;
  let orgId: string;
  let base: string;
  let attempt = 0;

  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = await signUp(server.api, "interrupted");
    orgId = (await createOrg(server.api, owner.token, { name: "Interrupted" })).id;
    base = `/projects/${(await createProject(server.api, owner.token, orgId, "Interrupted")).id}`;
    await server.api.post(`${base}/functions`, { token: owner.token, body: { slug: "deployed", source: "export default async () => new Response('ok')" } });
  });
  afterAll(() => server.close());

  /**
   * Leaves every stored response unstored and every claim in flight, released as a dead process's are: expired at
   * start-up on the embedded engine, owned by an instance whose liveness lock nobody holds on PostgreSQL.
   */
  const forgetResponses = () =>
    server.app.lubes.sql.query(
      "UPDATE idempotency_records SET state = 'in_flight', status = NULL, sealed_response = NULL, locked_until = '-infinity', owner = CASE WHEN owner IS NULL THEN NULL ELSE 1 END",
    );

  /** POSTs `body` to `path` with one Idempotency-Key, loses the answer, retries: both answers. */
  async function interrupted(path: string, body: unknown, headers: Record<string, string> = {}): Promise<[ApiResponse, ApiResponse]> {
    const key = `interrupted-${engine}-${++attempt}`;
    const send = () => server.api.post(path, { token: owner.token, body, headers: { "idempotency-key": key, ...headers } });
    const first = await send();
    expect(first.status, first.text).toBe(201);
    await forgetResponses();
    const retry = await send();
    expect(retry.status, retry.text).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    return [first, retry];
  }

  const list = async (path: string) => (await server.api.get(path, { token: owner.token })).body.data as Record<string, unknown>[];

  it("an organization, a variable, a bucket, a function, a deploy and a deployment: the same one, once", async () => {
    const [org, orgAgain] = await interrupted("/organizations", { name: "Once" });
    expect(orgAgain.body.id).toBe(org.body.id);
    expect((await list("/organizations?limit=100")).filter((o) => o["name"] === "Once")).toHaveLength(1);

    const [variable, variableAgain] = await interrupted(`${base}/env`, { key: "ONCE", value: "v" }, { "if-none-match": "*" });
    expect(variableAgain.body).toEqual(variable.body);

    const [bucket, bucketAgain] = await interrupted(`${base}/storage/buckets`, { name: "once" });
    expect(bucketAgain.body.id).toBe(bucket.body.id);

    const [fn, fnAgain] = await interrupted(`${base}/functions`, { slug: "once", source: "export default async () => new Response('once')" });
    expect(fnAgain.body.id).toBe(fn.body.id);

    const [deploy, deployAgain] = await interrupted(`${base}/functions/deployed/deploy`, {});
    expect(deployAgain.body.version).toBe(deploy.body.version);
    expect((await server.api.get(`${base}/functions/deployed`, { token: owner.token })).body.live_version).toBe(deploy.body.version);

    const [deployment, deploymentAgain] = await interrupted(`${base}/deployments`, { environment: "preview" });
    expect(deploymentAgain.body.id).toBe(deployment.body.id);
    expect(await list(`${base}/deployments?limit=100`)).toHaveLength(1);
  });

  it("a key used again after its record expired marks only the rows of its new use", async () => {
    const key = await createKey(server.api, owner.token, { name: "reuse" });
    const send = () => server.api.post("/organizations", { token: key, body: { name: "Reused" }, headers: { "idempotency-key": `reused-${engine}` } });
    const first = await send();
    server.advanceClock(25 * 3_600_000);
    try {
      const second = await send();
      expect(second.body.id).not.toBe(first.body.id);
      await forgetResponses();
      const retry = await send();
      expect(retry.status, retry.text).toBe(201);
      expect(retry.body.id).toBe(second.body.id);
    } finally {
      server.advanceClock(-25 * 3_600_000);
    }
  });

  it("a project, a branch and an API key are made again, whole, and the earlier attempt's is gone", async () => {
    const [, project] = await interrupted("/projects", { name: "Remade", organization_id: orgId });
    expect((await list(`/projects?organization_id=${orgId}&limit=100`)).filter((p) => p["name"] === "Remade").map((p) => p["id"])).toEqual([project.body.id]);
    const query = await server.api.post(`/projects/${String(project.body.id)}/db/query`, { token: owner.token, body: { query: "SELECT 1 AS one" } });
    expect(query.body.rows).toEqual([{ one: 1 }]);

    const [, branch] = await interrupted(`${base}/db/branches`, { name: "remade" });
    expect((await list(`${base}/db/branches`)).filter((b) => b["name"] === "remade").map((b) => b["id"])).toEqual([branch.body.id]);
    const onBranch = await server.api.post(`${base}/db/query`, { token: owner.token, body: { query: "SELECT 1 AS one", branch: "remade" } });
    expect(onBranch.body.rows).toEqual([{ one: 1 }]);

    const [first, key] = await interrupted("/api-keys", { name: "remade" });
    expect((await list("/api-keys?limit=100")).filter((k) => k["name"] === "remade").map((k) => k["id"])).toEqual([key.body.id]);
    expect((await server.api.get("/auth/me", { token: first.body.key })).status).toBe(401);
    expect((await server.api.get("/auth/me", { token: key.body.key })).status).toBe(200);
  });
});
