// The dashboard's database tab: a table made in the SQL console appears with its columns, rows go in and come back
// through parameters, an SQL error and bad parameters are shown in place, a branch is made and deleted, and a
// migration is listed with its checksum.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectAccessible, signIn, startDashboard, userWithProject, type Dashboard } from "../support/browser";

let dashboard: Dashboard;
beforeAll(async () => {
  dashboard = await startDashboard();
});
afterAll(() => dashboard.close());

describe("the database tab", () => {
  it("runs SQL with parameters, shows tables and errors, makes and deletes a branch, runs a migration", { timeout: 240_000 }, async () => {
    const { server } = dashboard;
    const user = await userWithProject(server, "database");
    const db = `/projects/${user.projectId}/db`;
    const page = await dashboard.newPage();
    await signIn(page, user.email, user.password);
    await page.goto(`/projects/${user.projectId}/database`);
    await page.getByRole("heading", { name: "Tables", level: 2 }).waitFor();
    await page.getByText("No tables on main yet").waitFor();

    // DDL in the console: the new table is listed with its columns, as the table-schema endpoint gives them.
    const sql = page.getByLabel("SQL", { exact: true });
    const params = page.getByLabel("Parameters (JSON array, optional)");
    const run = page.getByRole("button", { name: "Run", exact: true });
    // Without parameters the console runs a script; a table whose name the API cannot describe is listed, saying so.
    await sql.fill('CREATE TABLE notes (id serial PRIMARY KEY, title text NOT NULL, done boolean DEFAULT false);\nCREATE TABLE "audit-log" (at timestamptz)');
    await run.click();
    await page.getByText("Done: 0 rows affected on main").waitFor();
    await page.getByRole("article").filter({ hasText: "audit-log" }).getByText("Its columns cannot be shown here").waitFor();
    const columns = page.getByRole("region", { name: "Columns of notes" });
    await columns.getByRole("row", { name: /^title text no/ }).waitFor();
    await expect.poll(() => columns.getByRole("row").allInnerTexts()).toEqual([
      expect.stringMatching(/Column\s+Type\s+Nullable\s+Default\s+Key/),
      expect.stringMatching(/^id\s+integer\s+no\s+nextval\('notes_id_seq'::regclass\)\s+primary key$/),
      expect.stringMatching(/^title\s+text\s+no\s+none\s*$/),
      expect.stringMatching(/^done\s+boolean\s+yes\s+false\s*$/),
    ]);

    // Rows go in through parameters (a JSON array), and one comes back through a parameterised SELECT.
    await sql.fill("INSERT INTO notes (title, done) VALUES ($1, $2)");
    await params.fill('["buy milk", true]');
    await run.click();
    await page.getByText("Done: 1 row affected on main").waitFor();
    await params.fill('["call Ada", false]');
    await run.click();
    await expect.poll(async () => (await server.api.post(`${db}/query`, { token: user.token, body: { query: "SELECT count(*)::int AS n FROM notes" } })).body.rows).toEqual([{ n: 2 }]);

    await sql.fill("SELECT id, title, done FROM notes WHERE title = $1");
    await params.fill('["call Ada"]');
    await run.click();
    await page.getByText("1 row returned on main").waitFor();
    const result = page.getByRole("region", { name: "Query result" });
    expect(await result.getByRole("columnheader").allInnerTexts()).toEqual(["id integer", "title text", "done boolean"]);
    expect(await result.getByRole("row").nth(1).getByRole("cell").allInnerTexts()).toEqual(["2", "call Ada", "false"]);
    await expect.poll(() => result.getByText("buy milk").count()).toBe(0);

    // Parameters that are not a JSON array are refused before anything is sent, beside the field.
    await params.fill('["call Ada"');
    await run.click();
    await page.getByRole("alert").filter({ hasText: "Parameters are not valid JSON" }).waitFor();
    await expect.poll(() => params.getAttribute("aria-invalid")).toBe("true");
    await params.fill('{"title": "call Ada"}');
    await run.click();
    await page.getByRole("alert").filter({ hasText: "Parameters must be a JSON array" }).waitFor();

    // An SQL error is shown in place, in the API's words.
    await params.fill("");
    await sql.fill("SELEC title FROM notes");
    const refused = await server.api.post(`${db}/query`, { token: user.token, body: { query: "SELEC title FROM notes" } });
    expect(refused.status).toBe(400);
    const message = refused.body.error.message as string;
    expect(message).toContain("syntax error");
    await run.click();
    const alert = page.getByRole("alert").filter({ hasText: message });
    await alert.waitFor();
    await alert.getByText("SQLSTATE 42601").waitFor();
    await expect.poll(() => page.getByRole("region", { name: "Query result" }).count()).toBe(0);

    // A branch from main, listed with its parent, then deleted after confirming; main offers no delete.
    const branches = page.getByRole("region", { name: "Branches" });
    await expect.poll(() => branches.getByRole("button", { name: /^Delete/ }).count()).toBe(0);
    await page.getByLabel("Branch name").fill("preview/pr-42");
    await page.getByLabel("Parent branch").selectOption("main");
    await page.getByRole("button", { name: "Create branch" }).click();
    const branchRow = branches.getByRole("row", { name: /preview\/pr-42/ });
    await branchRow.getByRole("cell", { name: "main", exact: true }).waitFor();
    expect((await server.api.get(`${db}/branches/preview%2Fpr-42`, { token: user.token })).status).toBe(200);
    // The copy holds main's rows: the branch picker sends the console there.
    await page.getByLabel("Branch", { exact: true }).selectOption("preview/pr-42");
    await sql.fill("SELECT title FROM notes ORDER BY id");
    await run.click();
    await page.getByText("2 rows returned on preview/pr-42").waitFor();
    // The choice is in the URL: a reload (or a shared link) opens the same branch.
    await page.reload();
    await expect.poll(() => page.getByLabel("Branch", { exact: true }).inputValue()).toBe("preview/pr-42");
    await page.getByLabel("Branch", { exact: true }).selectOption("main");

    await branchRow.getByRole("button", { name: "Delete preview/pr-42" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete preview/pr-42?" });
    await dialog.getByRole("button", { name: "Delete branch" }).click();
    await expect.poll(() => branches.getByRole("row", { name: /preview\/pr-42/ }).count()).toBe(0);
    expect((await server.api.get(`${db}/branches/preview%2Fpr-42`, { token: user.token })).status).toBe(404);

    // A migration run from the page is listed with its status, checksum and time, and its table appears.
    const migrationSql = "CREATE TABLE tags (name text PRIMARY KEY)";
    await page.getByLabel("Migration name").fill("001_tags");
    await page.getByLabel("Migration SQL").fill(migrationSql);
    await page.getByRole("button", { name: "Run migration" }).click();
    const migrations = page.getByRole("region", { name: "Migrations on main" });
    const migrationRow = migrations.getByRole("row", { name: /001_tags/ });
    await migrationRow.getByText(createHash("sha256").update(migrationSql).digest("hex")).waitFor();
    await migrationRow.getByText("applied", { exact: true }).waitFor();
    await page.getByRole("region", { name: "Columns of tags" }).waitFor();
    // One made through the API is listed after it, in the order applied.
    const second = "ALTER TABLE tags ADD COLUMN color text";
    expect((await server.api.post(`${db}/migrations`, { token: user.token, body: { name: "002_tag_color", sql: second } })).status).toBe(201);
    await page.reload();
    await migrations.getByRole("row", { name: /002_tag_color/ }).getByText(createHash("sha256").update(second).digest("hex")).waitFor();
    expect((await migrations.getByRole("row").allInnerTexts()).slice(1).map((row) => row.split(/\s+/).slice(0, 2).join(" "))).toEqual(["1 001_tags", "2 002_tag_color"]);

    // A failing migration is shown in place with the API's message, and listed as failed.
    await page.getByLabel("Migration name").fill("003_broken");
    await page.getByLabel("Migration SQL").fill("ALTER TABLE nowhere ADD COLUMN x int");
    await page.getByRole("button", { name: "Run migration" }).click();
    await page.getByRole("alert").filter({ hasText: /nowhere/ }).first().waitFor();
    await migrations.getByRole("row", { name: /003_broken/ }).getByText("failed").waitFor();

    await page.getByLabel("SQL", { exact: true }).fill("SELECT id, title, done FROM notes ORDER BY id");
    await run.click();
    await page.getByText("2 rows returned on main").waitFor();
    await expectAccessible(page, "database");
    await dashboard.screenshot(page, "database");

    // On a phone-sized screen nothing but the tables' own scrolling areas is wider than the page.
    const narrow = await dashboard.newPage({ narrow: true });
    await signIn(narrow, user.email, user.password);
    await narrow.goto(`/projects/${user.projectId}/database`);
    await narrow.getByRole("region", { name: "Columns of notes" }).waitFor();
    expect(await narrow.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
    await expectAccessible(narrow, "database (narrow)");
    await dashboard.screenshot(narrow, "database-narrow");
  });
});
