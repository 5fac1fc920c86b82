// The authorization matrix: every authenticated endpoint of the contract × every kind of bad or limited credential,
// each with its exact status. A new endpoint without a row here fails the first test.
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpoints } from "../../contract";
import { describeEachEngine } from "../support/engines";
import { createKey, createOrg, createProject, signUp, startTestServer, type RequestOptions, type TestServer, type TestUser } from "../support/server";

type Credential = "none" | "malformed" | "wrong scheme" | "expired session" | "expired key" | "revoked session" | "revoked key" | "key scoped to another project" | "read-only key" | "user of another organization";
const ALWAYS_401: Credential[] = ["none", "malformed", "wrong scheme", "expired session", "expired key", "revoked session", "revoked key"];

interface Fixture {
  deploymentId: string;
  orgId: string;
  projectId: string;
  memberId: string;
  ownerKeyId: string;
}

interface Row {
  op: string;
  request: (f: Fixture) => { method: string; path: string; body?: unknown };
  /** Expected status for the three credentials that authenticate but are limited. */
  scoped: number;
  readOnly: number;
  stranger: number;
}

const rows: Row[] = [
  { op: "logout", request: () => ({ method: "POST", path: "/auth/logout" }), scoped: 400, readOnly: 400, stranger: 204 },
  { op: "getCurrentUser", request: () => ({ method: "GET", path: "/auth/me" }), scoped: 200, readOnly: 200, stranger: 200 },
  { op: "listApiKeys", request: () => ({ method: "GET", path: "/api-keys" }), scoped: 403, readOnly: 403, stranger: 200 },
  { op: "createApiKey", request: () => ({ method: "POST", path: "/api-keys", body: { name: "k" } }), scoped: 403, readOnly: 403, stranger: 201 },
  { op: "deleteApiKey", request: (f) => ({ method: "DELETE", path: `/api-keys/${f.ownerKeyId}` }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "listOrganizations", request: () => ({ method: "GET", path: "/organizations" }), scoped: 200, readOnly: 200, stranger: 200 },
  { op: "createOrganization", request: () => ({ method: "POST", path: "/organizations", body: { name: "New" } }), scoped: 403, readOnly: 403, stranger: 201 },
  { op: "getOrganization", request: (f) => ({ method: "GET", path: `/organizations/${f.orgId}` }), scoped: 200, readOnly: 200, stranger: 404 },
  { op: "updateOrganization", request: (f) => ({ method: "PATCH", path: `/organizations/${f.orgId}`, body: { name: "X" } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "deleteOrganization", request: (f) => ({ method: "DELETE", path: `/organizations/${f.orgId}` }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "listMembers", request: (f) => ({ method: "GET", path: `/organizations/${f.orgId}/members` }), scoped: 200, readOnly: 200, stranger: 404 },
  { op: "inviteMember", request: (f) => ({ method: "POST", path: `/organizations/${f.orgId}/members`, body: { email: "new@example.com" } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "getMember", request: (f) => ({ method: "GET", path: `/organizations/${f.orgId}/members/${f.memberId}` }), scoped: 200, readOnly: 200, stranger: 404 },
  { op: "updateMember", request: (f) => ({ method: "PATCH", path: `/organizations/${f.orgId}/members/${f.memberId}`, body: { role: "admin" } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "removeMember", request: (f) => ({ method: "DELETE", path: `/organizations/${f.orgId}/members/${f.memberId}` }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "verifyEmail", request: () => ({ method: "POST", path: "/auth/verify-email", body: { token: "lev_unknown" } }), scoped: 400, readOnly: 403, stranger: 422 },
  { op: "acceptInvitation", request: () => ({ method: "POST", path: "/invitations/accept", body: { token: "linv_unknown" } }), scoped: 400, readOnly: 403, stranger: 422 },
  { op: "listProjects", request: () => ({ method: "GET", path: "/projects" }), scoped: 200, readOnly: 200, stranger: 200 },
  { op: "createProject", request: (f) => ({ method: "POST", path: "/projects", body: { name: "P", organization_id: f.orgId } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "getProject", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "updateProject", request: (f) => ({ method: "PATCH", path: `/projects/${f.projectId}`, body: { name: "Q" } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "listEnvVars", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/env` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "getEnvVar", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/env/K` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "setEnvVar", request: (f) => ({ method: "POST", path: `/projects/${f.projectId}/env`, body: { key: "K", value: "v" } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "deleteEnvVar", request: (f) => ({ method: "DELETE", path: `/projects/${f.projectId}/env/K` }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "executeQuery", request: (f) => ({ method: "POST", path: `/projects/${f.projectId}/db/query`, body: { query: "SELECT 1" } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "listTables", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/db/tables` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "getTableSchema", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/db/tables/things` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "listBranches", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/db/branches` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "createBranch", request: (f) => ({ method: "POST", path: `/projects/${f.projectId}/db/branches`, body: { name: "new" } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "getBranch", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/db/branches/dev` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "deleteBranch", request: (f) => ({ method: "DELETE", path: `/projects/${f.projectId}/db/branches/dev` }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "listMigrations", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/db/migrations` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "getMigration", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/db/migrations/m1` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "runMigration", request: (f) => ({ method: "POST", path: `/projects/${f.projectId}/db/migrations`, body: { name: "m1", sql: "SELECT 1" } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "revertMigration", request: (f) => ({ method: "POST", path: `/projects/${f.projectId}/db/migrations/m1/revert`, body: { sql: "SELECT 1" } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "listBuckets", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/storage/buckets` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "createBucket", request: (f) => ({ method: "POST", path: `/projects/${f.projectId}/storage/buckets`, body: { name: "new-bucket" } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "getBucket", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/storage/buckets/files` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "updateBucket", request: (f) => ({ method: "PATCH", path: `/projects/${f.projectId}/storage/buckets/files`, body: { public: true } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "deleteBucket", request: (f) => ({ method: "DELETE", path: `/projects/${f.projectId}/storage/buckets/files` }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "listObjects", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/storage/objects` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "uploadObject", request: (f) => ({ method: "POST", path: `/projects/${f.projectId}/storage/objects`, body: { bucket: "files" } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "putObject", request: (f) => ({ method: "PUT", path: `/projects/${f.projectId}/storage/objects/files/b.txt`, body: "bytes" }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "downloadObject", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/storage/objects/files/a.txt` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "deleteObject", request: (f) => ({ method: "DELETE", path: `/projects/${f.projectId}/storage/objects/files/a.txt` }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "createSignedUrl", request: (f) => ({ method: "POST", path: `/projects/${f.projectId}/storage/sign`, body: { key: "files/a.txt" } }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "listFunctions", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/functions` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "createFunction", request: (f) => ({ method: "POST", path: `/projects/${f.projectId}/functions`, body: { slug: "new", source: "export default () => new Response()" } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "getFunction", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/functions/hello` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "updateFunction", request: (f) => ({ method: "PATCH", path: `/projects/${f.projectId}/functions/hello`, body: { name: "x" } }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "deleteFunction", request: (f) => ({ method: "DELETE", path: `/projects/${f.projectId}/functions/hello` }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "deployFunction", request: (f) => ({ method: "POST", path: `/projects/${f.projectId}/functions/hello/deploy` }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "listFunctionVersions", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/functions/hello/versions` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "getFunctionLogs", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/functions/hello/logs` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "invokeFunction", request: (f) => ({ method: "POST", path: `/projects/${f.projectId}/functions/hello/invoke`, body: { x: 1 } }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "listDeployments", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/deployments` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "createDeployment", request: (f) => ({ method: "POST", path: `/projects/${f.projectId}/deployments`, body: {} }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "getDeployment", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/deployments/${f.deploymentId}` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "rollbackDeployment", request: (f) => ({ method: "POST", path: `/projects/${f.projectId}/deployments/${f.deploymentId}/rollback` }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "deleteDeployment", request: (f) => ({ method: "DELETE", path: `/projects/${f.projectId}/deployments/${f.deploymentId}` }), scoped: 403, readOnly: 403, stranger: 404 },
  { op: "getDeploymentLogs", request: (f) => ({ method: "GET", path: `/projects/${f.projectId}/deployments/${f.deploymentId}/logs` }), scoped: 403, readOnly: 200, stranger: 404 },
  { op: "deleteProject", request: (f) => ({ method: "DELETE", path: `/projects/${f.projectId}` }), scoped: 403, readOnly: 403, stranger: 404 },
];

describe("authorization matrix coverage", () => {
  it("has a row for every authenticated endpoint of the contract", () => {
    const authenticated = endpoints.filter((e) => e.auth !== "none").map((e) => e.operationId).sort();
    expect(rows.map((r) => r.op).sort()).toEqual(authenticated);
  });
});

describeEachEngine("authorization matrix", (engine) => {
  let server: TestServer;
  let owner: TestUser;
  let stranger: TestUser;
  let fixture: Fixture;
  const tokens = new Map<Credential, string | undefined>();
  const headers = new Map<Credential, Record<string, string>>();

  beforeAll(async () => {
    server = await startTestServer(engine);
    const api = server.api;
    owner = await signUp(api, "owner");
    stranger = await signUp(api, "stranger");
    const org = await createOrg(api, owner.token);
    const project = await createProject(api, owner.token, org.id, "Target");
    const other = await createProject(api, owner.token, org.id, "Other");
    await api.post(`/projects/${project.id}/db/query`, { token: owner.token, body: { query: "CREATE TABLE things (id int)" } });
    await api.post(`/projects/${project.id}/db/branches`, { token: owner.token, body: { name: "dev" } });
    await api.post(`/projects/${project.id}/db/migrations`, { token: owner.token, body: { name: "m1", sql: "SELECT 1" } });
    await api.post(`/projects/${project.id}/env`, { token: owner.token, body: { key: "K", value: "v" } });
    await api.post(`/projects/${project.id}/storage/buckets`, { token: owner.token, body: { name: "files" } });
    await api.post(`/projects/${project.id}/functions`, { token: owner.token, body: { slug: "hello", source: "export default () => new Response('hi')" } });
    await api.post(`/projects/${project.id}/functions/hello/deploy`, { token: owner.token });
    await api.request("PUT", `/projects/${project.id}/storage/objects/files/a.txt`, { token: owner.token, raw: "bytes", headers: { "content-type": "text/plain" } });
    const member = await signUp(api, "member");
    const invite = await api.post(`/organizations/${org.id}/members`, { token: owner.token, body: { email: member.email, role: "developer" } });
    await createKey(api, owner.token, { name: "owner key" });
    const ownerKeyId = (await api.get("/api-keys", { token: owner.token })).body.data[0].id as string;
    const deployment = await api.post(`/projects/${project.id}/deployments`, { token: owner.token, body: {} });
    fixture = { deploymentId: deployment.body.id, orgId: org.id, projectId: project.id, memberId: invite.body.id, ownerKeyId };

    const revokedSession = await signUp(api, "revoked");
    await api.post("/auth/logout", { token: revokedSession.token });
    const revokedKey = await createKey(api, owner.token, { name: "revoked" });
    const revokedKeyId = (await api.get("/api-keys?limit=100", { token: owner.token })).body.data.at(-1).id as string;
    await api.delete(`/api-keys/${revokedKeyId}`, { token: owner.token });
    const expiredKey = await createKey(api, owner.token, { name: "expiring", expires_in: 60 });
    // An access token signed with the server's own key, but an hour past its expiry.
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expiredSession = await new SignJWT({ sid: "ses_whatever" })
      .setProtectedHeader({ alg: "HS256" }).setSubject(owner.id).setIssuer("lubes").setIssuedAt(past - 900).setExpirationTime(past)
      .sign(server.app.lubes.keys.jwt);

    tokens.set("none", undefined);
    tokens.set("malformed", "not-a-token");
    headers.set("wrong scheme", { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` });
    tokens.set("expired session", expiredSession);
    tokens.set("expired key", expiredKey);
    tokens.set("revoked session", revokedSession.token);
    tokens.set("revoked key", revokedKey);
    tokens.set("key scoped to another project", await createKey(api, owner.token, { name: "scoped", projects: [other.id] }));
    tokens.set("read-only key", await createKey(api, owner.token, { name: "read", permissions: ["read"] }));
    server.advanceClock(61_000); // expires "expired key" only
  });
  afterAll(() => server.close());

  async function call(row: Row, credential: Credential): Promise<number> {
    const { method, path, body } = row.request(fixture);
    const options: RequestOptions = { body, headers: headers.get(credential) ?? {} };
    if (credential === "user of another organization") {
      // A fresh session each time, so the logout row does not spend the token other rows use.
      options.token = (await server.api.post("/auth/login", { body: { email: stranger.email, password: stranger.password } })).body.access_token;
    } else {
      options.token = tokens.get(credential);
    }
    const res = await server.api.request(method, path, options);
    if (res.status >= 400) expect(res.body.error, `${method} ${path} as ${credential}`).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    return res.status;
  }

  for (const credential of ALWAYS_401) {
    it(`every endpoint answers 401 with ${credential} credentials`, async () => {
      for (const row of rows) expect(await call(row, credential), `${row.op} with ${credential}`).toBe(401);
    });
  }

  it.each(rows)("$op: scoped key $scoped, read-only key $readOnly, user of another organization $stranger", async (row) => {
    expect(await call(row, "key scoped to another project"), "scoped key").toBe(row.scoped);
    expect(await call(row, "read-only key"), "read-only key").toBe(row.readOnly);
    expect(await call(row, "user of another organization"), "stranger").toBe(row.stranger);
  });
});
