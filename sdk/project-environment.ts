// ProjectEnvironment: a whole Lubes environment declared from one spec (a project with its variables, functions,
// buckets and files, migrations, optionally rows copied from another project, branches, and optionally a deployment
// that production runs), every resource a child of the component. `cloneEnvironment` (sdk/clone.ts) reads a live project into such a spec.
import * as pulumi from "@pulumi/pulumi";
import { Branch } from "./branch";
import { Bucket } from "./bucket";
import { DatabaseCopy } from "./database-copy";
import { Deployment } from "./deployment";
import { EnvVar } from "./env-var";
import { Function } from "./function";
import { Migration } from "./migration";
import { ProductionDeployment } from "./production-deployment";
import { Project } from "./project";
import { StorageObject } from "./storage-object";

export interface EnvironmentSpec {
  project: { name: string; organizationId: pulumi.Input<string>; slug?: string };
  /** Variables; a sensitive value stays a secret in state. */
  env?: { key: string; value: pulumi.Input<string>; sensitive?: boolean; environments?: ("production" | "preview" | "development")[] }[];
  functions?: { slug: string; name?: string; source: string; timeoutMs?: number; memoryMb?: number }[];
  buckets?: { name: string; public?: boolean; objects?: { key: string; contentBase64: string; contentType?: string }[] }[];
  /** Applied on `main` in this order, each after the one before. */
  migrations?: { name: string; sql: string }[];
  /** Rows copied from another project's database once the migrations are applied (a `DatabaseCopy`; see its limits). */
  data?: { sourceProjectId: string; sourceBranch?: string; tables?: string[]; rowLimit?: number };
  /** Made after every migration and the copied rows, so each copies the migrated schema and the rows. */
  branches?: { name: string; parent?: string }[];
  /** A deployment of what the environment runs, made after its functions and variables; `production` points production at it. */
  deployment?: { ref?: string; commit?: string; production?: boolean };
}

/**
 * A complete Lubes environment from one spec, its resources parented to it.
 *
 * @example
 * ```ts
 * const staging = new lubes.ProjectEnvironment("staging", await lubes.cloneEnvironment("proj_123", { name: "staging", organizationId: "org_456" }));
 * ```
 */
export class ProjectEnvironment extends pulumi.ComponentResource {
  declare readonly projectId: pulumi.Output<string>;
  /** Each function's invoke URL, by slug. */
  declare readonly functionUrls: pulumi.Output<Record<string, string>>;
  /** The deployment's id, when the spec has one. */
  declare readonly deploymentId: pulumi.Output<string | undefined>;

  constructor(name: string, spec: EnvironmentSpec, opts?: pulumi.ComponentResourceOptions) {
    super("lubes:index:ProjectEnvironment", name, {}, opts);
    const parent = { parent: this };
    const project = new Project(name, { name: spec.project.name, organizationId: spec.project.organizationId, ...(spec.project.slug ? { slug: spec.project.slug } : {}) }, parent);
    const projectId = project.id;

    const variables = (spec.env ?? []).map(
      (v) => new EnvVar(`${name}-${v.key}`, { projectId, key: v.key, value: v.sensitive ? pulumi.secret(v.value) : v.value, sensitive: v.sensitive ?? false, ...(v.environments ? { environments: v.environments } : {}) }, parent),
    );
    const functions = (spec.functions ?? []).map(
      (f) => new Function(`${name}-${f.slug}`, { projectId, slug: f.slug, source: f.source, ...(f.name ? { name: f.name } : {}), ...(f.timeoutMs ? { timeoutMs: f.timeoutMs } : {}), ...(f.memoryMb ? { memoryMb: f.memoryMb } : {}) }, parent),
    );
    for (const b of spec.buckets ?? []) {
      const bucket = new Bucket(`${name}-${b.name}`, { projectId, name: b.name, public: b.public ?? false, forceDestroy: true }, parent);
      for (const o of b.objects ?? []) {
        new StorageObject(`${name}-${b.name}-${o.key}`, { projectId, bucket: bucket.name, key: o.key, contentBase64: o.contentBase64, ...(o.contentType ? { contentType: o.contentType } : {}) }, parent);
      }
    }
    // Migrations in order: each waits for the one before, as they were applied.
    const migrations: Migration[] = [];
    for (const m of spec.migrations ?? []) {
      migrations.push(new Migration(`${name}-${m.name}`, { projectId, name: m.name, sql: m.sql }, { ...parent, dependsOn: migrations.slice(-1) }));
    }
    const data = spec.data ? [new DatabaseCopy(`${name}-data`, { projectId, ...spec.data }, { ...parent, dependsOn: migrations })] : [];
    for (const b of spec.branches ?? []) new Branch(`${name}-branch-${b.name}`, { projectId, name: b.name, parent: b.parent ?? "main" }, { ...parent, dependsOn: [...migrations, ...data] });

    let deploymentId: pulumi.Output<string | undefined> = pulumi.output(undefined);
    if (spec.deployment) {
      const deployment = new Deployment(`${name}-release`, { projectId, ...(spec.deployment.ref ? { ref: spec.deployment.ref } : {}), ...(spec.deployment.commit ? { commit: spec.deployment.commit } : {}) }, { ...parent, dependsOn: [...functions, ...variables] });
      deploymentId = deployment.deploymentId;
      if (spec.deployment.production) new ProductionDeployment(`${name}-production`, { projectId, deploymentId: deployment.deploymentId }, parent);
    }

    this.projectId = projectId;
    this.functionUrls = pulumi.all(functions.map((f) => pulumi.all([f.slug, f.invokeUrl]))).apply((pairs) => Object.fromEntries(pairs));
    this.deploymentId = deploymentId;
    this.registerOutputs({ projectId: this.projectId, functionUrls: this.functionUrls, deploymentId: this.deploymentId });
  }
}
