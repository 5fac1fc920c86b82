// Issue 14's load, at CI size: the mixed traffic of bench/load-traffic.ts (control-plane reads and writes, SQL,
// storage, function invocations, sessions) from a few concurrent clients for a few seconds. What a user relies on
// under concurrency: no 5xx, every request answered, and each answer the one a lone request would get (an upload
// 201, its download the same bytes, an invocation the function's answer). No latency is asserted here: the figures
// are bench/load.ts's (bench/RESULTS.md).
import { afterAll, beforeAll, expect, it } from "vitest";
import { CLASSES, runTraffic, setUpTenants, type LoadReport } from "../../bench/load-traffic";
import { describeEachEngine } from "../support/engines";
import { startTestServer, type TestServer } from "../support/server";

/** Operations each class must have answered as expected at least once in the run. */
const EXPECTED: Record<(typeof CLASSES)[number], string[]> = {
  read: ["GET project 200", "GET env 200", "GET buckets 200"],
  write: ["create variable 201", "update variable 200", "delete variable 204"],
  sql: ["select 200", "insert 200", "trim 200"],
  storage: ["upload 201", "download 200", "delete object 204"],
  function: ["invoke 200"],
  auth: ["refresh 200", "login 200"],
};

describeEachEngine("mixed traffic from concurrent clients", (engine) => {
  let server: TestServer;
  let report: LoadReport;

  beforeAll(async () => {
    server = await startTestServer(engine);
    const tenants = await setUpTenants(server.url, 2);
    // Logins are rare in the default mix; here every class is weighted alike so each operation shows up in 3 s.
    const mix = { read: 1, write: 1, sql: 1, storage: 1, function: 1, auth: 1 };
    report = await runTraffic({ url: server.url, tenants, clients: 6, durationMs: 3000, mix });
  });
  afterAll(() => server.close());

  it("answers every request, none with a 5xx", () => {
    expect(report.problems).toEqual([]);
    expect(report.serverErrors).toBe(0);
    expect(report.unanswered).toBe(0);
    expect(report.requests).toBeGreaterThan(0);
  });

  it("answers each operation of each class as a lone request would, bytes and function output included", () => {
    for (const name of CLASSES) {
      const stats = report.classes[name];
      expect(stats.unexpected, name).toBe(0);
      const answered = Object.keys(stats.statuses).sort();
      expect(answered, name).toEqual(expect.arrayContaining(EXPECTED[name]));
      // Nothing but the expected statuses: a 404, 409 or 429 anywhere would be a wrong answer.
      expect(answered.filter((label) => !EXPECTED[name].includes(label)), name).toEqual([]);
    }
  });
});
