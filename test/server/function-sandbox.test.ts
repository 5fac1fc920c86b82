// A function is hostile code (issue 12): each attack a tenant's function made on the server, reproduced against a
// real lubes-server. Each must now fail to do harm, and the server must go on serving.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { createOrg, createProject, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

/** Runs `body` inside the function; the answer is what it returned, or the code of the error it met. */
const probe = (body: string) => `export default async (request, env) => {
  try {
    const result = await (async () => { ${body} })();
    return Response.json({ ok: true, result });
  } catch (error) {
    return Response.json({ ok: false, code: error.code ?? null, message: String(error.message) });
  }
};`;

describeEachEngine("functions are sandboxed", (engine) => {
  let server: TestServer;
  let attacker: TestUser;
  let projectId: string;
  const secretFile = path.join(mkdtempSync(path.join(os.tmpdir(), "lubes-secret-")), "credentials.json");
  const fns = (suffix = "") => `/projects/${projectId}/functions${suffix}`;
  /** Creates, deploys and invokes a function of `source`; its JSON answer and the HTTP status. */
  const attack = async (slug: string, source: string, options: Record<string, unknown> = {}) => {
    const created = await server.api.post(fns(), { token: attacker.token, body: { slug, source, ...options } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const deployed = await server.api.post(fns(`/${slug}/deploy`), { token: attacker.token });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    const res = await fetch(`${server.url}${fns(`/${slug}/invoke`)}`, { method: "POST", headers: { authorization: `Bearer ${attacker.token}` } });
    return { status: res.status, body: (await res.json()) as { ok?: boolean; code?: string; result?: unknown; error?: { code: string } } };
  };
  const stillServing = async () => expect((await server.api.get("/health")).status).toBe(200);

  beforeAll(async () => {
    writeFileSync(secretFile, JSON.stringify({ api_key: "lubes_sk_someone_elses" }));
    server = await startTestServer(engine);
    attacker = await signUp(server.api, "attacker");
    projectId = (await createProject(server.api, attacker.token, (await createOrg(server.api, attacker.token)).id, "Evil")).id;
    await server.api.post(`/projects/${projectId}/env`, { token: attacker.token, body: { key: "OWN_VAR", value: "mine" } });
  });
  afterAll(() => server.close());

  it("cannot read the server's files, its environment, or write anywhere", async () => {
    for (const [slug, code] of [
      ["read-secret", `return (await import("node:fs")).readFileSync(${JSON.stringify(secretFile)}, "utf8");`],
      ["read-environ", `return (await import("node:fs")).readFileSync("/proc/self/environ", "utf8");`],
      ["read-parent", `return (await import("node:fs")).readFileSync("/proc/" + process.ppid + "/environ", "utf8");`],
      ["write-file", `(await import("node:fs")).writeFileSync(${JSON.stringify(`${secretFile}.pwned`)}, "x"); return "wrote";`],
    ]) {
      const { body } = await attack(slug ?? "", probe(code ?? ""));
      expect(body, slug).toMatchObject({ ok: false, code: "ERR_ACCESS_DENIED" });
    }
  });

  it("sees only its project's variables", async () => {
    const { body } = await attack("env", probe("return Object.keys(process.env).sort();"));
    expect(body).toEqual({ ok: true, result: ["OWN_VAR"] });
  });

  it("is given variables named like Node's own settings as variables, never as settings of its process", async () => {
    // NODE_OPTIONS in a process's environment at start is read by Node as command-line options, where a grant of
    // the file system or of child processes outranks the sandbox's denial: the variables reach the process with its
    // first run instead.
    const other = (await createProject(server.api, attacker.token, (await createOrg(server.api, attacker.token)).id, "Options")).id;
    const options = "--allow-fs-read=* --allow-child-process";
    await server.api.post(`/projects/${other}/env`, { token: attacker.token, body: { key: "NODE_OPTIONS", value: options } });
    const fn = `/projects/${other}/functions/options`;
    const source = probe(`return {
      options: process.env.NODE_OPTIONS,
      read: await (async () => { try { return (await import("node:fs")).readFileSync(${JSON.stringify(secretFile)}, "utf8"); } catch (error) { return error.code; } })(),
      exec: await (async () => { try { return (await import("node:child_process")).execSync("id").toString(); } catch (error) { return error.code; } })(),
    };`);
    await server.api.post(`/projects/${other}/functions`, { token: attacker.token, body: { slug: "options", source } });
    await server.api.post(`${fn}/deploy`, { token: attacker.token });
    const res = await fetch(`${server.url}${fn}/invoke`, { method: "POST", headers: { authorization: `Bearer ${attacker.token}` } });
    expect(await res.json()).toEqual({ ok: true, result: { options, read: "ERR_ACCESS_DENIED", exec: "ERR_ACCESS_DENIED" } });
  });

  it("cannot start processes or threads, load native code, open the inspector, or signal the server", async () => {
    for (const [slug, code] of [
      ["exec", `return (await import("node:child_process")).execSync("id").toString();`],
      ["worker", `return new (await import("node:worker_threads")).Worker("1", { eval: true }).threadId;`],
      ["addon", `process.dlopen({ exports: {} }, "/usr/lib/x86_64-linux-gnu/libc.so.6"); return "loaded";`],
      ["inspector", `(await import("node:inspector")).open(0); return "open";`],
    ]) {
      const { body } = await attack(slug ?? "", probe(code ?? ""));
      expect(body, slug).toMatchObject({ ok: false });
    }
    const { body } = await attack("kill", probe(`process.kill(process.ppid, "SIGKILL"); return "sent";`));
    expect(body).toMatchObject({ ok: false, message: "process.kill is not available to a function" });
    await stillServing();
  });

  it("is stopped at its memory limit even when it fills Buffers outside V8's heap; the server's memory stays its own", async () => {
    const before = process.memoryUsage().rss;
    const { status, body } = await attack("buffers", "export default async () => { const keep = []; for (;;) keep.push(Buffer.alloc(16 * 1024 * 1024, 1)); };", { memory_mb: 64 });
    expect(status).toBe(502);
    expect(body.error?.code).toBe("function_out_of_memory");
    // The Buffers were the child's: this process did not grow by anything like them (2 GB before the sandbox).
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
    await stillServing();
  });

  it("runs top-level code at deploy in the sandbox too: a module that reads a secret as it loads fails to deploy", async () => {
    const source = `import fs from "node:fs"; const stolen = fs.readFileSync(${JSON.stringify(secretFile)}, "utf8"); export default async () => new Response(stolen);`;
    await server.api.post(fns(), { token: attacker.token, body: { slug: "load-time", source } });
    const deployed = await server.api.post(fns("/load-time/deploy"), { token: attacker.token });
    expect(deployed.status).toBe(422);
    expect(JSON.stringify(deployed.body)).toMatch(/Access to this API has been restricted/);
  });

  it("can still call APIs over the network", async () => {
    const { body } = await attack("fetch", probe(`return (await fetch(${JSON.stringify(`${server.url}/health`)})).status;`));
    expect(body).toEqual({ ok: true, result: 200 });
  });
});

it("bounds runs at once per project (429) and overall (503), and gives the slots back", async () => {
  // The functions wait on this gate (a fetch to it) until the test opens it: runs held open without a fixed wait.
  const waiting: (() => void)[] = [];
  const gate = createServer((_req, res) => waiting.push(() => res.end("open")));
  await new Promise<void>((resolve) => gate.listen(0, "127.0.0.1", resolve));
  const gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/`;
  const server = await startTestServer("pglite", { maxInvocations: 2, maxInvocationsPerProject: 1 });
  try {
    const user = await signUp(server.api, "busy");
    const orgId = (await createOrg(server.api, user.token)).id;
    const projects = await Promise.all(["P", "Q", "R"].map(async (name) => (await createProject(server.api, user.token, orgId, name)).id));
    for (const id of projects) {
      await server.api.post(`/projects/${id}/functions`, { token: user.token, body: { slug: "held", source: `export default async () => new Response(await (await fetch(${JSON.stringify(gateUrl)})).text());` } });
      await server.api.post(`/projects/${id}/functions/held/deploy`, { token: user.token });
    }
    const invoke = (projectId: string) => fetch(`${server.url}/projects/${projectId}/functions/held/invoke`, { method: "POST", headers: { authorization: `Bearer ${user.token}` } });
    const until = async (count: number) => {
      while (waiting.length < count) await new Promise((resolve) => setImmediate(resolve));
    };
    const [p, q, r] = projects as [string, string, string];
    const first = invoke(p);
    await until(1);
    const sameProject = await invoke(p);
    expect(sameProject.status).toBe(429);
    expect(sameProject.headers.get("retry-after")).toBe("1");
    expect(((await sameProject.json()) as { error: { code: string } }).error.code).toBe("too_many_invocations");
    const second = invoke(q);
    await until(2);
    const third = await invoke(r);
    expect(third.status).toBe(503);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe("server_busy");
    for (const open of waiting.splice(0)) open();
    expect(await (await first).text()).toBe("open");
    expect(await (await second).text()).toBe("open");
    const again = invoke(p);
    await until(1);
    for (const open of waiting.splice(0)) open();
    expect((await again).status).toBe(200);
  } finally {
    await server.close();
    gate.close();
  }
});

it("keeps a warm process per version and variables, frozen between runs, and replaces it after a run that failed", async () => {
  const server = await startTestServer("pglite");
  const pids: number[] = [];
  try {
    const user = await signUp(server.api, "warm");
    const projectId = (await createProject(server.api, user.token, (await createOrg(server.api, user.token)).id, "Warm")).id;
    const fns = `/projects/${projectId}/functions`;
    // Module state counts the runs one process served; `?fail` throws, `?hang` never answers.
    const source = (version: number) => `let runs = 0;
      export default async (request) => {
        const url = new URL(request.url);
        if (url.searchParams.has("hang")) await new Promise(() => {});
        runs += 1;
        if (url.searchParams.has("fail")) throw new Error("failed on purpose");
        return Response.json({ version: ${version}, runs, pid: process.pid, greeting: process.env.GREETING ?? null });
      };`;
    await server.api.post(fns, { token: user.token, body: { slug: "warm", source: source(1), timeout_ms: 1000 } });
    await server.api.post(`${fns}/warm/deploy`, { token: user.token });
    const invoke = async (query = "") => {
      const res = await fetch(`${server.url}${fns}/warm/invoke${query}`, { method: "POST", headers: { authorization: `Bearer ${user.token}` } });
      return { status: res.status, body: (await res.json()) as { version: number; runs: number; pid: number; greeting: string | null } };
    };
    const first = await invoke();
    const second = await invoke();
    pids.push(first.body.pid);
    expect([first.body.runs, second.body.runs]).toEqual([1, 2]);
    expect(second.body.pid).toBe(first.body.pid);
    // Between runs the process is stopped (the signal lands a moment after the answer): nothing of the function
    // runs while it waits. Until it is (T), the test waits; a process never stopped fails it by its timeout. (Testing
    // "R or S" instead let a brief D end the wait before the signal landed.)
    const state = () => readFileSync(`/proc/${first.body.pid}/stat`, "utf8").split(") ")[1]?.[0];
    while (state() !== "T") await new Promise((resolve) => setImmediate(resolve));

    // Other variables, or another version: another process.
    await server.api.post(`/projects/${projectId}/env`, { token: user.token, body: { key: "GREETING", value: "hi" } });
    const newVariables = await invoke();
    expect(newVariables.body).toMatchObject({ runs: 1, greeting: "hi" });
    expect(newVariables.body.pid).not.toBe(first.body.pid);
    await server.api.patch(`${fns}/warm`, { token: user.token, body: { source: source(2) } });
    await server.api.post(`${fns}/warm/deploy`, { token: user.token });
    const newVersion = await invoke();
    expect(newVersion.body).toMatchObject({ version: 2, runs: 1 });
    pids.push(newVersion.body.pid);

    // A run that threw or timed out is not reused: the next run starts afresh.
    expect((await invoke("?fail")).status).toBe(502);
    expect((await invoke()).body.runs).toBe(1);
    expect((await invoke("?hang")).status).toBe(504);
    const afterTimeout = await invoke();
    expect(afterTimeout.body.runs).toBe(1);
    // A warm process killed from outside while it waits is passed over: the next run gets a new one.
    process.kill(afterTimeout.body.pid, "SIGKILL");
    const gone = () => !existsSync(`/proc/${afterTimeout.body.pid}`) || readFileSync(`/proc/${afterTimeout.body.pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z");
    while (!gone()) await new Promise((resolve) => setImmediate(resolve));
    const afterKill = await invoke();
    expect(afterKill.status).toBe(200);
    expect(afterKill.body.runs).toBe(1);
    pids.push(afterKill.body.pid);
  } finally {
    await server.close();
  }
  // Closing the server ends its warm processes.
  const alive = () => pids.filter((pid) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z"));
  while (alive().length > 0) await new Promise((resolve) => setImmediate(resolve));
});
