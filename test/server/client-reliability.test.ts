// The provider's client against a real lubes-server with injected faults: a flaky or rate-limited API never leaves
// a duplicate and never fails an operation that can succeed.
import { afterEach, describe, expect, it } from "vitest";
import { organizationEndpoints, projectEndpoints } from "../../contract";
import { LubesClient } from "../../provider/client";
import { createKey, signUp, startTestServer, type TestServer } from "../support/server";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientOf(srv: TestServer, options: ConstructorParameters<typeof LubesClient>[1] = {}) {
  const owner = await signUp(srv.api, "client");
  const key = await createKey(srv.api, owner.token, { name: "provider" });
  const client = new LubesClient({ apiUrl: srv.url, apiKey: key }, options);
  const org = await client.call(organizationEndpoints.create, { body: { name: "Reliable" } });
  return { client, org };
}

describe("the client against lubes-server with injected faults", () => {
  it("makes exactly one project when the response to its create is lost", async () => {
    let creates = 0;
    // The first answer to each project create is dropped after the project is made.
    server = await startTestServer("pglite", { faults: { fail: 0, drop: (r) => r.method === "POST" && r.url === "/v1/projects" && ++creates % 2 === 1 } });
    const { client, org } = await clientOf(server);
    const project = await client.call(projectEndpoints.create, { body: { name: "Only Once", organization_id: org.id } });
    expect(creates).toBe(2);
    const all = await client.call(projectEndpoints.list, { query: { organization_id: org.id, limit: 100 } });
    expect(all.data.map((p) => p.id)).toEqual([project.id]);
  });

  it("completes every call while a third of requests fail before they run", async () => {
    let n = 0;
    server = await startTestServer("pglite", { faults: { fail: (r) => r.url.startsWith("/v1/projects") && ++n % 3 === 0, drop: 0 } });
    const { client, org } = await clientOf(server, { sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) });
    const names = Array.from({ length: 12 }, (_, i) => `P${i}`);
    await Promise.all(names.map((name) => client.call(projectEndpoints.create, { body: { name, organization_id: org.id } })));
    const all = await client.call(projectEndpoints.list, { query: { organization_id: org.id, limit: 100 } });
    expect(all.data.map((p) => p.name).sort()).toEqual([...names].sort());
  });

  it("slows down through a spent rate limit and fails nothing", async () => {
    server = await startTestServer("pglite", { rateLimits: { free: 15, pro: 15, team: 15 } });
    const srv = server;
    const calls: number[] = [];
    const { client, org } = await clientOf(srv, { now: () => srv.now().getTime(), onCall: (c) => calls.push(c.status ?? 0) });
    // Both clocks (the client reads the server's) move to 2 s before a minute boundary: a fresh window with its whole
    // budget, which runs out, then resets soon.
    srv.advanceClock((((60_000 - (srv.now().getTime() % 60_000)) - 2_000) + 60_000) % 60_000);
    calls.length = 0;
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => client.call(organizationEndpoints.get, { params: { id: org.id } })));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(calls.filter((s) => s === 429)).toEqual([]); // it paced itself: not one call was refused
    expect(calls).toHaveLength(25);
  });
});
