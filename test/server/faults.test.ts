// Fault injection as reliability tests use it: switched on a running server through PUT /v1/admin/faults (a server
// started with LUBES_FAULTS, loopback clients only), each fault answering as its real counterpart would.
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createOrg, expectEnvelope, setFaults, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

let server: TestServer;
let owner: TestUser;
beforeAll(async () => {
  server = await startTestServer("pglite", { faults: {} });
  owner = await signUp(server.api, "faults");
});
afterAll(() => server.close());

const switchTo = (faults: string) => setFaults(server.api, faults);
const organizationNames = async () => ((await server.api.get("/organizations?limit=100", { token: owner.token })).body.data as { name: string }[]).map((o) => o.name);

it("switches faults on and off on the running server, and refuses what it cannot read", async () => {
  expect((await server.api.get("/admin/faults")).body).toEqual({ faults: "(the test's own rules)" });
  await switchTo("fail=1@GET /v1/projects");
  expect((await server.api.get("/admin/faults")).body).toEqual({ faults: "fail=1@GET /v1/projects" });
  expectEnvelope(await server.api.get("/projects", { token: owner.token }), 503, "injected_fault");
  // Other routes, and the health check, are untouched.
  expect((await server.api.get("/organizations", { token: owner.token })).status).toBe(200);
  await switchTo("off");
  expect((await server.api.get("/projects", { token: owner.token })).status).toBe(200);
  const refused = await server.api.request("PUT", "/admin/faults", { body: { faults: "fail=2" } });
  expectEnvelope(refused, 422, "validation_error");
  expect(refused.body.error.details).toMatchObject({ field: "faults", constraint: "format" });
  expect(refused.body.error.message).toContain('"fail=2"');
});

it("answers an injected rate limit as the real one: 429 with X-RateLimit-* and Retry-After", async () => {
  await switchTo("rate_limit=1@/v1/projects");
  const limited = await server.api.get("/projects", { token: owner.token });
  expectEnvelope(limited, 429, "rate_limit_exceeded");
  expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
  expect(Number(limited.headers.get("x-ratelimit-limit"))).toBeGreaterThan(0);
  expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expect(Number(limited.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000 - 1);
  await switchTo("bad_gateway=1@/v1/projects");
  expectEnvelope(await server.api.get("/projects", { token: owner.token }), 502, "injected_fault");
  await switchTo("off");
});

it("resets a connection before the request runs, or drops the answer after it committed", async () => {
  await switchTo("reset=1@POST /v1/organizations");
  await expect(createOrg(server.api, owner.token, { name: "Never Made" })).rejects.toThrow();
  await switchTo("drop=1@POST /v1/organizations");
  await expect(createOrg(server.api, owner.token, { name: "Made Unheard" })).rejects.toThrow();
  await switchTo("off");
  const names = await organizationNames();
  expect(names).not.toContain("Never Made");
  expect(names).toContain("Made Unheard");
});

const outsideAddress = Object.values(networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal)?.address;

it.skipIf(!outsideAddress)("answers fault switching only to this machine (loopback)", async () => {
  const open = await startTestServer("pglite", { faults: {}, host: "0.0.0.0" });
  try {
    const { port } = new URL(open.url);
    const outside = await fetch(`http://${outsideAddress ?? ""}:${port}/v1/admin/faults`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ faults: "fail=1" }) });
    expect(outside.status).toBe(403);
    expect((await open.api.get("/admin/faults")).body).toEqual({ faults: "(the test's own rules)" });
  } finally {
    await open.close();
  }
});
