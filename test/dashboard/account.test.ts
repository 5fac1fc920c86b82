// The dashboard, for a new user: sign up, an organization, a project, a scoped API key used from outside, and the
// account's error paths (wrong password, an expired session, a 422 beside its field, a forgotten password).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, startDashboard, userWithProject, type Dashboard } from "../support/browser";

let dashboard: Dashboard;
beforeAll(async () => {
  dashboard = await startDashboard();
});
afterAll(() => dashboard.close());

const uniqueEmail = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

describe("a new user", () => {
  it("signs up, creates an organization and a project, and a key scoped to that project that works from the API", { timeout: 240_000 }, async () => {
    const page = await dashboard.newPage();
    const email = uniqueEmail("new");
    await page.goto("/");
    await expect.poll(() => new URL(page.url()).pathname).toBe("/sign-in");
    await dashboard.screenshot(page, "sign-in");
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Name (optional)").fill("Ada");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("a long enough password");
    await page.getByRole("button", { name: "Create account" }).click();

    // A new account belongs to no organization: it is asked to make one.
    await page.getByRole("heading", { name: "Organizations", level: 1 }).waitFor();
    await page.getByText("You belong to no organization yet").waitFor();
    await page.getByLabel("Organization name").fill("Acme");
    await page.getByRole("button", { name: "Create organization" }).click();
    await page.getByRole("link", { name: "Acme" }).click();
    await page.getByRole("heading", { name: "Acme", level: 1 }).waitFor();
    await page.getByText("Plan: free").waitFor();
    await page.getByRole("cell", { name: email }).waitFor();
    await dashboard.screenshot(page, "organization");

    await page.getByRole("link", { name: "Projects" }).click();
    await page.getByLabel("Project name").fill("Storefront");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.getByRole("heading", { name: "Storefront", level: 1 }).waitFor();
    const projectId = (await page.locator("main code").first().textContent()) ?? "";
    expect(projectId).toMatch(/^proj_/);
    await page.getByRole("link", { name: "Projects" }).first().click();
    await page.getByLabel("Project name").fill("Internal");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.getByRole("heading", { name: "Internal", level: 1 }).waitFor();
    const otherProjectId = (await page.locator("main code").first().textContent()) ?? "";
    await page.getByRole("link", { name: "Projects" }).first().click();
    await page.getByRole("cell", { name: "Storefront" }).waitFor();
    await dashboard.screenshot(page, "projects");

    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByLabel("Key name").fill("CI deploy");
    await page.getByLabel("Only the projects chosen below").check();
    await page.getByLabel("Storefront").check();
    await page.getByLabel(/^Read and write/).check();
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByText("it is shown only once").waitFor();
    const key = (await page.getByLabel("New API key").textContent()) ?? "";
    expect(key).toMatch(/^lubes_sk_/);
    await page.getByRole("button", { name: "Copy key" }).waitFor();
    await page.getByRole("row", { name: /CI deploy/ }).getByText("Storefront").waitFor();
    await dashboard.screenshot(page, "api-keys");
    await page.getByRole("button", { name: "I have stored it" }).click();
    // Once dismissed, the secret is nowhere on the page; the list shows only its prefix.
    await expect.poll(() => page.content()).not.toContain(key);

    // The key works from outside, for its project only.
    const api = dashboard.server.api;
    expect((await api.get(`/projects/${projectId}`, { token: key })).status).toBe(200);
    expect([403, 404]).toContain((await api.get(`/projects/${otherProjectId}`, { token: key })).status);
    const created = await api.post(`/projects/${projectId}/env`, { token: key, body: { key: "FROM_KEY", value: "1" } });
    expect(created.status).toBe(201);
    // "Read and write": no admin, so it cannot manage keys.
    expect((await api.get("/api-keys", { token: key })).status).toBe(403);
    // And it shows as used.
    await page.reload();
    await expect.poll(async () => (await page.getByRole("row", { name: /CI deploy/ }).textContent()) ?? "").not.toContain("never");

    // Revoking asks first, then the key stops working at once.
    await page.getByRole("row", { name: /CI deploy/ }).getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
    await page.getByText("No API keys yet.").waitFor();
    expect((await api.get(`/projects/${projectId}`, { token: key })).status).toBe(401);
  });

  it("renames an organization and invites someone by email, who shows as pending", { timeout: 180_000 }, async () => {
    const user = await userWithProject(dashboard.server, "orgs");
    const page = await dashboard.newPage();
    await signIn(page, user.email, user.password);
    await page.getByRole("link", { name: "Organizations" }).click();
    await page.getByRole("link", { name: "orgs org" }).click();
    await page.getByLabel("Name", { exact: true }).fill("Renamed org");
    await page.getByRole("button", { name: "Rename" }).click();
    await page.getByRole("heading", { name: "Renamed org", level: 1 }).waitFor();
    const invited = uniqueEmail("invitee");
    await page.getByRole("textbox", { name: "Email" }).fill(invited);
    await page.getByRole("button", { name: "Send invitation" }).click();
    const row = page.getByRole("row", { name: new RegExp(invited.replace(/[.+]/g, "\\$&")) });
    await row.getByText("invitation pending").waitFor();
    const members = await dashboard.server.api.get(`/organizations/${user.orgId}/members`, { token: user.token });
    expect(members.body.data).toContainEqual(expect.objectContaining({ email: invited, status: "pending", role: "developer" }));
  });
});

describe("a project's danger zone", () => {
  it("deletes a project only once its name is typed", { timeout: 180_000 }, async () => {
    const user = await userWithProject(dashboard.server, "doomed");
    const page = await dashboard.newPage();
    await signIn(page, user.email, user.password);
    await page.goto(`/projects/${user.projectId}`);
    await page.getByText("Danger zone").click();
    await page.getByRole("button", { name: "Delete project" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete project?" });
    const confirm = dialog.getByRole("button", { name: "Delete project" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel("Type doomed project to confirm").fill("doomed");
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel("Type doomed project to confirm").fill("doomed project");
    await confirm.click();
    await page.getByRole("heading", { name: "Projects", level: 1 }).waitFor();
    expect((await dashboard.server.api.get(`/projects/${user.projectId}`, { token: user.token })).status).toBe(404);
  });
});

describe("an invited person", () => {
  it("signs up, finds the invitation, joins the organization with the role it gave", { timeout: 180_000 }, async () => {
    const owner = await userWithProject(dashboard.server, "inviter");
    const email = uniqueEmail("invitee");
    const invited = await dashboard.server.api.post(`/organizations/${owner.orgId}/members`, { token: owner.token, body: { email, role: "viewer" } });
    expect(invited.body.status).toBe("pending");
    const page = await dashboard.newPage();
    await page.goto("/sign-up");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("a long enough password");
    await page.getByRole("button", { name: "Create account" }).click();
    // The dev outbox (npm start's LUBES_DEV=1) holds the mail: the page lists it.
    await page.getByRole("link", { name: "You are invited to inviter org" }).click();
    await page.getByRole("heading", { name: "Accept an invitation", level: 1 }).waitFor();
    await dashboard.screenshot(page, "accept-invitation");
    await page.getByRole("button", { name: "Join the organization" }).click();
    await page.getByRole("heading", { name: "inviter org", level: 1 }).waitFor();
    await page.getByRole("row", { name: new RegExp(email.replace(/[.+]/g, "\\$&")) }).getByText("active").waitFor();
    const members = await dashboard.server.api.get(`/organizations/${owner.orgId}/members`, { token: owner.token });
    expect(members.body.data).toContainEqual(expect.objectContaining({ email, role: "viewer", status: "active" }));
  });

  it("follows the mail's link while signed out, signs in, and comes back to accept it", { timeout: 180_000 }, async () => {
    const owner = await userWithProject(dashboard.server, "linker");
    const invitee = await userWithProject(dashboard.server, "linked");
    await dashboard.server.api.post(`/organizations/${owner.orgId}/members`, { token: owner.token, body: { email: invitee.email } });
    const mail = (await dashboard.server.api.get(`/dev/outbox?email=${encodeURIComponent(invitee.email)}`)).body.data.find((m: { subject: string }) => m.subject.startsWith("You are invited"));
    const page = await dashboard.newPage();
    await page.goto(`/accept-invitation?token=${encodeURIComponent(mail.token)}`);
    await page.getByLabel("Email").fill(invitee.email);
    await page.getByLabel("Password").fill(invitee.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Join the organization" }).click();
    await page.getByRole("heading", { name: "linker org", level: 1 }).waitFor();
  });
});

describe("the account's error paths", () => {
  it("says a wrong password is wrong, and signs in with the right one", { timeout: 180_000 }, async () => {
    const user = await userWithProject(dashboard.server, "wrong");
    const page = await dashboard.newPage();
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    const message = (await dashboard.server.api.post("/auth/login", { body: { email: user.email, password: "not the password" } })).body.error.message;
    await page.getByRole("alert").getByText(message).waitFor();
    await dashboard.screenshot(page, "sign-in-wrong-password");
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Projects", level: 1 }).waitFor();
  });

  it("shows a 422 beside the field it is about", { timeout: 180_000 }, async () => {
    const page = await dashboard.newPage();
    await page.goto("/sign-up");
    await page.getByLabel("Email").fill(uniqueEmail("short"));
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    const password = page.getByLabel("Password");
    await expect.poll(() => password.getAttribute("aria-invalid")).toBe("true");
    const note = page.locator(`#${await password.getAttribute("aria-describedby")}`);
    await expect.poll(async () => (await note.textContent()) ?? "").toMatch(/8/);
    await dashboard.screenshot(page, "sign-up-422");
  });

  it("sends a user whose session has expired back to sign in, and back to the page they were on", { timeout: 180_000 }, async () => {
    const user = await userWithProject(dashboard.server, "expired");
    const page = await dashboard.newPage();
    await signIn(page, user.email, user.password);
    // Past the access token's life and the refresh token's: the session cannot be renewed.
    const later = 31 * 86_400_000;
    dashboard.server.advanceClock(later);
    try {
      await page.goto(`/projects/${user.projectId}/env`);
      await page.getByText("Your session has expired. Sign in again.").waitFor();
      await dashboard.screenshot(page, "session-expired");
      await page.getByLabel("Email").fill(user.email);
      await page.getByLabel("Password").fill(user.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect.poll(() => new URL(page.url()).pathname).toBe(`/projects/${user.projectId}/env`);
    } finally {
      dashboard.server.advanceClock(-later);
    }
  });

  it("resets a forgotten password through the dev outbox's mail", { timeout: 180_000 }, async () => {
    const user = await userWithProject(dashboard.server, "forgot");
    const page = await dashboard.newPage();
    await page.goto("/sign-in");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByLabel("Email").fill(user.email);
    await page.getByRole("button", { name: "Send reset mail" }).click();
    await page.getByRole("link", { name: "open the reset link from the mail" }).click();
    await page.getByLabel("New password").fill("a brand new password");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Your password was changed").waitFor();
    expect((await dashboard.server.api.post("/auth/login", { body: { email: user.email, password: user.password } })).status).toBe(401);
    await signIn(page, user.email, "a brand new password");
  });

  it("signs out: the session's token stops working, and the pages ask to sign in", { timeout: 180_000 }, async () => {
    const user = await userWithProject(dashboard.server, "signout");
    const page = await dashboard.newPage();
    await signIn(page, user.email, user.password);
    const token = await page.evaluate(() => (JSON.parse((globalThis as any).localStorage.getItem("lubes.session") ?? "{}") as { access_token?: string }).access_token);
    await page.goto(`/projects/${user.projectId}/env`);
    await page.getByRole("heading", { name: "signout project", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    // Signed out on purpose: the next person to sign in here does not land on this user's page.
    await expect.poll(() => { const url = new URL(page.url()); return url.pathname + url.search; }).toBe("/sign-in");
    expect((await dashboard.server.api.get("/auth/me", { token })).status).toBe(401);
    await page.goto("/projects");
    await expect.poll(() => new URL(page.url()).pathname).toBe("/sign-in");
  });
});

describe("on a narrow screen, by keyboard", () => {
  it("signs in with the keyboard alone and shows the projects page without sideways scrolling", { timeout: 180_000 }, async () => {
    const user = await userWithProject(dashboard.server, "narrow");
    const page = await dashboard.newPage({ narrow: true });
    await page.goto("/sign-in");
    await page.getByLabel("Email").focus();
    await page.keyboard.type(user.email);
    await page.keyboard.press("Tab");
    await page.keyboard.type(user.password);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Projects", level: 1 }).waitFor();
    await page.getByRole("link", { name: "narrow project" }).waitFor();
    const overflow = await page.evaluate(() => {
      const { documentElement } = (globalThis as any).document;
      return (documentElement.scrollWidth as number) - (documentElement.clientWidth as number);
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await dashboard.screenshot(page, "projects-narrow");
  });
});
