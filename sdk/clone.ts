// cloneEnvironment: reads a live project into the spec of a `ProjectEnvironment`, so that declaring it makes a
// faithful copy in another project (and organization): variables with overrides applied, functions with their
// current source, buckets with their objects' bytes, the applied migrations of `main` in order (the same schema), the
// same branches, and a deployment that production runs when the source has one. Database rows only with `copyData` (a
// DatabaseCopy, read from the source at `up`). Not copied: members, API keys, deployment history and logs, function
// logs. Sensitive values cannot be read back: they must come in the overrides.
import type * as pulumi from "@pulumi/pulumi";
import type { LubesClient } from "../provider/client";
import * as core from "../provider/lookups";
import { lookupClient, type LookupOptions } from "./lookups";
import type { EnvironmentSpec } from "./project-environment";

export interface CloneOverrides {
  /** The new project's name. */
  name: string;
  /** The organization the copy goes to (any the key can reach). */
  organizationId: pulumi.Input<string>;
  slug?: string;
  /** Variables to set instead of the source's, or in addition; every sensitive variable's value must be here. */
  env?: Record<string, pulumi.Input<string>>;
  /** Buckets copied without their objects. */
  skipObjectsOf?: string[];
  /**
   * Copy the rows of the source's `main` too (at `up`, in pages, at most `rowLimit` per table, default 10000), after
   * the migrations. Off by default: a copy of production data is a decision.
   */
  copyData?: boolean | { tables?: string[]; rowLimit?: number };
  /** Declare a deployment that production runs, as the source has (default: when the source has one). */
  deployment?: boolean;
}

/** A sensitive variable of the source: its value cannot be read back. */
export interface SensitiveVariable {
  key: string;
  environments: ("production" | "preview" | "development")[];
}

export async function cloneEnvironment(sourceProjectId: string, overrides: CloneOverrides, options?: LookupOptions): Promise<EnvironmentSpec> {
  const { spec, missing } = await readEnvironment(lookupClient(options), sourceProjectId, overrides);
  if (missing.length > 0) {
    throw new Error(`Cannot clone ${sourceProjectId}: the values of its sensitive variables cannot be read back; give them in overrides.env: ${missing.map((v) => v.key).join(", ")}`);
  }
  return spec;
}

/**
 * The spec of a copy, and the sensitive variables whose values the overrides do not give (left out of the spec): the
 * clone command takes those from the written program's secrets.
 */
export async function readEnvironment(client: LubesClient, sourceProjectId: string, overrides: CloneOverrides): Promise<{ spec: EnvironmentSpec; missing: SensitiveVariable[] }> {
  const [project, env, functions, buckets, migrations, branches] = await Promise.all([
    core.getProject(client, { id: sourceProjectId }),
    core.getEnvVars(client, sourceProjectId),
    core.getFunctions(client, sourceProjectId),
    core.getBuckets(client, sourceProjectId, { withObjects: true }),
    core.getMigrations(client, sourceProjectId),
    core.getBranches(client, sourceProjectId),
  ]);
  const given = overrides.env ?? {};
  const missing = env.variables.filter((v) => v.sensitive && given[v.key] === undefined).map((v) => ({ key: v.key, environments: v.environments }));
  const sourceKeys = new Set(env.variables.map((v) => v.key));
  const skipped = new Set(overrides.skipObjectsOf ?? []);
  const branchName = new Map(branches.map((b) => [b.id, b.name]));
  const withDeployment = overrides.deployment ?? project.currentDeploymentId !== null;
  const current = withDeployment && project.currentDeploymentId ? (await core.getDeployments(client, sourceProjectId)).find((d) => d.id === project.currentDeploymentId) : undefined;

  const spec: EnvironmentSpec = {
    project: { name: overrides.name, organizationId: overrides.organizationId, ...(overrides.slug ? { slug: overrides.slug } : {}) },
    env: [
      ...env.variables.filter((v) => !missing.some((m) => m.key === v.key)).map((v) => ({ key: v.key, value: given[v.key] ?? v.value ?? "", sensitive: v.sensitive, environments: v.environments })),
      ...Object.entries(given).filter(([key]) => !sourceKeys.has(key)).map(([key, value]) => ({ key, value })),
    ],
    functions: functions.map((f) => ({ slug: f.slug, name: f.name, source: f.source, timeoutMs: f.timeoutMs, memoryMb: f.memoryMb })),
    buckets: await Promise.all(
      buckets.map(async (b) => ({
        name: b.name,
        public: b.public,
        objects: skipped.has(b.name)
          ? []
          : await Promise.all((b.objects ?? []).map(async (o) => ({ key: o.key, contentType: o.contentType, contentBase64: (await core.getObjectBytes(client, sourceProjectId, b.name, o.key)).toString("base64") }))),
      })),
    ),
    migrations: migrations.filter((m) => m.status === "applied").map((m) => ({ name: m.name, sql: m.sql })),
    ...(overrides.copyData ? { data: { sourceProjectId, ...(overrides.copyData === true ? {} : overrides.copyData) } } : {}),
    branches: branches.filter((b) => !b.default).map((b) => ({ name: b.name, parent: (b.parentId && branchName.get(b.parentId)) || "main" })),
    ...(withDeployment ? { deployment: { ...(current?.ref ? { ref: current.ref } : {}), production: true } } : {}),
  };
  return { spec, missing };
}
