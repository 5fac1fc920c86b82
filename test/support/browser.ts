// Dashboard tests: a real lubes-server and headless Chromium (Debian's `chromium`, driven by playwright-core), with
// helpers to sign in through the page and to keep a screenshot of each main page under test-artifacts/dashboard.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { startTestServer, type TestServer, type TestServerOptions } from "./server";

/** Where Chromium is: LUBES_CHROMIUM, else Debian's package (`.ci/run` installs it). */
export function chromiumPath(): string {
  const path = process.env["LUBES_CHROMIUM"] ?? "/usr/bin/chromium";
  if (!existsSync(path)) throw new Error(`Chromium is not at ${path}: install Debian's chromium package (apt-get install chromium), or set LUBES_CHROMIUM`);
  return path;
}

export const ARTIFACTS = join(import.meta.dirname, "..", "..", "test-artifacts", "dashboard");

export interface Dashboard {
  server: TestServer;
  browser: Browser;
  /** The server's root, where the dashboard is served (the API is under `${root}/v1`). */
  root: string;
  /** A new page in a fresh context (its own storage: a new visitor), narrow when asked. */
  newPage(options?: { narrow?: boolean }): Promise<Page>;
  /** Saves a full-page screenshot as test-artifacts/dashboard/<name>.png, after checking the page with axe. */
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startDashboard(options: TestServerOptions = {}): Promise<Dashboard> {
  const server = await startTestServer("pglite", options);
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  const root = server.url.replace(/\/v1$/, "");
  mkdirSync(ARTIFACTS, { recursive: true });
  const pageErrors: string[] = [];
  return {
    server,
    browser,
    root,
    async newPage({ narrow = false } = {}) {
      const context = await browser.newContext({ baseURL: root, viewport: narrow ? { width: 390, height: 844 } : { width: 1280, height: 900 } });
      // Pages wait for conditions (an element, a URL); on a busy machine those can take long, so the bound is loose.
      context.setDefaultTimeout(60_000);
      const page = await context.newPage();
      // A script error in the page fails the file (at close), never silently.
      page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${error.message}`));
      return page;
    },
    async screenshot(page, name) {
      await expectAccessible(page, name);
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    async close() {
      await browser.close();
      await server.close();
      if (pageErrors.length > 0) throw new Error(`the dashboard threw in the page:\n${pageErrors.join("\n")}`);
    },
  };
}

/** A user, their organization and a project, made through the API: for tests of one area of a project's page. */
export async function userWithProject(server: TestServer, label: string): Promise<{ email: string; password: string; token: string; orgId: string; projectId: string }> {
  const email = `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = "correct horse battery";
  const registered = await server.api.post("/auth/register", { body: { email, password } });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${registered.text}`);
  const token = registered.body.access_token as string;
  const org = await server.api.post("/organizations", { token, body: { name: `${label} org` } });
  const project = await server.api.post("/projects", { token, body: { name: `${label} project`, organization_id: org.body.id } });
  if (project.status !== 201) throw new Error(`create project answered ${project.status}: ${project.text}`);
  return { email, password, token, orgId: org.body.id, projectId: project.body.id };
}

/** Signs in through the sign-in page and waits for the projects page. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Projects", level: 1 }).waitFor();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * Checks the page as it is with axe-core (WCAG 2.1 A and AA rules) and fails on any serious or critical violation:
 * an unlabelled control, too little contrast, a button without a name. (`evaluate` runs outside the page's CSP.)
 */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // (This runs in the page; the tests' TypeScript has no DOM types.)
    const { axe, document } = globalThis as unknown as { document: unknown; axe: { run(context: unknown, options: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } };
    const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical").map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => JSON.stringify(node.target)).join(", ")}`);
  });
  if (violations.length > 0) throw new Error(`the ${name} page has accessibility violations:\n${violations.join("\n")}`);
}
