// EnvVar: the SDK class of `lubes:index:EnvVar` (provider/resources/env-var.ts holds its lifecycle).
import type * as pulumi from "@pulumi/pulumi";
import { LubesResource, unset } from "./shim";

export interface EnvVarArgs {
  /** The project. Changing it replaces the variable. */
  projectId: pulumi.Input<string>;
  /** `[A-Z_][A-Z0-9_]*`. Changing it replaces the variable. */
  key: pulumi.Input<string>;
  /** The value (a secret in state). */
  value: pulumi.Input<string>;
  /** Never returned by the API. */
  sensitive?: pulumi.Input<boolean>;
  /** Default all three. */
  environments?: pulumi.Input<("production" | "preview" | "development")[]>;
  /** A variable of that key already in the project is managed (its value set) instead of failing. To keep a variable when you rename this resource, use the `aliases` option instead. */
  adoptExisting?: pulumi.Input<boolean>;
}

/**
 * An environment variable. Its value is a secret in state; a sensitive value is never returned by the API, and drift is still seen through its salted digest (with a key that may write the project).
 *
 * @example
 * ```ts
 * import * as lubes from "@lubes/pulumi";
 * new lubes.EnvVar("db-url", { projectId: project.id, key: "DATABASE_URL", value: config.requireSecret("databaseUrl"), sensitive: true });
 * ```
 */
export class EnvVar extends LubesResource {
  /** The project. Changing it replaces the variable. */
  declare readonly projectId: pulumi.Output<string>;
  /** `[A-Z_][A-Z0-9_]*`. Changing it replaces the variable. */
  declare readonly key: pulumi.Output<string>;
  /** The value (a secret in state). */
  declare readonly value: pulumi.Output<string>;
  /** Never returned by the API. */
  declare readonly sensitive: pulumi.Output<boolean>;
  /** Default all three. */
  declare readonly environments: pulumi.Output<("production" | "preview" | "development")[]>;
  /** How the server identifies the value without showing it: the SHA-256 (hex) of a value it shows; for a sensitive one its salted scrypt digest, how drift is seen (as last seen by a key that may write, when read with a key that may only read). */
  declare readonly valueDigest: pulumi.Output<string>;
  /** When it was created (ISO 8601). */
  declare readonly createdAt: pulumi.Output<string>;
  /** When its value last changed (ISO 8601). */
  declare readonly updatedAt: pulumi.Output<string>;
  /** A variable of that key already in the project is managed (its value set) instead of failing. To keep a variable when you rename this resource, use the `aliases` option instead. */
  declare readonly adoptExisting: pulumi.Output<boolean>;

  constructor(name: string, args: EnvVarArgs, opts?: pulumi.CustomResourceOptions) {
    // Every property is passed, undefined when not given, or Pulumi leaves its output unset (pulumi/pulumi #12160).
    super("lubes:index:EnvVar", name, { ...unset("projectId", "key", "value"), sensitive: undefined, environments: undefined, valueDigest: undefined, createdAt: undefined, updatedAt: undefined, adoptExisting: undefined, stateVersion: undefined, ...args }, opts, ["value"]);
  }

  /**
   * Reads the live EnvVar with this id into the program, without managing it; `pulumi import` (or the `import`
   * option) brings one under management. The id is `<project id>/<KEY>`, e.g. `proj_123/DATABASE_URL`.
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): EnvVar {
    return new EnvVar(name, {} as EnvVarArgs, { ...opts, id });
  }
}
