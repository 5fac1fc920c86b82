// One lubes-server shared by several people (issue 12), outside function code: what a function's response may say on
// the API's origin, how uploaded files are served, who may read the dev outbox, what a project-scoped key may do to
// an organization, and malformed uploads. Each test reproduces an attack that worked before its fix.
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { createKey, createOrg, createProject, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

describeEachEngine("a shared lubes-server", (engine) => {
  let server: TestServer;
  let owner: TestUser;
  let orgId: string;
  let projectId: string;

  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = await signUp(server.api, "sharer");
    orgId = (await createOrg(server.api, owner.token)).id;
    projectId = (await createProject(server.api, owner.token, orgId, "Shared")).id;
  });
  afterAll(() => server.close());

  it("a function's response cannot set the API's own headers, cookies or CORS for the API's origin", async () => {
    const source = `export default async () => new Response("hi", { headers: {
      "x-request-id": "forged", "x-ratelimit-remaining": "999999", "set-cookie": "session=stolen; Path=/",
      "access-control-allow-origin": "*", "access-control-allow-credentials": "true", "x-lubes-function-version": "999", "x-custom": "kept",
    } });`;
    await server.api.post(`/projects/${projectId}/functions`, { token: owner.token, body: { slug: "headers", source } });
    await server.api.post(`/projects/${projectId}/functions/headers/deploy`, { token: owner.token });
    const res = await fetch(`${server.url}/projects/${projectId}/functions/headers/invoke`, { method: "POST", headers: { authorization: `Bearer ${owner.token}` } });
    expect(await res.text()).toBe("hi");
    expect(res.headers.get("x-custom")).toBe("kept");
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    expect(Number(res.headers.get("x-ratelimit-remaining"))).toBeLessThan(999999);
    expect(res.headers.get("x-lubes-function-version")).toBe("1");
    for (const name of ["set-cookie", "access-control-allow-origin", "access-control-allow-credentials"]) expect(res.headers.get(name), name).toBeNull();
    const logs = await server.api.get(`/projects/${projectId}/functions/headers/logs`, { token: owner.token });
    const warning = (logs.body.data as { level: string; message: string }[]).find((line) => line.level === "warn")?.message ?? "";
    for (const name of ["x-request-id", "x-ratelimit-remaining", "set-cookie", "access-control-allow-origin", "x-lubes-function-version"]) expect(warning, name).toContain(name);
    expect(warning).not.toContain("x-custom");
  });

  it("serves uploaded HTML from a public bucket as inert: no sniffing, sandboxed", async () => {
    await server.api.post(`/projects/${projectId}/storage/buckets`, { token: owner.token, body: { name: "site", public: true } });
    await server.api.request("PUT", `/projects/${projectId}/storage/objects/site/evil.html`, { token: owner.token, raw: "<script>fetch('/v1/auth/me')</script>", headers: { "content-type": "text/html" } });
    const res = await fetch(`${server.url}/projects/${projectId}/storage/objects/site/evil.html`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe("sandbox");
  });

  it("a project-scoped key cannot take its user out of the organization", async () => {
    const scoped = await createKey(server.api, owner.token, { name: "one-project", projects: [projectId] });
    const members = await server.api.get(`/organizations/${orgId}/members`, { token: owner.token });
    const self = (members.body.data as { id: string; user_id: string }[]).find((m) => m.user_id === owner.id);
    const res = await server.api.delete(`/organizations/${orgId}/members/${self?.id ?? ""}`, { token: scoped });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/needs a key for all projects/);
    expect((await server.api.get(`/organizations/${orgId}/members`, { token: owner.token })).body.data).toHaveLength(members.body.data.length);
  });

  it("answers malformed multipart uploads with 400 in the envelope, never 500", async () => {
    const post = (contentType: string, body: string) =>
      fetch(`${server.url}/projects/${projectId}/storage/objects`, { method: "POST", headers: { authorization: `Bearer ${owner.token}`, "content-type": contentType }, body });
    const file = (boundary: string) => `--${boundary}\r\nContent-Disposition: form-data; name="bucket"\r\n\r\nsite\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello`;
    for (const [what, res] of [
      ["no boundary", await post("multipart/form-data", file("x"))],
      ["garbage", await post("multipart/form-data; boundary=x", "\u0000\u0001 not a form at all")],
      ["wrong boundary", await post("multipart/form-data; boundary=y", `${file("x")}\r\n--x--\r\n`)],
      ["truncated file", await post("multipart/form-data; boundary=x", file("x"))],
    ] as const) {
      expect(res.status, what).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, what).toMatch(/^[a-z_]+$/);
    }
  });
});

/** An address of this machine that is not loopback, when it has one. */
const outsideAddress = Object.values(networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal)?.address;

it.skipIf(!outsideAddress)("answers the dev outbox only to this machine (loopback)", async () => {
  const server = await startTestServer("pglite", { dev: true, host: "0.0.0.0" });
  try {
    const { port } = new URL(server.url);
    const ask = (host: string) => fetch(`http://${host}:${port}/v1/dev/outbox?email=a%40example.com`);
    expect((await ask("127.0.0.1")).status).toBe(200);
    // Over the machine's network address the client is not this machine as far as the server can tell.
    const outside = await ask(outsideAddress ?? "");
    expect(outside.status).toBe(403);
    expect(((await outside.json()) as { error: { message: string } }).error.message).toMatch(/only to loopback clients/);
  } finally {
    await server.close();
  }
});
