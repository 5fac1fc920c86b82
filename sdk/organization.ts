// Organization: the SDK class of `lubes:index:Organization` (provider/resources/organization.ts holds its lifecycle).
import type * as pulumi from "@pulumi/pulumi";
import { LubesResource, autoName } from "./shim";

export interface OrganizationArgs {
  /** Display name; `<logical name>-<random>` when left out. */
  name?: pulumi.Input<string>;
  /** URL slug; derived from the name by the server when left out. */
  slug?: pulumi.Input<string>;
  /** Plan (free, pro, team); sets the API rate limit. Default free. */
  plan?: pulumi.Input<"free" | "pro" | "team">;
}

/**
 * An organization: members, a plan, and projects.
 *
 * @example
 * ```ts
 * import * as lubes from "@lubes/pulumi";
 * const org = new lubes.Organization("acme", { plan: "pro" });
 * ```
 */
export class Organization extends LubesResource {
  /** Display name; `<logical name>-<random>` when left out. */
  declare readonly name: pulumi.Output<string>;
  /** URL slug; derived from the name by the server when left out. */
  declare readonly slug: pulumi.Output<string>;
  /** Plan (free, pro, team); sets the API rate limit. Default free. */
  declare readonly plan: pulumi.Output<"free" | "pro" | "team">;
  /** When it was created (ISO 8601). */
  declare readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: OrganizationArgs, opts?: pulumi.CustomResourceOptions) {
    // Every property is passed, undefined when not given, or Pulumi leaves its output unset (pulumi/pulumi #12160).
    super("lubes:index:Organization", name, { name: undefined, slug: undefined, plan: undefined, createdAt: undefined, stateVersion: undefined, ...args, ...autoName(name, args.name, opts) }, opts, []);
  }

  /**
   * Reads the live Organization with this id into the program, without managing it; `pulumi import` (or the `import`
   * option) brings one under management. The id is the organization id, e.g. `org_123`.
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): Organization {
    return new Organization(name, {}, { ...opts, id });
  }
}
