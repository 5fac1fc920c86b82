// The dashboard's deployments tab: a deployment made from the page is followed until it is ready with its build log,
// a second one takes production over, and a confirmed rollback to the first moves the production mark again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, startDashboard, userWithProject, type Dashboard } from "../support/browser";

let dashboard: Dashboard;
beforeAll(async () => {
  dashboard = await startDashboard();
});
afterAll(() => dashboard.close());

describe("the deployments tab", () => {
  it("deploys, follows the build log until ready, deploys again, and rolls back to the first with confirmation", { timeout: 240_000 }, async () => {
    const user = await userWithProject(dashboard.server, "deploys");
    // Something for the releases to capture: a variable, changed between the two deployments.
    await dashboard.server.api.post(`/projects/${user.projectId}/env`, { token: user.token, body: { key: "GREETING", value: "hello" } });
    const page = await dashboard.newPage();
    await signIn(page, user.email, user.password);
    await page.goto(`/projects/${user.projectId}/deployments`);
    await page.getByText("No deployments yet.").waitFor();

    await page.getByLabel("Git ref (optional)").fill("release-one");
    await page.getByLabel("Commit (optional)").fill("abc1234");
    await page.getByRole("button", { name: "Create deployment" }).click();
    const first = page.getByRole("row", { name: /release-one · abc1234/ });
    // The page follows the build without a reload: ready, production, and the log's lines as the builder wrote them.
    await first.getByRole("cell", { name: /^ready/ }).waitFor();
    await first.getByText("Production", { exact: true }).waitFor();
    const log = page.getByRole("log");
    await log.getByText("Queued").waitFor();
    await log.getByText(/Building production deployment of release-one \(abc1234\): 0 function\(s\), 1 variable\(s\)/).waitFor();
    await log.getByText("Deployment is ready").waitFor();
    await page.getByRole("status").getByText("ready").waitFor();
    const firstId = (await first.locator("code").first().textContent()) ?? "";
    expect(firstId).toMatch(/^dep_/);

    await dashboard.server.api.post(`/projects/${user.projectId}/env`, { token: user.token, body: { key: "GREETING", value: "bonjour" } });
    await page.getByLabel("Git ref (optional)").fill("release-two");
    await page.getByLabel("Commit (optional)").fill("def5678");
    await page.getByRole("button", { name: "Create deployment" }).click();
    // (Matched by ref and commit: a deployment's random id could hold any short text.)
    const second = page.getByRole("row", { name: /release-two · def5678/ });
    await second.getByText("Production", { exact: true }).waitFor();
    await first.getByText("Production", { exact: true }).waitFor({ state: "detached" });
    await log.getByText("Building production deployment of release-two").waitFor();
    // Newest first.
    expect(await page.locator("tbody tr").first().textContent()).toContain("release-two");
    // The current one cannot be rolled back to; the earlier one can.
    expect(await second.getByRole("button", { name: "Roll back" }).count()).toBe(0);

    // Rolling back asks first; cancelling leaves production alone.
    await first.getByRole("button", { name: "Roll back" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText(`Roll production back to ${firstId} (release-one)`).waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect((await dashboard.server.api.get(`/projects/${user.projectId}`, { token: user.token })).body.current_deployment_id).not.toBe(firstId);

    await first.getByRole("button", { name: "Roll back" }).click();
    await dialog.getByRole("button", { name: "Roll back" }).click();
    const rollback = page.getByRole("row", { name: new RegExp(`Rollback of ${firstId}`) });
    await rollback.getByText("Production", { exact: true }).waitFor();
    await second.getByText("Production", { exact: true }).waitFor({ state: "detached" });
    await log.getByText(`Rolled back to deployment ${firstId}`).waitFor();
    await dashboard.screenshot(page, "deployments");

    const rollbackId = (await rollback.locator("code").first().textContent()) ?? "";
    const project = await dashboard.server.api.get(`/projects/${user.projectId}`, { token: user.token });
    expect(project.body.current_deployment_id).toBe(rollbackId);
    const variable = await dashboard.server.api.get(`/projects/${user.projectId}/env/GREETING`, { token: user.token });
    expect(variable.body.value).toBe("hello");
  });

  it("fits a narrow screen", { timeout: 180_000 }, async () => {
    const user = await userWithProject(dashboard.server, "deploys-narrow");
    const api = dashboard.server.api;
    const made = await api.post(`/projects/${user.projectId}/deployments`, { token: user.token, body: { ref: "main", commit: "0123456789abcdef" } });
    expect(made.status).toBe(201);
    await expect.poll(async () => (await api.get(`/projects/${user.projectId}/deployments/${made.body.id}`, { token: user.token })).body.status).toBe("ready");
    const page = await dashboard.newPage({ narrow: true });
    await signIn(page, user.email, user.password);
    await page.goto(`/projects/${user.projectId}/deployments`);
    await page.getByRole("row", { name: /main · 0123456789abcdef/ }).getByText("Production", { exact: true }).waitFor();
    expect(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")).toBeLessThanOrEqual(0);
    await dashboard.screenshot(page, "deployments-narrow");
  });
});
