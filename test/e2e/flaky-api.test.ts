// examples/quickstart against a flaky API: one request in three fails with a 503 before it runs, and the response of
// one in four is lost after the work is done. The stack must still converge with exactly one of everything: no
// duplicate from a retried create, no orphan, no double deploy.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ExampleStack } from "../engine/runner";
import { describeExample, exampleServer, expectNoChanges, listOf, type ExampleServer } from "./support";

const LONG = 240_000;

describeExample("examples/quickstart against a flaky API", (make) => {
  let lubes: ExampleServer;
  let stack: ExampleStack;
  let flaky = false;
  const injected = { failed: 0, dropped: 0, droppedCreates: 0 };
  /** While the stack runs, every third request fails and every fourth response is lost; the checks see a sound API. */
  const strike = (every: number, counter: "failed" | "dropped") => {
    let seen = 0;
    return (request: { method: string }) => {
      if (!flaky || ++seen % every !== 0) return false;
      injected[counter] += 1;
      if (counter === "dropped" && request.method === "POST") injected.droppedCreates += 1;
      return true;
    };
  };
  const withFaults = async <T>(run: () => Promise<T>): Promise<T> => {
    flaky = true;
    try {
      return await run();
    } finally {
      flaky = false;
    }
  };

  beforeAll(async () => {
    lubes = await exampleServer({ faults: { fail: strike(3, "failed"), drop: strike(4, "dropped") } });
    stack = await make({ example: "quickstart", stack: "dev", config: { ...lubes.config, "lubes-quickstart:apiToken": "tok" }, secret: [...lubes.secret, "lubes-quickstart:apiToken"] });
  });
  afterAll(async () => {
    stack.dispose();
    await lubes.close();
  });

  it("up converges with exactly one of everything, and nothing is left to do", async () => {
    const up = await withFaults(() => stack.up());
    expect(up.summary.create, up.text).toBe(11);
    expect(injected.failed).toBeGreaterThanOrEqual(5);
    expect(injected.dropped).toBeGreaterThanOrEqual(3);
    // A create (or deploy) whose answer was lost and that was sent again: the Idempotency-Key makes it one.
    expect(injected.droppedCreates).toBeGreaterThanOrEqual(1);
    const orgs = await listOf(lubes.api, lubes.token, "/organizations");
    expect(orgs).toHaveLength(1);
    const projects = await listOf(lubes.api, lubes.token, `/projects?organization_id=${String(orgs[0]?.["id"])}`);
    expect(projects).toHaveLength(1);
    const p = `/projects/${String(projects[0]?.["id"])}`;
    expect((await listOf(lubes.api, lubes.token, `${p}/env`)).map((v) => v["key"])).toEqual(["API_TOKEN", "GREETING"]);
    expect((await listOf(lubes.api, lubes.token, `${p}/storage/buckets`)).map((b) => b["name"])).toEqual(["assets"]);
    expect((await listOf(lubes.api, lubes.token, `${p}/storage/objects`)).map((o) => o["name"])).toEqual(["docs/welcome.txt"]);
    expect(await listOf(lubes.api, lubes.token, `${p}/functions`)).toMatchObject([{ slug: "hello", live_version: 1 }]);
    expect(await listOf(lubes.api, lubes.token, `${p}/db/migrations`)).toMatchObject([{ name: "001_notes", status: "applied" }]);
    expect((await listOf(lubes.api, lubes.token, `${p}/db/branches`)).map((b) => b["name"]).sort()).toEqual(["dev", "main"]);
    expect(await listOf(lubes.api, lubes.token, `${p}/deployments`)).toHaveLength(1);
    expectNoChanges(await withFaults(() => stack.preview()));
    const refresh = await withFaults(() => stack.refresh());
    expect(refresh.drift, refresh.text).toEqual([]);
  }, LONG);

  it("destroy, still flaky, leaves nothing", async () => {
    const destroy = await withFaults(() => stack.destroy());
    expect(destroy.summary.delete, destroy.text).toBe(11);
    expect(await listOf(lubes.api, lubes.token, "/organizations")).toEqual([]);
  }, LONG);
});
