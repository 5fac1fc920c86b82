// examples/preview-branch end to end: a pull request's stack makes a branch of main with the pull request's migrations
// and a preview deployment; a push adds a migration and a commit; destroy on close leaves the project as it was.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ExampleStack } from "../engine/runner";
import { changes, describeExample, exampleServer, expectNoChanges, listOf, type ExampleServer } from "./support";

const LONG = 180_000;

describeExample("examples/preview-branch", (make) => {
  let lubes: ExampleServer;
  let stack: ExampleStack;
  let p = "";
  const migrations = async (branch: string) => (await listOf(lubes.api, lubes.token, `${p}/db/migrations?branch=${branch}`)).map((m) => `${String(m["name"])} ${String(m["status"])}`);
  const branches = async () => (await listOf(lubes.api, lubes.token, `${p}/db/branches`)).map((b) => b["name"]).sort();
  const previews = async () => (await listOf(lubes.api, lubes.token, `${p}/deployments?environment=preview`)).map((d) => `${String(d["ref"])} ${String(d["commit"])} ${String(d["status"])}`);
  const tables = async (branch: string) => {
    const res = await lubes.api.post(`${p}/db/query`, { token: lubes.token, body: { branch, query: "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1" } });
    if (res.status !== 200) throw new Error(`query on ${branch}: ${res.status} ${res.text}`);
    return (res.body.rows as { table_name: string }[]).map((r) => r.table_name);
  };

  beforeAll(async () => {
    lubes = await exampleServer();
    // The team's project exists already: main has its schema and a production release.
    const org = await lubes.api.post("/organizations", { token: lubes.token, body: { name: "Team" } });
    const project = await lubes.api.post("/projects", { token: lubes.token, body: { name: "Notes", organization_id: org.body.id } });
    p = `/projects/${String(project.body.id)}`;
    await lubes.api.post(`${p}/db/migrations`, { token: lubes.token, body: { name: "001_notes", sql: "CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL)" } });
    stack = await make({ example: "preview-branch", stack: "pr-42", config: { ...lubes.config, "lubes-preview-branch:projectId": String(project.body.id), "lubes-preview-branch:pullRequest": "42" }, secret: lubes.secret });
  });
  afterAll(async () => {
    stack.dispose();
    await lubes.close();
  });

  it("up makes a copy of main with the pull request's migration, and a preview deployment; main is untouched", async () => {
    const up = await stack.up();
    expect(changes(up), up.text).toEqual(["create Branch::database", "create Deployment::preview", "create Migration::migration-002_note_tags"]);
    expect(up.outputs).toMatchObject({ branchName: "pr-42", previewStatus: "ready" });
    expect(await branches()).toEqual(["main", "pr-42"]);
    // A branch's migrations are those run on it; it copied 001's schema with main's data.
    expect(await migrations("pr-42")).toEqual(["002_note_tags applied"]);
    expect(await migrations("main")).toEqual(["001_notes applied"]);
    expect(await tables("pr-42")).toEqual(["note_tags", "notes"]);
    expect(await tables("main")).toEqual(["notes"]);
    expect(await previews()).toEqual(["pr-42 null ready"]);
    expectNoChanges(await stack.preview());
    expect((await stack.refresh()).drift).toEqual([]);
  }, LONG);

  it("a push with a new migration and a new commit previews and converges in one up", async () => {
    writeFileSync(path.join(stack.folder, "migrations", "003_note_pins.sql"), "ALTER TABLE notes ADD COLUMN pinned boolean NOT NULL DEFAULT false");
    await stack.setConfig("lubes-preview-branch:commit", "9f1c2ab");
    const preview = await stack.preview();
    expect(changes(preview), preview.text).toEqual(["create Migration::migration-003_note_pins", "replace Deployment::preview"]);
    const up = await stack.up();
    expect(changes(up), up.text).toEqual(changes(preview));
    expect(await migrations("pr-42")).toEqual(["002_note_tags applied", "003_note_pins applied"]);
    // The replaced preview deployment is deleted, not left behind.
    expect(await previews()).toEqual(["pr-42 9f1c2ab ready"]);
    expectNoChanges(await stack.preview());
  }, LONG);

  it("a branch deleted by hand is caught by refresh, and up makes it again with its migrations", async () => {
    expect((await lubes.api.delete(`${p}/db/branches/pr-42`, { token: lubes.token })).status).toBe(204);
    const refresh = await stack.refresh();
    expect(refresh.drift.map((d) => `${d.change} ${d.urn.split("::").at(-1) ?? ""}`).sort(), refresh.text).toEqual([
      "deleted database", "deleted migration-002_note_tags", "deleted migration-003_note_pins",
    ]);
    const up = await stack.up();
    expect(changes(up), up.text).toEqual(["create Branch::database", "create Migration::migration-002_note_tags", "create Migration::migration-003_note_pins"]);
    expect(await tables("pr-42")).toEqual(["note_tags", "notes"]);
  }, LONG);

  it("destroy when the pull request closes leaves the project as it was", async () => {
    const destroy = await stack.destroy();
    expect(destroy.summary.delete, destroy.text).toBe(4);
    expect(await branches()).toEqual(["main"]);
    expect(await migrations("main")).toEqual(["001_notes applied"]);
    expect(await previews()).toEqual([]);
  }, LONG);
});
