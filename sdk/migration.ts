// Migration: the SDK class of `lubes:index:Migration` (provider/resources/migration.ts holds its lifecycle).
import type * as pulumi from "@pulumi/pulumi";
import { LubesResource, unset } from "./shim";

export interface MigrationArgs {
  /** The project. */
  projectId: pulumi.Input<string>;
  /** Branch name or id; default main. */
  branch?: pulumi.Input<string>;
  /** Migration name, applied once per branch. */
  name: pulumi.Input<string>;
  /** The SQL; immutable once applied. */
  sql: pulumi.Input<string>;
  /** SQL that undoes it, run on destroy. */
  down?: pulumi.Input<string | null>;
  /** A migration of that name already applied on the branch (with the same SQL) is managed instead of failing. To keep a migration when you rename this resource, use the `aliases` option instead. */
  adoptExisting?: pulumi.Input<boolean>;
}

/**
 * A database migration, applied once in one transaction. Its SQL cannot change once applied: add a new migration instead. Destroying it runs `down` when given, and otherwise leaves the database as it is.
 *
 * @example
 * ```ts
 * import * as lubes from "@lubes/pulumi";
 * new lubes.Migration("init", { projectId: project.id, name: "001_init", sql: "CREATE TABLE users (id bigserial PRIMARY KEY)" });
 * ```
 */
export class Migration extends LubesResource {
  /** The project. */
  declare readonly projectId: pulumi.Output<string>;
  /** Branch name or id; default main. */
  declare readonly branch: pulumi.Output<string>;
  /** Migration name, applied once per branch. */
  declare readonly name: pulumi.Output<string>;
  /** The SQL; immutable once applied. */
  declare readonly sql: pulumi.Output<string>;
  /** SQL that undoes it, run on destroy. */
  declare readonly down: pulumi.Output<string | null>;
  /** The migration's id. */
  declare readonly migrationId: pulumi.Output<string>;
  /** SHA-256 of the SQL. */
  declare readonly checksum: pulumi.Output<string>;
  /** `applied`, or the state of a migration still running. */
  declare readonly status: pulumi.Output<string>;
  /** When it was applied (ISO 8601). */
  declare readonly appliedAt: pulumi.Output<string | null>;
  /** A migration of that name already applied on the branch (with the same SQL) is managed instead of failing. To keep a migration when you rename this resource, use the `aliases` option instead. */
  declare readonly adoptExisting: pulumi.Output<boolean>;

  constructor(name: string, args: MigrationArgs, opts?: pulumi.CustomResourceOptions) {
    // Every property is passed, undefined when not given, or Pulumi leaves its output unset (pulumi/pulumi #12160).
    super("lubes:index:Migration", name, { ...unset("projectId", "name", "sql"), branch: undefined, down: undefined, migrationId: undefined, checksum: undefined, status: undefined, appliedAt: undefined, adoptExisting: undefined, stateVersion: undefined, ...args }, opts, []);
  }

  /**
   * Reads the live Migration with this id into the program, without managing it; `pulumi import` (or the `import`
   * option) brings one under management. The id is `<project id>/<branch>/<migration name>`, e.g. `proj_123/main/001_init`.
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): Migration {
    return new Migration(name, {} as MigrationArgs, { ...opts, id });
  }
}
