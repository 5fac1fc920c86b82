// The dashboard's functions tab: a function created from the page, deployed, invoked with a request body, and its
// console output followed in the logs, including lines of invocations made from outside the page.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectAccessible, signIn, startDashboard, userWithProject, type Dashboard } from "../support/browser";

let dashboard: Dashboard;
beforeAll(async () => {
  dashboard = await startDashboard();
});
afterAll(() => dashboard.close());

const SOURCE = `export default async (request) => {
  const { name } = await request.json();
  console.log("greeting", name);
  return new Response(JSON.stringify({ greeting: "Hello, " + name }), {
    status: 201,
    headers: { "content-type": "application/json" },
  });
};
`;

describe("the functions tab", () => {
  it("creates, deploys and invokes a function, and follows its logs", { timeout: 240_000 }, async () => {
    const { server } = dashboard;
    const user = await userWithProject(server, "functions");
    const fns = `/projects/${user.projectId}/functions`;
    const page = await dashboard.newPage();
    await signIn(page, user.email, user.password);
    await page.goto(`/projects/${user.projectId}/functions`);
    await page.getByText("No functions yet").waitFor();

    await page.getByLabel(/^Slug/).fill("greeter");
    await page.getByLabel("Name (optional)").fill("Greeter");
    await page.getByLabel("Source", { exact: true }).fill(SOURCE);
    await page.getByRole("button", { name: "Create function" }).click();

    // It is listed, not deployed, and opened: its source is shown as it was saved.
    const listed = page.getByRole("region", { name: "Functions" }).getByRole("row", { name: /greeter/ });
    await listed.getByRole("cell", { name: "not deployed" }).waitFor();
    await page.getByRole("heading", { name: "Function greeter" }).waitFor();
    // A slug taken is said beside the slug (a 409 naming its field), not lost.
    await page.getByLabel(/^Slug/).fill("greeter");
    await page.getByLabel("Source", { exact: true }).fill(SOURCE);
    await page.getByRole("button", { name: "Create function" }).click();
    const slug = page.getByLabel(/^Slug/);
    await expect.poll(() => slug.getAttribute("aria-invalid")).toBe("true");
    const taken = (await server.api.post(fns, { token: user.token, body: { slug: "greeter", source: SOURCE } })).body.error.message;
    expect(await page.locator(`#${await slug.getAttribute("aria-describedby")}`).textContent()).toBe(taken);
    expect(await page.getByLabel("Source of greeter").textContent()).toBe(SOURCE);
    expect((await server.api.get(`${fns}/greeter`, { token: user.token })).body).toMatchObject({ slug: "greeter", name: "Greeter", source: SOURCE, live_version: null });
    await page.getByText("Deploy the function first").waitFor();

    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await page.getByText("Deployed version 1: it is live.").waitFor();
    await listed.getByRole("cell", { name: "version 1" }).waitFor();
    await page.getByRole("row", { name: /Deployed version 1/ }).waitFor(); // the deploy's own log line
    const versions = page.getByRole("region", { name: "Deployed versions" });
    const checksum = (await server.api.get(`${fns}/greeter`, { token: user.token })).body.source_sha256 as string;
    await versions.getByRole("row", { name: /1 live/ }).getByText(checksum).waitFor();

    // An invocation with a body: the function's status and body come back as it answered them.
    await page.getByLabel("Method").selectOption("POST");
    await page.getByLabel("Request body").fill('{"name": "Ada"}');
    await page.getByRole("button", { name: "Invoke", exact: true }).click();
    const response = page.getByRole("status", { name: "Response" });
    await response.getByText("201 Created from version 1").waitFor();
    expect(JSON.parse((await response.getByLabel("Response body").textContent()) ?? "")).toEqual({ greeting: "Hello, Ada" });
    await page.getByRole("row", { name: /greeting Ada/ }).getByRole("cell", { name: "info" }).waitFor();

    // The logs follow: a line from an invocation made outside the page appears without anything done on it.
    const outside = await fetch(`${server.url}${fns}/greeter/invoke`, { method: "POST", headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "Grace" }) });
    expect(outside.status).toBe(201);
    await page.getByRole("row", { name: /greeting Grace/ }).waitFor();
    // Newest first, as the caption says.
    const logs = page.getByRole("region", { name: "Logs of greeter, newest first" });
    const messages = await logs.locator("tbody tr td:last-child").allInnerTexts();
    expect(messages.slice(0, 2)).toEqual(["greeting Grace", "greeting Ada"]);

    // A failure the function's own: a 502 with the API's message, and the error in the logs.
    await page.getByLabel("Request body").fill("not json");
    await page.getByRole("button", { name: "Invoke", exact: true }).click();
    await response.getByText("502 Bad Gateway").waitFor();
    await response.getByText(/^Function "greeter" failed: .* \(see its logs\)$/).waitFor();
    await logs.locator("tr.log-error").first().waitFor();

    await page.getByLabel("Request body").fill('{"name": "Ada"}');
    await page.getByRole("button", { name: "Invoke", exact: true }).click();
    await response.getByText("201 Created from version 1").waitFor();
    await expectAccessible(page, "functions");
    await dashboard.screenshot(page, "functions");

    // A draft changed elsewhere is never deployed unseen: the page shows it first, and deploys it when asked again.
    const changed = SOURCE.replace("Hello", "Hi");
    await server.api.patch(`${fns}/greeter`, { token: user.token, body: { source: changed } });
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await page.getByRole("alert").getByText(/The draft changed since this page loaded/).waitFor();
    await expect.poll(() => page.getByLabel("Source of greeter").textContent()).toBe(changed);
    expect((await server.api.get(`${fns}/greeter`, { token: user.token })).body.live_version).toBe(1);
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await page.getByText("Deployed version 2: it is live.").waitFor();

    // On a phone-sized screen nothing but the tables' own scrolling areas is wider than the page.
    const narrow = await dashboard.newPage({ narrow: true });
    await signIn(narrow, user.email, user.password);
    await narrow.goto(`/projects/${user.projectId}/functions`);
    await narrow.getByRole("button", { name: "greeter" }).click();
    await narrow.getByRole("row", { name: /greeting Grace/ }).waitFor();
    expect(await narrow.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
    await expectAccessible(narrow, "functions (narrow)");
    await dashboard.screenshot(narrow, "functions-narrow");
  });
});
