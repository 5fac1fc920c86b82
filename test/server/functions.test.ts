// Functions over real HTTP: drafts, immutable deployed versions, invocation in isolated workers, limits and logs.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { createOrg, createProject, expectEnvelope, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

const ECHO = `export default async (request, env) => {
  console.log("handling", request.method);
  const url = new URL(request.url);
  return new Response(JSON.stringify({
    version: 1,
    method: request.method,
    query: url.searchParams.get("q"),
    body: request.method === "GET" ? null : await request.text(),
    auth: request.headers.get("authorization"),
    custom: request.headers.get("x-custom"),
    fromEnv: env.GREETING ?? null,
    fromProcessEnv: process.env.GREETING ?? null,
    serverPath: process.env.PATH ?? null,
  }), { status: 201, headers: { "content-type": "application/json", "x-from-function": "yes" } });
};`;

describeEachEngine("functions", (engine) => {
  let server: TestServer;
  let owner: TestUser;
  let projectId: string;
  const fns = (suffix = "") => `/projects/${projectId}/functions${suffix}`;
  const invoke = (slug: string, init: RequestInit & { query?: string } = {}) =>
    fetch(`${server.url}${fns(`/${slug}/invoke`)}${init.query ?? ""}`, { ...init, headers: { authorization: `Bearer ${owner.token}`, ...(init.headers as Record<string, string>) } });
  const create = (body: Record<string, unknown>) => server.api.post(fns(), { token: owner.token, body });
  const deploy = (slug: string) => server.api.post(fns(`/${slug}/deploy`), { token: owner.token });

  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = await signUp(server.api, "owner");
    projectId = (await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id, "Fns")).id;
    await server.api.post(`/projects/${projectId}/env`, { token: owner.token, body: { key: "GREETING", value: "hello from env", sensitive: true } });
  });
  afterAll(() => server.close());

  it("creates a function as a draft with defaults, and refuses a duplicate slug", async () => {
    const res = await create({ slug: "echo", source: ECHO });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ slug: "echo", name: "echo", runtime: "nodejs20", timeout_ms: 10_000, memory_mb: 128, live_version: null, source: ECHO, source_sha256: createHash("sha256").update(ECHO).digest("hex") });
    expectEnvelope(await create({ slug: "echo", source: ECHO }), 409, "function_exists");
    for (const body of [{ slug: "Bad Slug", source: ECHO }, { slug: "x", source: "" }, { slug: "x", source: ECHO, runtime: "python3" }, { slug: "x", source: ECHO, timeout_ms: 10 }, { slug: "x", source: ECHO, memory_mb: 4096 }]) {
      expectEnvelope(await create(body), 422, "validation_error");
    }
  });

  it("refuses to invoke a function that was never deployed", async () => {
    const res = await invoke("echo", { method: "POST", body: "x" });
    expect(res.status).toBe(409);
    expect(((await res.json()) as any).error.code).toBe("not_deployed");
  });

  it("deploys an immutable version and runs it with the caller's method, query, headers (minus Authorization) and body", async () => {
    const deployed = await deploy("echo");
    expect(deployed.status).toBe(201);
    expect(deployed.body).toMatchObject({ slug: "echo", version: 1, live: true, checksum: createHash("sha256").update(ECHO).digest("hex") });
    const res = await invoke("echo", { method: "POST", body: "payload", query: "?q=search", headers: { "x-custom": "42" } });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-from-function")).toBe("yes");
    expect(res.headers.get("x-lubes-invocation-id")).toMatch(/^inv_/);
    expect(res.headers.get("x-lubes-function-version")).toBe("1");
    expect(await res.json()).toEqual({
      version: 1, method: "POST", query: "search", body: "payload", auth: null, custom: "42",
      fromEnv: "hello from env", fromProcessEnv: "hello from env", serverPath: null,
    });
    for (const method of ["GET", "PUT", "PATCH", "DELETE"]) {
      const other = await invoke("echo", { method, ...(method === "GET" ? {} : { body: "b" }) });
      expect(((await other.json()) as any).method).toBe(method);
    }
  });

  it("keeps running the live version while the draft changes, until the next deploy", async () => {
    const v2 = ECHO.replace("version: 1", "version: 2");
    const updated = await server.api.patch(fns("/echo"), { token: owner.token, body: { source: v2 } });
    expect(updated.body).toMatchObject({ live_version: 1, source: v2 });
    expect(((await (await invoke("echo", { method: "GET" })).json()) as any).version).toBe(1);
    // As the reference's clients send every POST: Content-Type: application/json, and here nothing in it.
    const redeploy = await server.api.post(fns("/echo/deploy"), { token: owner.token, raw: "", headers: { "content-type": "application/json" } });
    expect(redeploy.status, redeploy.text).toBe(201);
    expect(redeploy.body.version).toBe(2);
    expect(((await (await invoke("echo", { method: "GET" })).json()) as any).version).toBe(2);
  });

  it("fails a deploy of source that does not load, logs why, and leaves the previous version live", async () => {
    await server.api.patch(fns("/echo"), { token: owner.token, body: { source: "export default async (request => {" } });
    const failed = await deploy("echo");
    expectEnvelope(failed, 422, "deploy_failed");
    expect(failed.body.error.message).toMatch(/version 2 stays live/);
    expect(failed.body.error.details.error).toMatch(/SyntaxError/);
    expect(((await (await invoke("echo", { method: "GET" })).json()) as any).version).toBe(2);
    const logs = await server.api.get(fns("/echo/logs"), { token: owner.token });
    expect(logs.body.data).toContainEqual(expect.objectContaining({ kind: "deploy", level: "error", message: expect.stringMatching(/Deploy failed: SyntaxError/) }));

    await server.api.patch(fns("/echo"), { token: owner.token, body: { source: "export const notAHandler = 1;" } });
    expect((await deploy("echo")).body.error.details.error).toMatch(/default export must be a function/);
    expect((await server.api.get(fns("/echo"), { token: owner.token })).body.live_version).toBe(2);
    // A failed deploy makes no version: the list holds the two that loaded, newest first, the live one marked.
    const versions = await server.api.get(fns("/echo/versions"), { token: owner.token });
    expect(versions.status).toBe(200);
    expect(versions.body.data.map((v: { version: number; live: boolean }) => [v.version, v.live])).toEqual([[2, true], [1, false]]);
    expect(versions.body.data[1].checksum).toBe(createHash("sha256").update(ECHO).digest("hex"));
    expect(versions.body.pagination).toMatchObject({ total: 2, has_more: false });
  });

  it("records console output with version, invocation id and level, newest first, filtered by since", async () => {
    const started = new Date().toISOString();
    await create({ slug: "chatty", source: `export default async () => { console.log("first"); console.warn("careful", { n: 1 }); console.error(new Error("oops")); return new Response("ok"); };` });
    await deploy("chatty");
    const res = await invoke("chatty", { method: "POST" });
    const invocation = res.headers.get("x-lubes-invocation-id");
    const logs = await server.api.get(fns(`/chatty/logs?since=${encodeURIComponent(started)}`), { token: owner.token });
    const runtime = logs.body.data.filter((l: { kind: string }) => l.kind === "runtime");
    expect(runtime.map((l: { level: string; message: string }) => [l.level, l.message.split("\n")[0]])).toEqual([["error", "Error: oops"], ["warn", 'careful {"n":1}'], ["info", "first"]]);
    expect(runtime.every((l: { version: number; invocation_id: string }) => l.version === 1 && l.invocation_id === invocation)).toBe(true);
    expect(logs.body.data.some((l: { kind: string }) => l.kind === "deploy")).toBe(true);
    const future = await server.api.get(fns(`/chatty/logs?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`), { token: owner.token });
    expect(future.body.data).toEqual([]);
    expectEnvelope(await server.api.get(fns("/chatty/logs?since=yesterday"), { token: owner.token }), 400);
  });

  it("stops a function that runs past its timeout while the server keeps serving", async () => {
    await create({ slug: "loop", source: "export default async () => { for (;;) {} };", timeout_ms: 500 });
    await deploy("loop");
    const [res, health] = await Promise.all([invoke("loop", { method: "POST" }), server.api.get("/health")]);
    expect(res.status).toBe(504);
    expect(((await res.json()) as any).error.code).toBe("function_timeout");
    expect(health.status).toBe(200);
    const logs = await server.api.get(fns("/loop/logs"), { token: owner.token });
    expect(logs.body.data[0]).toMatchObject({ kind: "runtime", level: "error", message: expect.stringMatching(/timeout of 500 ms/) });
  });

  it("stops a function that exceeds its memory limit", async () => {
    await create({ slug: "hog", source: "export default async () => { const keep = []; for (;;) keep.push(new Array(100000).fill(1)); };", memory_mb: 32 });
    await deploy("hog");
    const res = await invoke("hog", { method: "POST" });
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).error.code).toBe("function_out_of_memory");
    expect((await server.api.get("/health")).status).toBe(200);
  });

  it("reports a function that throws or returns something other than a Response", async () => {
    await create({ slug: "thrower", source: "export default async () => { throw new TypeError('bad input'); };" });
    await deploy("thrower");
    const thrown = await invoke("thrower", { method: "POST" });
    expect(thrown.status).toBe(502);
    const body = (await thrown.json()) as any;
    expect(body.error).toMatchObject({ code: "function_error", message: expect.stringMatching(/TypeError: bad input/), details: { invocation_id: expect.stringMatching(/^inv_/), version: 1 } });
    await create({ slug: "wrong", source: "export default async () => 'not a response';" });
    await deploy("wrong");
    const wrong = await invoke("wrong", { method: "POST" });
    expect(wrong.status).toBe(502);
    expect(((await wrong.json()) as any).error.message).toMatch(/not a Response/);
  });

  it("lists, gets and deletes functions", async () => {
    const list = await server.api.get(fns("?limit=100"), { token: owner.token });
    expect(list.body.data.map((f: { slug: string }) => f.slug)).toEqual(expect.arrayContaining(["echo", "chatty", "loop"]));
    expect((await server.api.delete(fns("/chatty"), { token: owner.token })).status).toBe(204);
    expectEnvelope(await server.api.get(fns("/chatty"), { token: owner.token }), 404);
    expect((await invoke("chatty", { method: "POST" })).status).toBe(404);
  });
});
