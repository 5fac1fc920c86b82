// Deployment: the SDK class of `lubes:index:Deployment` (provider/resources/deployment.ts holds its lifecycle).
import type * as pulumi from "@pulumi/pulumi";
import { LubesResource, unset } from "./shim";

export interface DeploymentArgs {
  /** The project. */
  projectId: pulumi.Input<string>;
  /** Default production. */
  environment?: pulumi.Input<"production" | "preview">;
  /** Source ref, e.g. a branch. */
  ref?: pulumi.Input<string>;
  /** Source commit. */
  commit?: pulumi.Input<string>;
  /** Values whose change makes a new deployment. */
  triggers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** How long create waits for ready; default 300. */
  waitTimeoutSeconds?: pulumi.Input<number>;
  /** Delete the deployment on destroy (default false: kept as history). For per-pull-request previews. */
  deleteOnDestroy?: pulumi.Input<boolean>;
}

/**
 * A deployment: an immutable release of the project's live function versions and variables. Any input change makes a new one; create waits until it is ready.
 *
 * @example
 * ```ts
 * import * as lubes from "@lubes/pulumi";
 * const release = new lubes.Deployment("release", { projectId: project.id, ref: "main", triggers: { hello: hello.liveVersion.apply(String) } });
 * ```
 */
export class Deployment extends LubesResource {
  /** The project. */
  declare readonly projectId: pulumi.Output<string>;
  /** Default production. */
  declare readonly environment: pulumi.Output<"production" | "preview">;
  /** Source ref, e.g. a branch. */
  declare readonly ref: pulumi.Output<string | undefined>;
  /** Source commit. */
  declare readonly commit: pulumi.Output<string | undefined>;
  /** Values whose change makes a new deployment. */
  declare readonly triggers: pulumi.Output<Record<string, string>>;
  /** How long create waits for ready; default 300. */
  declare readonly waitTimeoutSeconds: pulumi.Output<number>;
  /** Delete the deployment on destroy (default false: kept as history). For per-pull-request previews. */
  declare readonly deleteOnDestroy: pulumi.Output<boolean>;
  /** The deployment's id. */
  declare readonly deploymentId: pulumi.Output<string>;
  /** `queued`, `building`, `ready` or `failed`. */
  declare readonly status: pulumi.Output<string>;
  /** The function versions it released. */
  declare readonly functions: pulumi.Output<{ slug: string; version: number }[]>;
  /** When it was created (ISO 8601). */
  declare readonly createdAt: pulumi.Output<string>;
  /** When it became ready (ISO 8601). */
  declare readonly readyAt: pulumi.Output<string | null>;

  constructor(name: string, args: DeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    // Every property is passed, undefined when not given, or Pulumi leaves its output unset (pulumi/pulumi #12160).
    super("lubes:index:Deployment", name, { ...unset("projectId"), environment: undefined, ref: undefined, commit: undefined, triggers: undefined, waitTimeoutSeconds: undefined, deploymentId: undefined, status: undefined, deleteOnDestroy: undefined, functions: undefined, createdAt: undefined, readyAt: undefined, stateVersion: undefined, ...args }, opts, []);
  }

  /**
   * Reads the live Deployment with this id into the program, without managing it; `pulumi import` (or the `import`
   * option) brings one under management. The id is `<project id>/<deployment id>`, e.g. `proj_123/dep_456`.
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): Deployment {
    return new Deployment(name, {} as DeploymentArgs, { ...opts, id });
  }
}
