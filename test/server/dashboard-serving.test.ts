// How lubes-server serves the dashboard beside the API: its page for every page path a browser asks for, its files
// cached for good, the API's 404 envelope for everything else, and nothing of it counted against a rate limit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/server";

describe("the dashboard, served at /", () => {
  let server: TestServer;
  let root: string;
  const html = { accept: "text/html,application/xhtml+xml" };
  beforeAll(async () => {
    server = await startTestServer("pglite", { rateLimits: { free: 3 } });
    root = server.url.replace(/\/v1$/, "");
  });
  afterAll(() => server.close());

  it("answers its page at / and at any page path, never cached, with a strict CSP and no referrer", async () => {
    for (const path of ["/", "/projects/proj_123/storage", "/reset-password?token=lpr_secret"]) {
      const res = await fetch(`${root}${path}`, { headers: html });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(await res.text()).toContain('<div id="app">');
    }
  });

  it("serves the script its page names, cached for good, and never counts the dashboard against a rate limit", async () => {
    const page = await (await fetch(`${root}/`, { headers: html })).text();
    const script = /src="(\/app-[^"]+\.js)"/.exec(page)?.[1] ?? "";
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${root}${script}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/javascript/);
      expect(res.headers.get("cache-control")).toContain("immutable");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-ratelimit-limit")).toBeNull();
    }
  });

  it("answers the API's 404 envelope to whatever is not a page: a file that is not there, a client wanting JSON, any path under /v1", async () => {
    for (const [path, headers] of [["/app-missing.js", html], ["/projects", { accept: "application/json" }], ["/v1/nowhere", html]] as const) {
      const res = await fetch(`${root}${path}`, { headers });
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("route_not_found");
    }
  });
});
