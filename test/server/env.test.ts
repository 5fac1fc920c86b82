// Environment variables over real HTTP: set creates or updates, sensitive values are write-only, drift stays visible.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { matchesDigest } from "../../provider/resources/env-var";
import { backfillSecretDigests } from "../../server/store/env";
import { createKey, createOrg, createProject, expectEnvelope, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

const sha = (value: string) => createHash("sha256").update(value).digest("hex");

describeEachEngine("environment variables", (engine) => {
  let server: TestServer;
  let owner: TestUser;
  let projectId: string;
  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = await signUp(server.api, "owner");
    projectId = (await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id)).id;
  });
  afterAll(() => server.close());
  const env = (suffix = "") => `/projects/${projectId}/env${suffix}`;

  it("sets a variable for every environment by default and lists it", async () => {
    const res = await server.api.post(env(), { token: owner.token, body: { key: "API_URL", value: "https://api.example.com" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ key: "API_URL", value: "https://api.example.com", value_sha256: sha("https://api.example.com"), sensitive: false, environments: ["production", "preview", "development"] });
    const list = await server.api.get(env(), { token: owner.token });
    expect(list.body.data).toContainEqual(res.body);
  });

  it("updates an existing key in place", async () => {
    const first = await server.api.post(env(), { token: owner.token, body: { key: "MODE", value: "a", environments: ["preview"] } });
    const second = await server.api.post(env(), { token: owner.token, body: { key: "MODE", value: "b", environments: ["production"] } });
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body).toMatchObject({ key: "MODE", value: "b", environments: ["production"], created_at: first.body.created_at });
    const list = await server.api.get(env("?limit=100"), { token: owner.token });
    expect(list.body.data.filter((v: { key: string }) => v.key === "MODE")).toHaveLength(1);
  });

  it("with If-None-Match: * only creates: an existing key answers 412 and keeps its value", async () => {
    const created = await server.api.post(env(), { token: owner.token, body: { key: "ONCE", value: "first" }, headers: { "if-none-match": "*" } });
    expect(created.status).toBe(201);
    const again = await server.api.post(env(), { token: owner.token, body: { key: "ONCE", value: "second" }, headers: { "if-none-match": "*" } });
    expectEnvelope(again, 412, "already_exists");
    expect(again.body.error.details).toEqual({ key: "ONCE" });
    const list = await server.api.get(env("?limit=100"), { token: owner.token });
    expect(list.body.data.find((v: { key: string }) => v.key === "ONCE")).toMatchObject({ value: "first" });
    expectEnvelope(await server.api.post(env(), { token: owner.token, body: { key: "ONCE", value: "x" }, headers: { "if-none-match": '"abc"' } }), 400, "unsupported_precondition");
  });

  it("never returns a sensitive value, nor a hash to guess it from: a salted scrypt digest to writers, nothing to readers", async () => {
    const pin = "482913";
    const set = await server.api.post(env(), { token: owner.token, body: { key: "PIN", value: pin, sensitive: true } });
    expect(set.body).toMatchObject({ value: null, value_sha256: null, sensitive: true });
    const digest = set.body.value_digest as string;
    expect(digest).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    // A client that knows the value can check it (the provider's check); a neighbour value does not match.
    expect([await matchesDigest(pin, digest), await matchesDigest("482914", digest)]).toEqual([true, false]);
    // Salted anew at every set: the same value never shows the same digest twice.
    const again = await server.api.post(env(), { token: owner.token, body: { key: "PIN", value: pin, sensitive: true } });
    expect(again.body.value_digest).not.toBe(digest);
    expect(await matchesDigest(pin, again.body.value_digest)).toBe(true);

    const reader = await createKey(server.api, owner.token, { projects: [projectId], permissions: ["read"] });
    const writer = await createKey(server.api, owner.token, { projects: [projectId], permissions: ["write"] });
    const deployment = await server.api.post(`/projects/${projectId}/deployments`, { token: owner.token, body: {} });
    for (const [token, shows] of [[reader, false], [writer, true]] as const) {
      const listed = (await server.api.get(env("?limit=100"), { token })).body.data.find((v: { key: string }) => v.key === "PIN");
      const captured = (await server.api.get(`/projects/${projectId}/deployments/${deployment.body.id}`, { token })).body.env.find((v: { key: string }) => v.key === "PIN");
      for (const seen of [listed, captured]) {
        expect(seen).toMatchObject({ value_sha256: null, sensitive: true });
        expect(seen.value_digest === null, JSON.stringify(seen)).toBe(!shows);
        expect(JSON.stringify(seen)).not.toContain(sha(pin));
      }
    }
    // Not in the control plane in plain text, nor as a fast hash.
    const { rows } = await server.app.lubes.sql.query<Record<string, string | null>>("SELECT * FROM env_vars WHERE key = 'PIN'");
    expect(JSON.stringify(rows)).not.toMatch(new RegExp(`${pin}|${sha(pin)}`));
  });

  it("gives a sensitive variable stored before digests existed its digest at start-up, and drops its fast hash", async () => {
    await server.api.post(env(), { token: owner.token, body: { key: "LEGACY", value: "old-secret", sensitive: true } });
    await server.app.lubes.sql.query("UPDATE env_vars SET value_digest = NULL, value_sha256 = $1 WHERE key = 'LEGACY'", [sha("old-secret")]);
    await backfillSecretDigests(server.app.lubes);
    const { rows } = await server.app.lubes.sql.query<{ value_sha256: string | null; value_digest: string }>("SELECT value_sha256, value_digest FROM env_vars WHERE key = 'LEGACY'");
    expect(rows[0]?.value_sha256).toBeNull();
    expect(await matchesDigest("old-secret", rows[0]?.value_digest ?? "")).toBe(true);
  });

  it("reads one variable by key (extension), as the list shows it, and a missing one is 404", async () => {
    await server.api.post(env(), { token: owner.token, body: { key: "SINGLE", value: "one" } });
    const listed = (await server.api.get(env("?limit=100"), { token: owner.token })).body.data.find((v: { key: string }) => v.key === "SINGLE");
    expect((await server.api.get(env("/SINGLE"), { token: owner.token })).body).toEqual(listed);
    expectEnvelope(await server.api.get(env("/MISSING"), { token: owner.token }), 404, "not_found");
  });

  it("deletes a variable, and a missing one is 404", async () => {
    await server.api.post(env(), { token: owner.token, body: { key: "TEMP", value: "x" } });
    expect((await server.api.delete(env("/TEMP"), { token: owner.token })).status).toBe(204);
    expectEnvelope(await server.api.delete(env("/TEMP"), { token: owner.token }), 404, "not_found");
  });

  it.each([
    [{ key: "lower", value: "x" }, "key", "pattern"],
    [{ key: "1ABC", value: "x" }, "key", "pattern"],
    [{ key: "A-B", value: "x" }, "key", "pattern"],
    [{ key: "OK" }, "value", "required"],
    [{ key: "OK", value: 5 }, "value", "type"],
    [{ key: "OK", value: "x".repeat(65_537) }, "value", "max_length"],
    [{ key: "OK", value: "x", environments: ["staging"] }, "environments.0", "enum"],
    [{ key: "OK", value: "x", environments: [] }, "environments", "min_length"],
  ])("refuses %j naming %s (%s)", async (body, field, constraint) => {
    const res = await server.api.post(env(), { token: owner.token, body });
    expectEnvelope(res, 422, "validation_error");
    expect(res.body.error.details).toMatchObject({ field, constraint });
  });

  it("goes with its project", async () => {
    const org = await createOrg(server.api, owner.token);
    const project = await createProject(server.api, owner.token, org.id);
    await server.api.post(`/projects/${project.id}/env`, { token: owner.token, body: { key: "GONE", value: "x" } });
    await server.api.delete(`/projects/${project.id}`, { token: owner.token });
    const { rows } = await server.app.lubes.sql.query("SELECT 1 FROM env_vars WHERE project_id = $1", [project.id]);
    expect(rows).toHaveLength(0);
  });
});
