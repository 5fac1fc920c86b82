// Branch: the SDK class of `lubes:index:Branch` (provider/resources/branch.ts holds its lifecycle).
import type * as pulumi from "@pulumi/pulumi";
import { LubesResource, autoName, unset } from "./shim";

export interface BranchArgs {
  /** The project. */
  projectId: pulumi.Input<string>;
  /** Branch name; `<logical name>-<random>` when left out. */
  name?: pulumi.Input<string>;
  /** The branch to copy, by name or id; default main. */
  parent?: pulumi.Input<string>;
  /** A branch of that name already in the project, copied from the same parent, is managed instead of failing. To keep a branch when you rename this resource, use the `aliases` option instead. */
  adoptExisting?: pulumi.Input<boolean>;
}

/**
 * A database branch: a full copy of its parent at creation, independent afterwards. Every input replaces it.
 *
 * @example
 * ```ts
 * import * as lubes from "@lubes/pulumi";
 * new lubes.Branch("preview", { projectId: project.id, name: "preview/pr-42" });
 * ```
 */
export class Branch extends LubesResource {
  /** The project. */
  declare readonly projectId: pulumi.Output<string>;
  /** Branch name; `<logical name>-<random>` when left out. */
  declare readonly name: pulumi.Output<string>;
  /** The branch to copy, by name or id; default main. */
  declare readonly parent: pulumi.Output<string>;
  /** The branch's id. */
  declare readonly branchId: pulumi.Output<string>;
  /** The id of the branch it was copied from. */
  declare readonly parentId: pulumi.Output<string | null>;
  /** When it was created (ISO 8601). */
  declare readonly createdAt: pulumi.Output<string>;
  /** A branch of that name already in the project, copied from the same parent, is managed instead of failing. To keep a branch when you rename this resource, use the `aliases` option instead. */
  declare readonly adoptExisting: pulumi.Output<boolean>;

  constructor(name: string, args: BranchArgs, opts?: pulumi.CustomResourceOptions) {
    // Every property is passed, undefined when not given, or Pulumi leaves its output unset (pulumi/pulumi #12160).
    super("lubes:index:Branch", name, { ...unset("projectId"), name: undefined, parent: undefined, branchId: undefined, parentId: undefined, createdAt: undefined, adoptExisting: undefined, stateVersion: undefined, ...args, ...autoName(name, args.name, opts) }, opts, []);
  }

  /**
   * Reads the live Branch with this id into the program, without managing it; `pulumi import` (or the `import`
   * option) brings one under management. The id is `<project id>/<branch name>`, e.g. `proj_123/preview/pr-42`.
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): Branch {
    return new Branch(name, {} as BranchArgs, { ...opts, id });
  }
}
