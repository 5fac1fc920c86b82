// The lifecycle every generic resource kind must follow, shared by the provider-core tests and the tests through the
// real dynamic-provider host: inputs, an in-place change, a replacing change, and a change made outside Pulumi.
import { createHash } from "node:crypto";
import { bucket, envVar, lubesFunction, organization, organizationMember, project, storageObject, type ResourceKind } from "../../provider/resources";
import { createKey, signUp, type Api, type TestServer } from "./server";

export interface Fixture {
  orgId: string;
  projectId: string;
  otherProjectId: string;
  token: string;
  api: Api;
}

export interface Lifecycle {
  kind: ResourceKind<any, any>;
  inputs: (f: Fixture) => Record<string, unknown>;
  /** An in-place change of `inputs`. */
  update: (f: Fixture) => Record<string, unknown>;
  /** A change of `update` that replaces the resource, and the property that forces it. */
  replace: (f: Fixture) => [Record<string, unknown>, string];
  /** Changes the resource outside Pulumi, through the API. */
  drift: (f: Fixture, id: string) => Promise<unknown>;
  /** The output that must show that drift, and its live value. */
  drifted: [string, unknown];
}

export const lifecycles: Lifecycle[] = [
  {
    kind: organization,
    inputs: () => ({ name: "Acme" }),
    update: () => ({ name: "Acme Inc", plan: "pro" }),
    replace: () => [{ name: "Acme Inc", plan: "pro" }, ""],
    drift: (f, id) => f.api.patch(`/organizations/${id}`, { token: f.token, body: { plan: "team" } }),
    drifted: ["plan", "team"],
  },
  {
    kind: project,
    inputs: (f) => ({ name: "Web", organizationId: f.orgId }),
    update: (f) => ({ name: "Web App", organizationId: f.orgId }),
    replace: () => [{ name: "Web App", organizationId: "org_elsewhere" }, "organizationId"],
    drift: (f, id) => f.api.patch(`/projects/${id}`, { token: f.token, body: { name: "Renamed by hand" } }),
    drifted: ["name", "Renamed by hand"],
  },
  {
    kind: envVar,
    inputs: (f) => ({ projectId: f.projectId, key: "API_URL", value: "https://one" }),
    update: (f) => ({ projectId: f.projectId, key: "API_URL", value: "https://two", environments: ["production"] }),
    replace: (f) => [{ projectId: f.projectId, key: "OTHER_KEY", value: "https://two", environments: ["production"] }, "key"],
    drift: (f) => f.api.post(`/projects/${f.projectId}/env`, { token: f.token, body: { key: "API_URL", value: "changed by hand", environments: ["production"] } }),
    drifted: ["value", "changed by hand"],
  },
  {
    kind: bucket,
    inputs: (f) => ({ projectId: f.projectId, name: "avatars" }),
    update: (f) => ({ projectId: f.projectId, name: "avatars", public: true }),
    replace: (f) => [{ projectId: f.projectId, name: "photos", public: true }, "name"],
    drift: (f) => f.api.patch(`/projects/${f.projectId}/storage/buckets/avatars`, { token: f.token, body: { public: false } }),
    drifted: ["public", false],
  },
  {
    kind: lubesFunction,
    inputs: (f) => ({ projectId: f.projectId, slug: "hello", source: "export default async () => new Response('v1');" }),
    update: (f) => ({ projectId: f.projectId, slug: "hello", source: "export default async () => new Response('v2');", memoryMb: 64 }),
    replace: (f) => [{ projectId: f.projectId, slug: "renamed", source: "export default async () => new Response('v2');", memoryMb: 64 }, "slug"],
    drift: (f) => f.api.patch(`/projects/${f.projectId}/functions/hello`, { token: f.token, body: { memory_mb: 256 } }),
    drifted: ["memoryMb", 256],
  },
  {
    kind: storageObject,
    inputs: (f) => ({ projectId: f.projectId, bucket: "assets", key: "site/index.html", content: "<h1>one</h1>" }),
    update: (f) => ({ projectId: f.projectId, bucket: "assets", key: "site/index.html", content: "<h1>two</h1>" }),
    replace: (f) => [{ projectId: f.projectId, bucket: "assets", key: "site/other.html", content: "<h1>two</h1>" }, "key"],
    drift: (f) => f.api.request("PUT", `/projects/${f.projectId}/storage/objects/assets/site/index.html`, { token: f.token, raw: "defaced", headers: { "content-type": "text/html" } }),
    drifted: ["contentMd5", createHash("md5").update("defaced").digest("hex")],
  },
  {
    kind: organizationMember,
    inputs: (f) => ({ organizationId: f.orgId, email: "new.hire@example.com" }),
    update: (f) => ({ organizationId: f.orgId, email: "new.hire@example.com", role: "admin" }),
    replace: (f) => [{ organizationId: f.orgId, email: "other@example.com", role: "admin" }, "email"],
    drift: async (f, id) => f.api.patch(`/organizations/${f.orgId}/members/${id.split("/")[1] ?? ""}`, { token: f.token, body: { role: "viewer" } }),
    drifted: ["role", "viewer"],
  },
];

/** A user with an API key, an organization, two projects and a bucket `assets` in the first: what host tests start from. */
export async function fixtureOn(server: TestServer): Promise<{ fixture: Fixture; key: string }> {
  const owner = await signUp(server.api, "host");
  const key = await createKey(server.api, owner.token, { name: "pulumi" });
  const org = await server.api.post("/organizations", { token: owner.token, body: { name: "Host" } });
  const one = await server.api.post("/projects", { token: owner.token, body: { name: "One", organization_id: org.body.id } });
  const two = await server.api.post("/projects", { token: owner.token, body: { name: "Two", organization_id: org.body.id } });
  await server.api.post(`/projects/${one.body.id}/storage/buckets`, { token: owner.token, body: { name: "assets" } });
  return { fixture: { orgId: org.body.id, projectId: one.body.id, otherProjectId: two.body.id, token: owner.token, api: server.api }, key };
}
