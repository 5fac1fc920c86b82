// LubesClient with undici's MockAgent (nock cannot see undici on Node 20, DESIGN.md): retries, backoff, idempotency,
// rate-limit waits, typed errors, contract checks, and no credential in any error.
import { readFileSync } from "node:fs";
import path from "node:path";
import { MockAgent } from "undici";
import { describe, expect, it } from "vitest";
import { organizationEndpoints, projectEndpoints, storageEndpoints } from "../../contract";
import {
  AuthenticationError, LubesClient, NotFoundError, PreconditionFailedError, RateLimitedError, ResponseShapeError, ServerError, TimeoutError, ValidationError, printable, resolveCredentials, type LubesError,
} from "../../provider/client";
import { buildPath } from "../../provider/client/path";
import { retryDelayMs } from "../../provider/client/retry";

const ORIGIN = "https://api.lubes.test";
const KEY = "lubes_sk_canary_do_not_leak";
const project = { id: "proj_1", name: "Web", slug: "web", organization_id: "org_1", current_deployment_id: null, created_at: "2024-01-15T10:30:00Z", updated_at: "2024-01-15T10:30:00Z" };
const json = { headers: { "content-type": "application/json", "x-request-id": "req_test" } };

function setup(options: { deadlineMs?: number } = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const pool = agent.get(ORIGIN);
  let clock = 1_700_000_000_000;
  const sleeps: number[] = [];
  const client = new LubesClient({ apiUrl: `${ORIGIN}/v1`, apiKey: KEY }, {
    dispatcher: agent,
    sleep: (ms) => {
      sleeps.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    now: () => clock,
    random: () => 0.5,
    ...(options.deadlineMs ? { deadlineMs: options.deadlineMs } : {}),
  });
  return { pool, client, sleeps, advance: (ms: number) => (clock += ms), now: () => clock };
}

describe("LubesClient", () => {
  it("parses answers with the contract and sends the key, a user agent naming the package's version, and JSON", async () => {
    const { pool, client } = setup();
    const { version } = JSON.parse(readFileSync(path.join(__dirname, "../../package.json"), "utf8")) as { version: string };
    pool.intercept({ path: "/v1/projects/proj_1", method: "GET", headers: { authorization: `Bearer ${KEY}`, "user-agent": `lubes-pulumi/${version}` } }).reply(200, project, json);
    expect(await client.call(projectEndpoints.get, { params: { id: "proj_1" } })).toEqual(project);
  });

  it("retries a 503 with backoff, sending the same Idempotency-Key each time, so a create is made once", async () => {
    const { pool, client, sleeps } = setup();
    const keys: string[] = [];
    const record = (opts: { headers?: unknown }) => {
      keys.push((opts.headers as Record<string, string>)["idempotency-key"] ?? "");
    };
    pool.intercept({ path: "/v1/projects", method: "POST" }).reply((opts) => (record(opts), { statusCode: 503, data: { error: { code: "unavailable", message: "try later" } } }));
    pool.intercept({ path: "/v1/projects", method: "POST" }).reply((opts) => (record(opts), { statusCode: 502, data: "bad gateway" }));
    pool.intercept({ path: "/v1/projects", method: "POST" }).reply((opts) => (record(opts), { statusCode: 201, data: project, responseOptions: json }));
    const created = await client.call(projectEndpoints.create, { body: { name: "Web", organization_id: "org_1" } });
    expect(created.id).toBe("proj_1");
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(sleeps).toEqual([125, 250]); // full jitter at random 0.5: half of 250 × 2^attempt
  });

  it("retries a dropped connection", async () => {
    const { pool, client } = setup();
    pool.intercept({ path: "/v1/projects/proj_1", method: "GET" }).replyWithError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    pool.intercept({ path: "/v1/projects/proj_1", method: "GET" }).reply(200, project, json);
    expect((await client.call(projectEndpoints.get, { params: { id: "proj_1" } })).id).toBe("proj_1");
  });

  it("waits as long as Retry-After says on a 429", async () => {
    const { pool, client, sleeps } = setup();
    pool.intercept({ path: "/v1/organizations", method: "GET" }).reply(429, { error: { code: "rate_limit_exceeded", message: "slow down" } }, { headers: { "retry-after": "7" } });
    pool.intercept({ path: "/v1/organizations", method: "GET" }).reply(200, { data: [], pagination: { total: 0, limit: 20, offset: 0, has_more: false } }, json);
    await client.call(organizationEndpoints.list);
    expect(sleeps).toEqual([7_050]);
  });

  it("does not retry a 4xx, and types it by status with the server's code, message and request id", async () => {
    const { pool, client, sleeps } = setup();
    pool.intercept({ path: "/v1/projects", method: "POST" }).reply(422, { error: { code: "validation_error", message: "name is required", details: { field: "name", constraint: "required" } } }, json);
    const error = await client.call(projectEndpoints.create, { body: { organization_id: "org_1" } as never /* no name, on purpose */ }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ status: 422, code: "validation_error", details: { field: "name" }, requestId: "req_test", endpoint: "POST /projects" });
    expect((error as Error).message).toBe("name is required (POST /projects, request req_test)");
    expect(sleeps).toEqual([]);
    pool.intercept({ path: "/v1/projects/gone", method: "GET" }).reply(404, { error: { code: "not_found", message: "Project gone not found" } }, json);
    expect(await client.call(projectEndpoints.get, { params: { id: "gone" } }).catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
  });

  it("names the endpoint and the field when an answer does not match the contract", async () => {
    const { pool, client } = setup();
    pool.intercept({ path: "/v1/projects/proj_1", method: "GET" }).reply(200, { ...project, slug: 42 }, json);
    const error = await client.call(projectEndpoints.get, { params: { id: "proj_1" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseShapeError);
    expect((error as Error).message).toMatch(/^GET \/projects\/proj_1 answered a body the contract does not describe: slug: /);
  });

  it("gives up at the overall deadline with the last error", async () => {
    const { pool, client } = setup({ deadlineMs: 1_000 });
    pool.intercept({ path: "/v1/projects/proj_1", method: "GET" }).reply(503, {}).persist();
    const error = await client.call(projectEndpoints.get, { params: { id: "proj_1" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/^Gave up after \d+ attempts/);
  });

  it("stops retrying a persistent 500 after its retries and reports it", async () => {
    const { pool, client, sleeps } = setup();
    pool.intercept({ path: "/v1/projects/proj_1", method: "GET" }).reply(500, { error: { code: "internal_error", message: "boom" } }).persist();
    const error = await client.call(projectEndpoints.get, { params: { id: "proj_1" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(sleeps).toHaveLength(10);
  });

  it("never puts the API key in an error message or its fields", async () => {
    const { pool, client } = setup();
    pool.intercept({ path: "/v1/projects/proj_1", method: "GET" }).reply(401, { error: { code: "invalid_token", message: "bad token" } }, json);
    const error = await client.call(projectEndpoints.get, { params: { id: "proj_1" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(JSON.stringify(error) + String(error) + (error as Error).stack).not.toContain(KEY);
  });

  it("waits for the window's reset once the rate limit's budget is spent, instead of failing", async () => {
    const { pool, client, sleeps, now } = setup();
    const reset = Math.floor(now() / 1000) + 30;
    pool.intercept({ path: "/v1/projects/proj_1", method: "GET" }).reply(200, project, { headers: { ...json.headers, "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) } });
    pool.intercept({ path: "/v1/projects/proj_1", method: "GET" }).reply(200, project, json);
    await client.call(projectEndpoints.get, { params: { id: "proj_1" } });
    await client.call(projectEndpoints.get, { params: { id: "proj_1" } });
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(reset * 1000 - (now() - (sleeps[0] ?? 0)));
  });
});

describe("LubesClient, where a retry or a wait would mislead", () => {
  it("retries a 409 that says its own first attempt is still in progress, with the same Idempotency-Key", async () => {
    const { pool, client, sleeps } = setup();
    const keys: string[] = [];
    const inProgress = { error: { code: "idempotency_request_in_progress", message: "A request with this Idempotency-Key is being processed; retry shortly" } };
    pool.intercept({ path: "/v1/projects", method: "POST" }).reply((opts) => (keys.push((opts.headers as Record<string, string>)["idempotency-key"] ?? ""), { statusCode: 409, data: inProgress }));
    pool.intercept({ path: "/v1/projects", method: "POST" }).reply((opts) => (keys.push((opts.headers as Record<string, string>)["idempotency-key"] ?? ""), { statusCode: 201, data: project, responseOptions: json }));
    expect((await client.call(projectEndpoints.create, { body: { name: "Web", organization_id: "org_1" } })).id).toBe("proj_1");
    expect(new Set(keys).size).toBe(1);
    expect(sleeps).toHaveLength(1);
  });

  it("does not retry a 409 that is a real conflict", async () => {
    const { pool, client, sleeps } = setup();
    pool.intercept({ path: "/v1/projects", method: "POST" }).reply(409, { error: { code: "slug_taken", message: "taken" } }, json);
    const error = await client.call(projectEndpoints.create, { body: { name: "Web", organization_id: "org_1" } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 409, code: "slug_taken" });
    expect(sleeps).toEqual([]);
  });

  it("never waits past the call's deadline for a far-off Retry-After, and says when the limit resets", async () => {
    const { pool, client, sleeps } = setup({ deadlineMs: 2_000 });
    pool.intercept({ path: "/v1/organizations", method: "GET" }).reply(429, { error: { code: "rate_limit_exceeded", message: "slow down" } }, { headers: { "retry-after": "3600" } });
    const error = await client.call(organizationEndpoints.list).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as Error).message).toMatch(/rate limit is spent until \d{4}-\d\d-\d\dT[\d:.]+Z \(in 3601 s\), past this call's deadline of 2 s/);
    expect(sleeps).toEqual([]);
  });

  it("never waits past the call's deadline for the limiter's window either", async () => {
    const { pool, client, sleeps, now } = setup({ deadlineMs: 2_000 });
    const reset = Math.floor(now() / 1000) + 600;
    pool.intercept({ path: "/v1/projects/proj_1", method: "GET" }).reply(200, project, { headers: { ...json.headers, "x-ratelimit-limit": "100", "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) } });
    await client.call(projectEndpoints.get, { params: { id: "proj_1" } });
    const error = await client.call(projectEndpoints.get, { params: { id: "proj_1" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as Error).message).toMatch(/spent until .* \(in 600 s\)/);
    expect(sleeps).toEqual([]);
  });

  it("keeps one Idempotency-Key over a PUT's retries, so a create-only upload knows its own earlier write; a taken key is PreconditionFailedError", async () => {
    const { pool, client } = setup();
    const keys: string[] = [];
    const record = (opts: { headers?: unknown }) => keys.push((opts.headers as Record<string, string>)["idempotency-key"] ?? "");
    const path = "/v1/projects/p/storage/objects/assets/a.txt";
    pool.intercept({ path, method: "PUT" }).reply((opts) => (record(opts), { statusCode: 502, data: "bad gateway" }));
    pool.intercept({ path, method: "PUT", headers: { "if-none-match": "*" } }).reply((opts) => (record(opts), { statusCode: 412, data: { error: { code: "already_exists", message: "exists" } }, responseOptions: json }));
    const upload = { params: { id: "p", key: "assets/a.txt" }, raw: { bytes: Buffer.from("a"), contentType: "text/plain" }, headers: { "if-none-match": "*" } };
    const error = await client.call(storageEndpoints.putObject, upload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect(error).toMatchObject({ status: 412, code: "already_exists" });
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
  });

  it("waits for work in progress until the deadline, past the usual number of retries", async () => {
    const { pool, client, sleeps } = setup();
    const inProgress = { error: { code: "migration_in_progress", message: "being applied" } };
    pool.intercept({ path: "/v1/projects", method: "POST" }).reply(409, inProgress, json).times(14);
    pool.intercept({ path: "/v1/projects", method: "POST" }).reply(201, project, json);
    expect((await client.call(projectEndpoints.create, { body: { name: "Web", organization_id: "org_1" } })).id).toBe("proj_1");
    expect(sleeps).toHaveLength(14);
  });

  it("shows a server's control characters escaped in its messages", async () => {
    const { pool, client } = setup();
    pool.intercept({ path: "/v1/projects/proj_1", method: "GET" }).reply(400, { error: { code: "bad\u001b[0m", message: "\u001b[2J\u001b[31mred\u0007\rover\u202eevil" } }, json);
    const error = (await client.call(projectEndpoints.get, { params: { id: "proj_1" } }).catch((e: unknown) => e)) as LubesError;
    expect(error.message).toBe("\\x1b[2J\\x1b[31mred\\x07\\x0dover\\u202eevil (GET /projects/proj_1, request req_test)");
    expect(error.code).toBe("bad\\x1b[0m");
    expect(printable("a\nb")).toBe("a b");
  });

  it("gives up on a refused connection after a few seconds, naming the URL", async () => {
    const { pool, client, sleeps } = setup();
    pool.intercept({ path: "/v1/projects/proj_1", method: "GET" }).replyWithError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })).persist();
    const error = await client.call(projectEndpoints.get, { params: { id: "proj_1" } }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Could not reach the Lubes API at https:\/\/api\.lubes\.test\/v1 \(ECONNREFUSED\)/);
    expect(sleeps).toHaveLength(5);
  });
});

describe("request paths", () => {
  it.each([
    ["/projects/:id", { id: "proj_1" }, undefined, "/projects/proj_1"],
    ["/projects/:id/env/:key", { id: "p", key: "A B/C" }, undefined, "/projects/p/env/A%20B%2FC"],
    ["/projects/:id/storage/objects/:key", { id: "p", key: "avatars/a b.png" }, "key", "/projects/p/storage/objects/avatars/a%20b.png"],
  ])("%s with %j → %s", (template, params, wildcard, path) => {
    expect(buildPath(template, params, wildcard)).toBe(path);
  });

  it.each([{ id: "" }, { id: "." }, { id: ".." }, {}])("refuses %j", (params) => {
    expect(() => buildPath("/projects/:id", params as Record<string, string>)).toThrow(/path parameter "id"/);
  });
});

describe("retry delays", () => {
  it("honours Retry-After in seconds and as a date, and X-RateLimit-Reset on a 429", () => {
    const now = 1_700_000_000_000;
    expect(retryDelayMs(0, undefined, { retryAfter: "3" }, now, () => 0)).toBe(3000);
    expect(retryDelayMs(0, undefined, { retryAfter: new Date(now + 5000).toUTCString() }, now, () => 0)).toBe(5000);
    expect(retryDelayMs(3, undefined, {}, now, () => 0.999)).toBeLessThan(2000);
    expect(retryDelayMs(20, undefined, {}, now, () => 0.999)).toBeLessThan(8000);
  });
});

describe("credentials", () => {
  it("prefer stack config, fall back to the environment, and say how to set them when missing", () => {
    expect(resolveCredentials({ apiKey: "k", apiUrl: "http://localhost:8787/v1/" }, {})).toEqual({ apiKey: "k", apiUrl: "http://localhost:8787/v1", sources: { apiKey: "lubes:apiKey", apiUrl: "lubes:apiUrl" } });
    expect(resolveCredentials({}, { LUBES_API_KEY: "e", LUBES_API_URL: "https://x/v1" })).toEqual({ apiKey: "e", apiUrl: "https://x/v1", sources: { apiKey: "LUBES_API_KEY", apiUrl: "LUBES_API_URL" } });
    expect(resolveCredentials({}, { LUBES_API_KEY: "e" }).apiUrl).toBe("https://api.lubes.dev/v1");
    expect(() => resolveCredentials({}, {})).toThrow(/pulumi config set --secret lubes:apiKey/);
    expect(() => resolveCredentials({ apiKey: "k", apiUrl: "ftp://x" }, {})).toThrow(/http\(s\)/);
  });

  it.each([
    ["http://127.0.0.1:8787/v1", true], ["http://localhost:8787/v1", true], ["http://[::1]:8787/v1", true], ["http://127.9.9.9/v1", true],
    ["https://api.example.com/v1", true], ["http://api.example.com/v1", false], ["http://10.0.0.5:8787/v1", false], ["http://0.0.0.0:8787/v1", false],
  ])("sends the key over %s: %s (plain http only to this machine, unless allowed)", (apiUrl, allowed) => {
    const resolve = () => resolveCredentials({ apiKey: "k", apiUrl }, {});
    if (allowed) expect(resolve().apiUrl).toBe(apiUrl);
    else expect(resolve).toThrow(/plain http would send the API key in clear text[\s\S]*lubes:allowInsecureHttp true/);
    expect(resolveCredentials({ apiKey: "k", apiUrl, allowInsecureHttp: "true" }, {}).apiUrl).toBe(apiUrl);
    expect(resolveCredentials({ apiKey: "k", apiUrl }, { LUBES_ALLOW_INSECURE_HTTP: "1" }).apiUrl).toBe(apiUrl);
  });
});

describe("rate limiter", () => {
  /** A limiter whose sleeps move a fake clock instead of waiting. */
  async function limiterOnFakeClock(start: number) {
    const { RateLimiter } = await import("../../provider/client/limiter");
    let clock = start;
    const sleeps: number[] = [];
    const limiter = new RateLimiter(() => clock, (ms) => {
      sleeps.push(ms);
      clock += ms;
      return Promise.resolve();
    });
    return { limiter, sleeps, now: () => clock };
  }

  it("opens the next window with the plan's whole budget, and no more", async () => {
    const { limiter, sleeps, now } = await limiterOnFakeClock(0);
    await limiter.acquire();
    limiter.release({ limit: "3", remaining: "0", reset: "60" });
    // Waits once for the reset, then 3 calls fit in the new window (each answered before the next starts).
    for (let i = 0; i < 3; i++) {
      await limiter.acquire();
      limiter.release({ limit: "3", remaining: String(2 - i), reset: "120" });
    }
    expect(sleeps).toHaveLength(1);
    await limiter.acquire(); // the 4th waits for the window after
    expect(sleeps).toHaveLength(2);
    expect(now()).toBeGreaterThanOrEqual(120_000);
  });

  it.each([
    ["ten minutes behind", -600_000],
    ["ten minutes ahead", 600_000],
  ])("waits what the window has left by the server's clock when the client's clock is %s", async (_, skew) => {
    const serverNow = Date.UTC(2026, 11, 1, 12, 0, 45);
    const { limiter, sleeps, now } = await limiterOnFakeClock(serverNow + skew);
    await limiter.acquire();
    // The window resets at 12:01:00 server time, 15 s after the server answered.
    const reset = String((serverNow + 15_000) / 1000);
    limiter.release({ limit: "3", remaining: "0", reset, date: new Date(serverNow).toUTCString() });
    expect(limiter.waitUntil() - now()).toBe(15_000);
    await limiter.acquire();
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(15_000);
    expect(sleeps[0]).toBeLessThan(16_000);
    // The next window's answers are recognised as the window the limiter rolled into, not as a newer one.
    limiter.release({ limit: "3", remaining: "1", reset: String((serverNow + 75_000) / 1000), date: new Date(serverNow + 16_000).toUTCString() });
    expect(limiter.snapshot()).toMatchObject({ remaining: 1, window: serverNow + 75_000 });
  });
});
