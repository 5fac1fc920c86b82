// examples/quickstart end to end: up, a preview and a refresh with nothing to do, a program edit, a change made outside
// Pulumi, destroy; what the server holds is checked through the API after every step.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ExampleStack } from "../engine/runner";
import { changes, describeExample, exampleServer, expectNoChanges, listOf, type ExampleServer } from "./support";

const LONG = 180_000;

describeExample("examples/quickstart", (make) => {
  let lubes: ExampleServer;
  let stack: ExampleStack;
  let ids: { projectId: string; orgId: string };
  const names = async (p: string, field = "name") => (await listOf(lubes.api, lubes.token, p)).map((item) => item[field]).sort();
  const invoke = async () => {
    const res = await fetch(`${lubes.server.url}/projects/${ids.projectId}/functions/hello/invoke?name=Ada`, { method: "POST", headers: { authorization: `Bearer ${lubes.token}` } });
    return (await res.json()) as { message: string; version: number; hasToken: boolean };
  };

  beforeAll(async () => {
    lubes = await exampleServer();
    stack = await make({
      example: "quickstart", stack: "dev",
      config: { ...lubes.config, "lubes-quickstart:apiToken": "tok-quickstart-secret" },
      secret: [...lubes.secret, "lubes-quickstart:apiToken"],
    });
  });
  afterAll(async () => {
    stack.dispose();
    await lubes.close();
  });

  it("up creates exactly what the program declares", async () => {
    const up = await stack.up();
    expect(up.summary.create, up.text).toBe(11);
    expect(up.outputs["welcomeUrl"]).toBe("[secret]");
    const outputs = await stack.outputs();
    const orgs = await listOf(lubes.api, lubes.token, "/organizations");
    expect(orgs.map((o) => [o["plan"], String(o["name"]).replace(/-[0-9a-f]{7}$/, "-*")])).toEqual([["free", "acme-*"]]);
    ids = { projectId: String(outputs["projectId"]), orgId: String(orgs[0]?.["id"]) };
    expect((await listOf(lubes.api, lubes.token, `/projects?organization_id=${ids.orgId}`)).map((p) => p["id"])).toEqual([ids.projectId]);
    const p = `/projects/${ids.projectId}`;
    expect(await listOf(lubes.api, lubes.token, `${p}/env`)).toMatchObject([{ key: "API_TOKEN", sensitive: true }, { key: "GREETING", value: "Hello" }]);
    expect(await names(`${p}/storage/buckets`)).toEqual(["assets"]);
    expect(await names(`${p}/storage/objects`)).toEqual(["docs/welcome.txt"]);
    expect(await names(`${p}/functions`, "slug")).toEqual(["hello"]);
    expect(await listOf(lubes.api, lubes.token, `${p}/db/migrations`)).toMatchObject([{ name: "001_notes", status: "applied" }]);
    expect(await names(`${p}/db/branches`)).toEqual(["dev", "main"]);
    expect(await listOf(lubes.api, lubes.token, `${p}/deployments`)).toMatchObject([{ id: outputs["deploymentId"], status: "ready", current: true }]);
    expect(await invoke()).toEqual({ message: "Hello, Ada!", version: 1, hasToken: true });
    // The signed URL downloads the file without a key; it and the token are sealed in the state file.
    const download = await fetch(String(outputs["welcomeUrl"]));
    expect(await download.text()).toBe(readFileSync(path.join(stack.folder, "files", "welcome.txt"), "utf8"));
    if (stack.via === "harness") {
      const state = readFileSync(path.join(stack.folder, ".harness", "state.json"), "utf8");
      expect(state).not.toContain("tok-quickstart-secret");
      expect(state).not.toContain(String(outputs["welcomeUrl"]).split("?")[1]);
    }
  }, LONG);

  it("then preview shows no change and refresh no drift", async () => {
    expectNoChanges(await stack.preview());
    const refresh = await stack.refresh();
    expect(refresh.drift, refresh.text).toEqual([]);
  }, LONG);

  it("an edited program (a changed variable, a new function version, a renamed bucket) previews right and converges in one up", async () => {
    stack.edit("index.ts", 'value: "Hello"', 'value: "Howdy"');
    stack.edit("index.ts", 'name: "assets"', 'name: "public-assets"');
    stack.edit("functions/hello.js", "version: 1", "version: 2");
    const preview = await stack.preview();
    expect(changes(preview), preview.text).toEqual([
      "replace Bucket::assets", "replace Deployment::release", "replace SignedUrl::welcome-link", "replace StorageObject::welcome", "update EnvVar::greeting", "update Function::hello",
    ]);
    const up = await stack.up();
    expect(changes(up), up.text).toEqual(changes(preview));
    expectNoChanges(await stack.preview());
    const p = `/projects/${ids.projectId}`;
    expect(await names(`${p}/storage/buckets`)).toEqual(["public-assets"]);
    expect(await names(`${p}/storage/objects`)).toEqual(["docs/welcome.txt"]);
    expect(await invoke()).toEqual({ message: "Howdy, Ada!", version: 2, hasToken: true });
    expect(await fetch(String((await stack.outputs())["welcomeUrl"])).then((r) => r.status)).toBe(200);
  }, LONG);

  it("a change made outside Pulumi is shown by refresh and undone by the next up", async () => {
    const p = `/projects/${ids.projectId}`;
    expect((await lubes.api.delete(`${p}/env/GREETING`, { token: lubes.token })).status).toBe(204);
    await lubes.api.patch(`${p}/functions/hello`, { token: lubes.token, body: { source: "export default async () => new Response('hijacked')" } });
    await lubes.api.post(`${p}/functions/hello/deploy`, { token: lubes.token });
    const refresh = await stack.refresh();
    expect(refresh.drift.map((d) => `${d.change} ${d.urn.split("::").at(-1) ?? ""}`).sort(), refresh.text).toEqual(["changed hello", "deleted greeting"]);
    const up = await stack.up();
    expect(changes(up), up.text).toEqual(["create EnvVar::greeting", "replace Deployment::release", "update Function::hello"]);
    expect(await invoke()).toEqual({ message: "Howdy, Ada!", version: 2, hasToken: true });
    expectNoChanges(await stack.preview());
  }, LONG);

  it("destroy leaves the server with nothing of the stack", async () => {
    const destroy = await stack.destroy();
    expect(destroy.summary.delete, destroy.text).toBe(11);
    expect(await listOf(lubes.api, lubes.token, "/organizations")).toEqual([]);
    expect((await lubes.api.get(`/projects/${ids.projectId}`, { token: lubes.token })).status).toBe(404);
    // The stack is empty: a preview would make everything anew.
    expect((await stack.preview()).summary.create).toBe(11);
  }, LONG);
});
