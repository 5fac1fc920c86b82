// Behaviour every endpoint shares: request ids, rate limits by plan, Idempotency-Key, the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpoints } from "../../contract";
import { describeEachEngine } from "../support/engines";
import { createKey, createOrg, createProject, expectEnvelope, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

/** Moves the clock to just after a minute boundary, so a test's requests all fall in one rate-limit window. */
function startOfWindow(server: TestServer): void {
  server.advanceClock(60_000 - (server.now().getTime() % 60_000) + 200);
}

describeEachEngine("rate limits", (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine, { rateLimits: { free: 5, pro: 6, team: 7 } });
  });
  afterAll(() => server.close());

  it("counts per user outside organizations, answers 429 with Retry-After past the limit, and resets with the window", async () => {
    startOfWindow(server);
    // Registered directly (signUp would also verify the email, an authenticated request of its own).
    const registered = await server.api.post("/auth/register", { body: { email: `limited-${Date.now()}@example.com`, password: "limited password" } });
    const user = { token: registered.body.access_token as string };
    const key = await createKey(server.api, user.token, { name: "own budget" }); // 1st request of the session
    const remaining: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await server.api.get("/auth/me", { token: user.token });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit")).toBe("5");
      remaining.push(res.headers.get("x-ratelimit-remaining") ?? "");
    }
    expect(remaining).toEqual(["3", "2", "1", "0"]);
    const limited = await server.api.get("/auth/me", { token: user.token });
    expectEnvelope(limited, 429, "rate_limit_exceeded");
    const reset = Number(limited.headers.get("x-ratelimit-reset"));
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(reset % 60).toBe(0);
    expect(limited.headers.get("x-request-id")).toMatch(/^req_/);

    // Another credential of the same user spends the same budget: a second key is not a second limit.
    expectEnvelope(await server.api.get("/auth/me", { token: key }), 429, "rate_limit_exceeded");

    server.advanceClock(60_000);
    const after = await server.api.get("/auth/me", { token: user.token });
    expect(after.status).toBe(200);
    expect(after.headers.get("x-ratelimit-remaining")).toBe("4");
  });

  it("takes the limit from the plan of the user's organizations", async () => {
    startOfWindow(server);
    const user = await signUp(server.api, "team");
    await createOrg(server.api, user.token, { plan: "team" });
    expect((await server.api.get("/organizations", { token: user.token })).headers.get("x-ratelimit-limit")).toBe("7");
  });

  it("counts an organization's requests against the organization, whichever of its members' keys sends them", async () => {
    startOfWindow(server);
    const alice = await signUp(server.api, "alice");
    const org = await createOrg(server.api, alice.token, { plan: "pro" });
    const project = await createProject(server.api, alice.token, org.id, "Shared budget");
    const keys = [await createKey(server.api, alice.token, { name: "one" }), await createKey(server.api, alice.token, { name: "two" })];
    startOfWindow(server);
    // Two keys, taking turns, against the organization's limit of 6 (pro): 6 succeed in all, not 6 each.
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await server.api.get(`/projects/${project.id}`, { token: keys[i % 2] ?? "" })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.slice(6)).toEqual([429, 429, 429, 429]);
    // Outside the organization the user's own budget still has room.
    expect((await server.api.get("/auth/me", { token: keys[0] ?? "" })).status).toBe(200);
    // A stranger asking for the organization's project spends their own budget, not the organization's.
    const mallory = await signUp(server.api, "mallory");
    const probe = await server.api.get(`/projects/${project.id}`, { token: mallory.token });
    expect(probe.status).toBe(404);
    expect(probe.headers.get("x-ratelimit-limit")).toBe("5");
  });

  it("limits unauthenticated requests per client address", async () => {
    startOfWindow(server);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await server.api.get("/health")).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describeEachEngine("idempotency", (engine) => {
  let server: TestServer;
  let user: TestUser;
  let orgId: string;
  beforeAll(async () => {
    server = await startTestServer(engine);
    user = await signUp(server.api, "idem");
    orgId = (await createOrg(server.api, user.token)).id;
  });
  afterAll(() => server.close());

  const countProjects = async () => (await server.api.get(`/projects?organization_id=${orgId}`, { token: user.token })).body.pagination.total as number;

  it("replays the first response for a retry with the same key, creating nothing twice", async () => {
    const before = await countProjects();
    const headers = { "idempotency-key": "create-web-1" };
    const first = await server.api.post("/projects", { token: user.token, body: { name: "Once", organization_id: orgId }, headers });
    const retry = await server.api.post("/projects", { token: user.token, body: { organization_id: orgId, name: "Once" }, headers });
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    expect(await countProjects()).toBe(before + 1);
  });

  it("refuses the same key with a different body with 422", async () => {
    const headers = { "idempotency-key": "create-web-2" };
    await server.api.post("/projects", { token: user.token, body: { name: "A", organization_id: orgId }, headers });
    const other = await server.api.post("/projects", { token: user.token, body: { name: "B", organization_id: orgId }, headers });
    expectEnvelope(other, 422, "idempotency_key_reused");
  });

  it("answers 409 to a second request while the first is still running", async () => {
    const headers = { "idempotency-key": "register-race" };
    const body = { email: `race-${Date.now()}@example.com`, password: "password-race" };
    // Registration hashes the password before answering, so the twin arrives while the first is in flight.
    const [a, b] = await Promise.all([server.api.post("/auth/register", { body, headers }), server.api.post("/auth/register", { body, headers })]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expectEnvelope(a.status === 409 ? a : b, 409, "idempotency_request_in_progress");
    const replay = await server.api.post("/auth/register", { body, headers });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });

  it("keys are per credential, and an error response is replayed too", async () => {
    const other = await signUp(server.api, "other");
    const headers = { "idempotency-key": "shared-name" };
    const mine = await server.api.post("/projects", { token: user.token, body: { name: "Mine", organization_id: orgId }, headers });
    const theirs = await server.api.post("/projects", { token: other.token, body: { name: "Mine", organization_id: orgId }, headers });
    expect(mine.status).toBe(201);
    expectEnvelope(theirs, 404);
    const theirsAgain = await server.api.post("/projects", { token: other.token, body: { name: "Mine", organization_id: orgId }, headers });
    expect(theirsAgain.status).toBe(404);
    expect(theirsAgain.headers.get("idempotent-replayed")).toBe("true");
  });

  it("stores no replayable secret in plain text, yet replays it to the key's holder", async () => {
    const headers = { "idempotency-key": "make-a-key" };
    const first = await server.api.post("/api-keys", { token: user.token, body: { name: "deploy" }, headers });
    const replay = await server.api.post("/api-keys", { token: user.token, body: { name: "deploy" }, headers });
    expect(replay.body.key).toBe(first.body.key);
    const { rows } = await server.app.lubes.sql.query<{ dump: string }>("SELECT string_agg(scope_hash || request_hash || coalesce(sealed_response, ''), '') AS dump FROM idempotency_records");
    expect(rows[0]?.dump).not.toContain(first.body.key);
    expect(rows[0]?.dump).not.toContain("make-a-key");
  });

  it("forgets a key after 24 hours", async () => {
    const headers = { "idempotency-key": "day-old" };
    const key = await createKey(server.api, user.token, { name: "outlives the access token" });
    await server.api.post("/projects", { token: key, body: { name: "Day 1", organization_id: orgId }, headers });
    server.advanceClock(24 * 3600_000 + 60_000);
    try {
      const next = await server.api.post("/projects", { token: key, body: { name: "Day 2", organization_id: orgId }, headers });
      expect(next.status).toBe(201);
      expect(next.headers.get("idempotent-replayed")).toBeNull();
    } finally {
      server.advanceClock(-(24 * 3600_000 + 60_000));
    }
  });

  it("refuses a malformed Idempotency-Key", async () => {
    const res = await server.api.post("/projects", { token: user.token, body: { name: "K", organization_id: orgId }, headers: { "idempotency-key": "x".repeat(300) } });
    expectEnvelope(res, 400, "invalid_idempotency_key");
  });
});

describe("request ids and the OpenAPI document", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer("pglite");
  });
  afterAll(() => server.close());

  it("puts a distinct X-Request-Id and the rate-limit headers on every response, errors included", async () => {
    const responses = await Promise.all([server.api.get("/health"), server.api.get("/nope"), server.api.get("/projects"), server.api.post("/auth/login", { raw: "{", headers: { "content-type": "application/json" } })]);
    expect(responses.map((r) => r.status)).toEqual([200, 404, 401, 400]);
    const ids = responses.map((r) => r.headers.get("x-request-id"));
    expect(new Set(ids).size).toBe(4);
    for (const res of responses) {
      expect(res.headers.get("x-request-id")).toMatch(/^req_/);
      for (const header of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]) expect(res.headers.get(header)).toMatch(/^\d+$/);
    }
  });

  it("serves an OpenAPI 3.1 document generated from the endpoint table", async () => {
    const res = await server.api.get("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    for (const e of endpoints) {
      const operation = res.body.paths[e.path.replace(/:(\w+)/g, "{$1}")]?.[e.method.toLowerCase()];
      expect(operation, `${e.method} ${e.path}`).toMatchObject({ operationId: e.operationId });
    }
    const create = res.body.paths["/projects"].post;
    expect(create.requestBody.content["application/json"].schema).toMatchObject({ required: ["name", "organization_id"], additionalProperties: false });
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(["201", "401", "403", "422", "429"]));
  });
});
