// The dashboard against the API's limits: a spent rate limit says how long until it resets, and a long list pages.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, startDashboard, userWithProject, type Dashboard } from "../support/browser";

const LIMIT = 40;
let dashboard: Dashboard;
beforeAll(async () => {
  dashboard = await startDashboard({ rateLimits: { free: LIMIT, pro: LIMIT, team: LIMIT } });
});
afterAll(() => dashboard.close());

describe("the dashboard against the API's limits", () => {
  it("shows a spent rate limit with the time until the window resets", { timeout: 180_000 }, async () => {
    const user = await userWithProject(dashboard.server, "limited");
    const page = await dashboard.newPage();
    await signIn(page, user.email, user.password);
    // The user's own budget (lists outside a project count against the user) is spent from elsewhere.
    for (;;) {
      const answer = await dashboard.server.api.get("/organizations", { token: user.token });
      if (answer.status === 429) break;
    }
    await page.getByRole("link", { name: "Organizations" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "rate limited" });
    await alert.waitFor();
    const limited = await dashboard.server.api.get("/organizations", { token: user.token });
    expect(await alert.textContent()).toContain(limited.body.error.message);
    const seconds = Number((/resets in (\d+) s/.exec((await alert.textContent()) ?? "") ?? [])[1]);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(60);
    await dashboard.screenshot(page, "rate-limited");
  });

  it("pages through a list longer than one page", { timeout: 180_000 }, async () => {
    const user = await userWithProject(dashboard.server, "many");
    for (let i = 1; i < 25; i++) {
      const made = await dashboard.server.api.post("/projects", { token: user.token, body: { name: `p${String(i).padStart(2, "0")}`, organization_id: user.orgId } });
      expect(made.status).toBe(201);
    }
    // Another minute of budget for the page's own requests.
    dashboard.server.advanceClock(60_000);
    const page = await dashboard.newPage();
    await signIn(page, user.email, user.password);
    const pages = page.getByRole("navigation", { name: "Projects pages" });
    await pages.getByText("1–20 of 25").waitFor();
    await pages.getByRole("button", { name: "Next" }).click();
    await pages.getByText("21–25 of 25").waitFor();
    await page.getByRole("link", { name: "p24" }).waitFor();
    expect(await pages.getByRole("button", { name: "Next" }).isDisabled()).toBe(true);
    await pages.getByRole("button", { name: "Previous" }).click();
    await pages.getByText("1–20 of 25").waitFor();
  });
});
