// lubes-server as a newcomer runs it, through its package's `lubes-server` bin (compiled by `npm run build`): it
// starts on an empty data dir, prints a URL and working credentials, and answers the seed's "Create a Project" example
// with the seed's response shape.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium } from "playwright-core";
import { chromiumPath } from "../support/browser";
import { Api } from "../support/server";

const SERVER = path.resolve(__dirname, "../../server");
const bin = (JSON.parse(readFileSync(path.join(SERVER, "package.json"), "utf8")) as { bin: Record<string, string> }).bin["lubes-server"] ?? "";

describe("lubes-server started from the command line", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "lubes-main-"));
  let child: ChildProcess;
  let output = "";

  beforeAll(async () => {
    child = spawn(process.execPath, [path.join(SERVER, bin)], {
      env: { ...process.env, PORT: "0", LUBES_DATA_DIR: dataDir, LUBES_LOG: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (!/api key:\s+\S+/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`lubes-server did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(() => {
    child.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("prints its URL and a working API key, then serves the seed's Create a Project, Execute a Query and Upload a File examples", async () => {
    const url = /ready at (http:\/\/\S+)/.exec(output)?.[1];
    const key = /api key:\s+(\S+)/.exec(output)?.[1];
    const org = /organization_id:\s+(\S+)/.exec(output)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const api = new Api(url ?? "");
    const res = await api.post("/projects", { token: key, body: { name: "My Project", organization_id: org } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^proj_/), name: "My Project", slug: "my-project", organization_id: org, created_at: expect.any(String) });

    // The seed's "Execute a Query" example, on the new project's database.
    const db = `/projects/${res.body.id}/db/query`;
    await api.post(db, { token: key, body: { query: "CREATE TABLE users (id bigserial PRIMARY KEY, email text, status text); INSERT INTO users (email, status) VALUES ('user@example.com', 'active')" } });
    const query = await api.post(db, { token: key, body: { query: "SELECT * FROM users WHERE status = $1", params: ["active"] } });
    expect(query.status).toBe(200);
    expect(query.body).toMatchObject({ rows: [{ id: "1", email: "user@example.com", status: "active" }], row_count: 1, execution_time_ms: expect.any(Number) });

    // The seed's "Upload a File" example: multipart with bucket and file.
    await api.post(`/projects/${res.body.id}/storage/buckets`, { token: key, body: { name: "avatars" } });
    const form = new FormData();
    form.append("bucket", "avatars");
    form.append("file", new Blob([Buffer.from([0x89, 0x50, 0x4e, 0x47])], { type: "image/png" }), "avatar.png");
    const uploaded = await fetch(`${url ?? ""}/projects/${res.body.id}/storage/objects`, { method: "POST", headers: { authorization: `Bearer ${key ?? ""}` }, body: form });
    expect(uploaded.status).toBe(201);
    const object = (await uploaded.json()) as { key: string; url: string };
    expect(object).toEqual({ key: expect.stringMatching(/^avatars\/[a-z0-9]+\.png$/), url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/v1\/projects\//), size: 4, content_type: "image/png" });
    expect((await fetch(object.url, { headers: { authorization: `Bearer ${key ?? ""}` } })).status).toBe(200);
  });

  it("serves the dashboard at the printed URL, where the printed email and password sign in and see the bootstrapped organization", { timeout: 60_000 }, async () => {
    const dashboard = /Dashboard: (http:\/\/\S+)/.exec(output)?.[1] ?? "";
    expect(dashboard).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const email = /email:\s+(\S+)/.exec(output)?.[1] ?? "";
    const password = /password:\s+(\S+)/.exec(output)?.[1] ?? "";
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      await page.goto(dashboard);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Projects", level: 1 }).waitFor();
      await page.getByRole("link", { name: "Organizations" }).click();
      await page.getByRole("cell", { name: "team" }).waitFor();
    } finally {
      await browser.close();
    }
  });

  it("runs the README's blocks of the reference's examples as written", async () => {
    const readme = readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### The reference's examples, on a fresh server"), readme.indexOf("\n## ", readme.indexOf("### The reference's examples")));
    const script = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]).join("\n");
    expect(script).toContain("$API/projects/$PROJECT/storage/objects");
    const port = /ready at http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1] ?? "";
    const workDir = mkdtempSync(path.join(os.tmpdir(), "lubes-readme-"));
    const run = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile("bash", ["-euo", "pipefail", "-c", script], { cwd: workDir, env: { ...process.env, PORT: port, LUBES_DATA_DIR: dataDir } }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve({ stdout, stderr }));
    });
    rmSync(workDir, { recursive: true, force: true });
    const answers = run.stdout.split(/(?<=\})\s*(?=\{)/).map((text) => JSON.parse(text.trim()) as Record<string, unknown>);
    expect(answers).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: "My Project", slug: expect.stringMatching(/^my-project/) }),
      expect.objectContaining({ rows: [{ id: "1", email: "user@example.com", status: "active" }], row_count: 1 }),
      expect.objectContaining({ key: expect.stringMatching(/^avatars\/[a-z0-9]+\.png$/), content_type: "image/png", size: 8 }),
    ]));
  });

  it("logs one line per request, never a query string, a token or a signature", async () => {
    const url = /ready at (http:\/\/\S+)/.exec(output)?.[1] ?? "";
    const key = /api key:\s+(\S+)/.exec(output)?.[1] ?? "";
    const api = new Api(url);
    const projects = await api.get("/projects?limit=1", { token: key });
    const project = (projects.body.data as { id: string }[])[0]?.id ?? "";
    const listed = await api.get(`/projects/${project}/storage/objects?bucket=avatars`, { token: key });
    const objectKey = (listed.body.data as { key: string }[])[0]?.key ?? "";
    const signed = await api.post(`/projects/${project}/storage/sign`, { token: key, body: { key: objectKey } });
    const download = await fetch(signed.body.url as string);
    expect(download.status).toBe(200);
    const signature = new URL(signed.body.url as string).searchParams.get("signature") ?? "";
    const id = download.headers.get("x-request-id") ?? "";
    // Written when the answer has gone: wait for it.
    while (!output.includes(id)) await new Promise((resolve) => setTimeout(resolve, 20));
    const lines = output.split("\n").filter((line) => line.includes(id));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ method: "GET", path: expect.stringContaining("/storage/objects/avatars/"), status: 200, msg: "request" });
    expect(output).not.toContain(signature);
    expect(output.split("\n").filter((line) => line.startsWith("{") && line.includes(key))).toEqual([]);
  });
});
