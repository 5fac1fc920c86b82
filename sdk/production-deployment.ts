// ProductionDeployment: the SDK class of `lubes:index:ProductionDeployment` (provider/resources/production-deployment.ts holds its lifecycle).
import type * as pulumi from "@pulumi/pulumi";
import { LubesResource, unset } from "./shim";

export interface ProductionDeploymentArgs {
  /** The project. */
  projectId: pulumi.Input<string>;
  /** The deployment production should run. */
  deploymentId: pulumi.Input<string>;
}

/**
 * Which deployment production runs. Point it at an earlier Deployment and `pulumi up` rolls production back to it.
 *
 * @example
 * ```ts
 * import * as lubes from "@lubes/pulumi";
 * new lubes.ProductionDeployment("production", { projectId: project.id, deploymentId: release.deploymentId });
 * ```
 */
export class ProductionDeployment extends LubesResource {
  /** The project. */
  declare readonly projectId: pulumi.Output<string>;
  /** The deployment production should run. */
  declare readonly deploymentId: pulumi.Output<string>;
  /** The project's current deployment (the rollback record when one was needed). */
  declare readonly currentDeploymentId: pulumi.Output<string>;
  /** Whether production was rolled back to reach the declared deployment. */
  declare readonly rolledBack: pulumi.Output<boolean>;

  constructor(name: string, args: ProductionDeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    // Every property is passed, undefined when not given, or Pulumi leaves its output unset (pulumi/pulumi #12160).
    super("lubes:index:ProductionDeployment", name, { ...unset("projectId", "deploymentId"), currentDeploymentId: undefined, rolledBack: undefined, stateVersion: undefined, ...args }, opts, []);
  }

  /**
   * Reads the live ProductionDeployment with this id into the program, without managing it; `pulumi import` (or the `import`
   * option) brings one under management. The id is the project id, e.g. `proj_123`.
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): ProductionDeployment {
    return new ProductionDeployment(name, {} as ProductionDeploymentArgs, { ...opts, id });
  }
}
