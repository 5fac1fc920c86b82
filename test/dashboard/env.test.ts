// The dashboard's environment variables tab: add, edit, a sensitive value that never comes back to the page (neither
// in what it shows nor in any answer of the API it received), and delete with confirmation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, startDashboard, userWithProject, type Dashboard } from "../support/browser";

let dashboard: Dashboard;
beforeAll(async () => {
  dashboard = await startDashboard();
});
afterAll(() => dashboard.close());

describe("the environment variables tab", () => {
  it("adds, edits, keeps a sensitive value off the page and out of every answer, and deletes with confirmation", { timeout: 240_000 }, async () => {
    const user = await userWithProject(dashboard.server, "env");
    const page = await dashboard.newPage();
    // Every answer of the API the page receives, to look for the sensitive value in afterwards.
    const answers: Promise<{ url: string; body: string }>[] = [];
    page.on("response", (response) => {
      if (new URL(response.url()).pathname.startsWith("/v1/")) answers.push(response.text().then((body) => ({ url: response.url(), body }), () => ({ url: response.url(), body: "" })));
    });
    await signIn(page, user.email, user.password);
    await page.goto(`/projects/${user.projectId}/env`);
    await page.getByText("No environment variables yet.").waitFor();

    const form = page.getByRole("region", { name: "New variable" });
    await form.getByLabel("Key").fill("FEATURE_FLAG");
    await form.getByLabel("Value").fill("on");
    await form.getByLabel("development").uncheck();
    await form.getByRole("button", { name: "Add variable" }).click();
    const flag = page.getByRole("row", { name: /FEATURE_FLAG/ });
    await flag.getByRole("cell", { name: "on", exact: true }).waitFor();
    await flag.getByRole("cell", { name: "production, preview", exact: true }).waitFor();

    // Adding a key that is set already does not replace it: the page says to edit it.
    await form.getByLabel("Key").fill("FEATURE_FLAG");
    await form.getByLabel("Value").fill("replaced by mistake");
    await form.getByRole("button", { name: "Add variable" }).click();
    await form.getByText("FEATURE_FLAG is already set").waitFor();
    await flag.getByRole("cell", { name: "on", exact: true }).waitFor();

    // Editing: the value and the environments.
    await flag.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("region", { name: "Edit FEATURE_FLAG" });
    expect(await edit.getByLabel("Value").inputValue()).toBe("on");
    await edit.getByLabel("Value").fill("off");
    await edit.getByLabel("development").check();
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "detached" });
    await flag.getByRole("cell", { name: "off", exact: true }).waitFor();
    await flag.getByRole("cell", { name: "production, preview, development", exact: true }).waitFor();
    const stored = await dashboard.server.api.get(`/projects/${user.projectId}/env/FEATURE_FLAG`, { token: user.token });
    expect(stored.body).toMatchObject({ value: "off", sensitive: false, environments: ["production", "preview", "development"] });

    // A sensitive value: set from the page, then never on it again, nor in anything the API sent it.
    const secret = `s3cr3t-${Math.random().toString(36).slice(2)}`;
    await form.getByLabel("Key").fill("API_SECRET");
    await form.getByLabel("Value").fill(secret);
    await form.getByLabel("Sensitive").check();
    await form.getByRole("button", { name: "Add variable" }).click();
    const hidden = page.getByRole("row", { name: /API_SECRET/ });
    await hidden.getByText("sensitive", { exact: true }).waitFor();
    await expect.poll(() => form.getByLabel("Value").inputValue()).toBe("");
    // Editing it asks for the value again: it has none to show.
    await hidden.getByRole("button", { name: "Edit" }).click();
    const editSecret = page.getByRole("region", { name: "Edit API_SECRET" });
    expect(await editSecret.getByLabel("Value").inputValue()).toBe("");
    await editSecret.getByText("never shown").first().waitFor();
    await dashboard.screenshot(page, "env");
    expect(await page.content()).not.toContain(secret);
    expect(await page.locator("body").innerText()).not.toContain(secret);
    await page.reload();
    await page.getByRole("row", { name: /API_SECRET/ }).waitFor();
    expect(await page.content()).not.toContain(secret);
    const received = await Promise.all(answers);
    expect(received.filter((answer) => answer.url.includes(`/projects/${user.projectId}/env`)).length).toBeGreaterThan(3);
    for (const answer of received) expect(answer.body, answer.url).not.toContain(secret);

    // Deleting asks first.
    await page.getByRole("row", { name: /FEATURE_FLAG/ }).getByRole("button", { name: "Delete variable" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByRole("row", { name: /FEATURE_FLAG/ }).waitFor({ state: "detached" });
    const listed = await dashboard.server.api.get(`/projects/${user.projectId}/env`, { token: user.token });
    expect(listed.body.data.map((variable: { key: string }) => variable.key)).toEqual(["API_SECRET"]);
  });

  it("fits a narrow screen, and deletes a variable by keyboard alone", { timeout: 180_000 }, async () => {
    const user = await userWithProject(dashboard.server, "env-narrow");
    const api = dashboard.server.api;
    for (const [key, value] of [["DATABASE_URL", "postgres://app:password@db.internal.example.com:5432/app_production?sslmode=require"], ["LOG_LEVEL", "debug"]]) {
      expect((await api.post(`/projects/${user.projectId}/env`, { token: user.token, body: { key, value } })).status).toBe(201);
    }
    const page = await dashboard.newPage({ narrow: true });
    await signIn(page, user.email, user.password);
    await page.goto(`/projects/${user.projectId}/env`);
    const row = page.getByRole("row", { name: /LOG_LEVEL/ });
    await row.getByRole("cell", { name: "debug", exact: true }).waitFor();
    expect(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")).toBeLessThanOrEqual(0);
    await dashboard.screenshot(page, "env-narrow");

    // The dialog takes the focus (Cancel first); Tab reaches Delete.
    await row.getByRole("button", { name: "Delete variable" }).focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    await page.keyboard.press("Tab");
    await expect.poll(() => dialog.getByRole("button", { name: "Delete", exact: true }).evaluate((button) => button === (globalThis as any).document.activeElement)).toBe(true);
    await page.keyboard.press("Enter");
    await row.waitFor({ state: "detached" });
    const listed = await api.get(`/projects/${user.projectId}/env`, { token: user.token });
    expect(listed.body.data.map((variable: { key: string }) => variable.key)).toEqual(["DATABASE_URL"]);
  });
});
