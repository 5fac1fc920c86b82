// Project: the SDK class of `lubes:index:Project` (provider/resources/project.ts holds its lifecycle).
import type * as pulumi from "@pulumi/pulumi";
import { LubesResource, autoName, unset } from "./shim";

export interface ProjectArgs {
  /** Display name; `<logical name>-<random>` when left out. */
  name?: pulumi.Input<string>;
  /** The organization. Changing it replaces the project. */
  organizationId: pulumi.Input<string>;
  /** Slug, unique in the organization; derived from the name when left out. */
  slug?: pulumi.Input<string>;
  /** With a slug already taken in the organization, manage that project instead of failing. */
  adoptExisting?: pulumi.Input<boolean>;
}

/**
 * A project: its databases, functions, storage, deployments and variables live under it.
 *
 * @example
 * ```ts
 * import * as lubes from "@lubes/pulumi";
 * const project = new lubes.Project("web", { organizationId: org.id });
 * ```
 */
export class Project extends LubesResource {
  /** Display name; `<logical name>-<random>` when left out. */
  declare readonly name: pulumi.Output<string>;
  /** The organization. Changing it replaces the project. */
  declare readonly organizationId: pulumi.Output<string>;
  /** Slug, unique in the organization; derived from the name when left out. */
  declare readonly slug: pulumi.Output<string>;
  /** With a slug already taken in the organization, manage that project instead of failing. */
  declare readonly adoptExisting: pulumi.Output<boolean>;
  /** When it was created (ISO 8601). */
  declare readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: ProjectArgs, opts?: pulumi.CustomResourceOptions) {
    // Every property is passed, undefined when not given, or Pulumi leaves its output unset (pulumi/pulumi #12160).
    super("lubes:index:Project", name, { ...unset("organizationId"), name: undefined, slug: undefined, adoptExisting: undefined, createdAt: undefined, stateVersion: undefined, ...args, ...autoName(name, args.name, opts) }, opts, []);
  }

  /**
   * Reads the live Project with this id into the program, without managing it; `pulumi import` (or the `import`
   * option) brings one under management. The id is the project id, e.g. `proj_123`.
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): Project {
    return new Project(name, {} as ProjectArgs, { ...opts, id });
  }
}
