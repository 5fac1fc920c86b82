// Lookups: what a project holds, read through the API and returned as plain typed data (camelCase, as Pulumi programs
// name things). The SDK's `getProject`, `getEnvVars`, … and environment cloning read through these. Every list is read
// whole, page by page. A sensitive variable's value is never returned by the API: it comes back as null, and the
// result names the sensitive keys.
import { databaseEndpoints as db, deploymentEndpoints, envEndpoints, functionEndpoints, organizationEndpoints, projectEndpoints, storageEndpoints } from "../contract";
import { NotFoundError, type LubesClient } from "./client";

export interface OrganizationInfo {
  id: string;
  name: string;
  slug: string;
  plan: "free" | "pro" | "team";
  createdAt: string;
}

export interface ProjectInfo {
  id: string;
  organizationId: string;
  name: string;
  slug: string;
  /** The current production deployment, if any. */
  currentDeploymentId: string | null;
  createdAt: string;
}

export interface EnvVarInfo {
  key: string;
  /** null for a sensitive variable: the API never returns its value. */
  value: string | null;
  sensitive: boolean;
  environments: ("production" | "preview" | "development")[];
  /** SHA-256 (hex) of a shown value; a sensitive value's salted scrypt digest (null to a key that may only read). */
  valueDigest: string | null;
}

export interface EnvVarsInfo {
  variables: EnvVarInfo[];
  /** The keys whose values cannot be read back. */
  sensitiveKeys: string[];
}

export interface FunctionInfo {
  slug: string;
  name: string;
  runtime: "nodejs20";
  /** The module's current source. */
  source: string;
  sourceSha256: string;
  timeoutMs: number;
  memoryMb: number;
  liveVersion: number | null;
}

export interface ObjectInfo {
  key: string;
  size: number;
  contentType: string;
  /** MD5 of the bytes (hex). */
  md5: string;
}

export interface BucketInfo {
  name: string;
  public: boolean;
  /** Only when asked for (`withObjects`). */
  objects?: ObjectInfo[];
}

export interface BranchInfo {
  id: string;
  name: string;
  /** The id of the branch it was copied from; null for `main`. */
  parentId: string | null;
  default: boolean;
}

export interface MigrationInfo {
  name: string;
  sql: string;
  checksum: string;
  status: "running" | "applied" | "failed" | "reverting";
  appliedAt: string | null;
}

export interface DeploymentInfo {
  id: string;
  environment: "production" | "preview";
  status: string;
  ref: string | null;
  commit: string | null;
  current: boolean;
  functions: { slug: string; version: number }[];
  createdAt: string;
}

type Page<T> = { data: T[]; pagination: { has_more: boolean } };

/** Every item of a list endpoint, 100 per request. */
export async function listAll<T>(fetchPage: (query: { limit: number; offset: number }) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await fetchPage({ limit: 100, offset });
    items.push(...page.data);
    if (!page.pagination.has_more) return items;
  }
}

export async function getOrganization(client: LubesClient, args: { id: string } | { slug: string }): Promise<OrganizationInfo> {
  const org =
    "id" in args
      ? await named(`organization ${args.id}`, () => client.call(organizationEndpoints.get, { params: { id: args.id } }))
      : (await listAll((query) => client.call(organizationEndpoints.list, { query }))).find((o) => o.slug === args.slug);
  if (!org) throw new Error(`No organization with slug "${"slug" in args ? args.slug : ""}" is visible to this API key`);
  return { id: org.id, name: org.name, slug: org.slug, plan: org.plan, createdAt: org.created_at };
}

export async function getProject(client: LubesClient, args: { id: string } | { organizationId: string; slug: string }): Promise<ProjectInfo> {
  const project =
    "id" in args
      ? await named(`project ${args.id}`, () => client.call(projectEndpoints.get, { params: { id: args.id } }))
      : (await listAll((query) => client.call(projectEndpoints.list, { query: { ...query, organization_id: args.organizationId } }))).find((p) => p.slug === args.slug);
  if (!project) throw new Error(`No project with slug "${"slug" in args ? args.slug : ""}" in organization ${"organizationId" in args ? args.organizationId : ""} is visible to this API key`);
  return { id: project.id, organizationId: project.organization_id, name: project.name, slug: project.slug, currentDeploymentId: project.current_deployment_id, createdAt: project.created_at };
}

export async function getEnvVars(client: LubesClient, projectId: string): Promise<EnvVarsInfo> {
  const all = await listAll((query) => client.call(envEndpoints.list, { params: { id: projectId }, query }));
  const variables = all.map((v) => ({ key: v.key, value: v.value, sensitive: v.sensitive, environments: v.environments, valueDigest: v.value_sha256 ?? v.value_digest }));
  return { variables, sensitiveKeys: variables.filter((v) => v.sensitive).map((v) => v.key) };
}

export async function getFunctions(client: LubesClient, projectId: string): Promise<FunctionInfo[]> {
  const all = await listAll((query) => client.call(functionEndpoints.list, { params: { id: projectId }, query }));
  return all.map((f) => ({ slug: f.slug, name: f.name, runtime: f.runtime, source: f.source, sourceSha256: f.source_sha256, timeoutMs: f.timeout_ms, memoryMb: f.memory_mb, liveVersion: f.live_version }));
}

export async function getBuckets(client: LubesClient, projectId: string, options: { withObjects?: boolean } = {}): Promise<BucketInfo[]> {
  const buckets = await listAll((query) => client.call(storageEndpoints.listBuckets, { params: { id: projectId }, query }));
  return Promise.all(
    buckets.map(async (b) => {
      if (!options.withObjects) return { name: b.name, public: b.public };
      const objects = await listAll((query) => client.call(storageEndpoints.listObjects, { params: { id: projectId }, query: { ...query, bucket: b.name } }));
      return { name: b.name, public: b.public, objects: objects.map((o) => ({ key: o.name, size: o.size, contentType: o.content_type, md5: o.etag.replaceAll('"', "") })) };
    }),
  );
}

export async function getBranches(client: LubesClient, projectId: string): Promise<BranchInfo[]> {
  const all = await listAll((query) => client.call(db.listBranches, { params: { id: projectId }, query }));
  return all.map((b) => ({ id: b.id, name: b.name, parentId: b.parent_id, default: b.default }));
}

/** The migrations of a branch (default `main`), in the order they were applied. */
export async function getMigrations(client: LubesClient, projectId: string, options: { branch?: string } = {}): Promise<MigrationInfo[]> {
  const all = await listAll((query) => client.call(db.listMigrations, { params: { id: projectId }, query: { ...query, ...(options.branch ? { branch: options.branch } : {}) } }));
  return all.map((m) => ({ name: m.name, sql: m.sql, checksum: m.checksum, status: m.status, appliedAt: m.applied_at }));
}

export async function getDeployments(client: LubesClient, projectId: string): Promise<DeploymentInfo[]> {
  const all = await listAll((query) => client.call(deploymentEndpoints.list, { params: { id: projectId }, query }));
  return all.map((d) => ({ id: d.id, environment: d.environment, status: d.status, ref: d.ref, commit: d.commit, current: d.current, functions: d.functions, createdAt: d.created_at }));
}

/** A 404 of a lookup by id says what was not found. */
async function named<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof NotFoundError) throw new Error(`No ${what} is visible to this API key (${error.message})`, { cause: error });
    throw error;
  }
}

/** An object's bytes. */
export const getObjectBytes = (client: LubesClient, projectId: string, bucket: string, key: string): Promise<Buffer> =>
  client.download(storageEndpoints.downloadObject, { params: { id: projectId, key: `${bucket}/${key}` } });
