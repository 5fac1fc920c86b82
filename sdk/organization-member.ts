// OrganizationMember: the SDK class of `lubes:index:OrganizationMember` (provider/resources/organization-member.ts holds its lifecycle).
import type * as pulumi from "@pulumi/pulumi";
import { LubesResource, unset } from "./shim";

export interface OrganizationMemberArgs {
  /** The organization. Changing it replaces the member. */
  organizationId: pulumi.Input<string>;
  /** Who to invite. Changing it replaces the member. */
  email: pulumi.Input<string>;
  /** Role; default developer. Changed in place. */
  role?: pulumi.Input<"owner" | "admin" | "developer" | "viewer">;
  /** A member or invitation of that email already in the organization is managed instead of failing. To keep a member when you rename this resource, use the `aliases` option instead. */
  adoptExisting?: pulumi.Input<boolean>;
}

/**
 * A member of an organization, invited by email (pending until its owner accepts the invitation mailed to it).
 *
 * @example
 * ```ts
 * import * as lubes from "@lubes/pulumi";
 * new lubes.OrganizationMember("ada", { organizationId: org.id, email: "ada@example.com", role: "admin" });
 * ```
 */
export class OrganizationMember extends LubesResource {
  /** The organization. Changing it replaces the member. */
  declare readonly organizationId: pulumi.Output<string>;
  /** Who to invite. Changing it replaces the member. */
  declare readonly email: pulumi.Output<string>;
  /** Role; default developer. Changed in place. */
  declare readonly role: pulumi.Output<"owner" | "admin" | "developer" | "viewer">;
  /** The membership's (or invitation's) id. */
  declare readonly memberId: pulumi.Output<string>;
  /** The user's id, once the email has registered. */
  declare readonly userId: pulumi.Output<string | null>;
  /** `active`, or `pending` until the invitation mailed to the email is accepted (or the email is verified). */
  declare readonly status: pulumi.Output<string>;
  /** A member or invitation of that email already in the organization is managed instead of failing. To keep a member when you rename this resource, use the `aliases` option instead. */
  declare readonly adoptExisting: pulumi.Output<boolean>;

  constructor(name: string, args: OrganizationMemberArgs, opts?: pulumi.CustomResourceOptions) {
    // Every property is passed, undefined when not given, or Pulumi leaves its output unset (pulumi/pulumi #12160).
    super("lubes:index:OrganizationMember", name, { ...unset("organizationId", "email"), role: undefined, memberId: undefined, userId: undefined, status: undefined, adoptExisting: undefined, stateVersion: undefined, ...args }, opts, []);
  }

  /**
   * Reads the live OrganizationMember with this id into the program, without managing it; `pulumi import` (or the `import`
   * option) brings one under management. The id is `<organization id>/<member id>`, e.g. `org_123/mem_456`.
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): OrganizationMember {
    return new OrganizationMember(name, {} as OrganizationMemberArgs, { ...opts, id });
  }
}
