// DatabaseCopy: the SDK class of `lubes:index:DatabaseCopy` (provider/resources/database-copy.ts holds its lifecycle).
import type * as pulumi from "@pulumi/pulumi";
import { LubesResource, unset } from "./shim";

export interface DatabaseCopyArgs {
  /** The project the rows are copied into. */
  projectId: pulumi.Input<string>;
  /** Its branch, by name or id; default main. */
  branch?: pulumi.Input<string>;
  /** The project the rows are read from (the key must be allowed to query it). */
  sourceProjectId: pulumi.Input<string>;
  /** The source's branch, by name or id; default main. */
  sourceBranch?: pulumi.Input<string>;
  /** The tables to copy (`table` or `schema.table`); every table of the source when left out. */
  tables?: pulumi.Input<pulumi.Input<string>[]>;
  /** At most this many rows of each table, in primary key order (default 10000, at most 1000000). */
  rowLimit?: pulumi.Input<number>;
}

/**
 * Rows of another project's database copied into this project's, once, when it is created, in pages through the SQL
 * endpoint. The tables must exist in the target already (apply the same migrations first). Rows already present are
 * skipped; the rows never enter Pulumi state. Destroying it leaves the rows; any change copies again.
 *
 * @example
 * ```ts
 * import * as lubes from "@lubes/pulumi";
 * new lubes.DatabaseCopy("seed", { projectId: staging.id, sourceProjectId: "proj_123", rowLimit: 1000 }, { dependsOn: migrations });
 * ```
 */
export class DatabaseCopy extends LubesResource {
  /** The project the rows are copied into. */
  declare readonly projectId: pulumi.Output<string>;
  /** Its branch, by name or id; default main. */
  declare readonly branch: pulumi.Output<string>;
  /** The project the rows are read from (the key must be allowed to query it). */
  declare readonly sourceProjectId: pulumi.Output<string>;
  /** The source's branch, by name or id; default main. */
  declare readonly sourceBranch: pulumi.Output<string>;
  /** The tables to copy (`table` or `schema.table`); every table of the source when left out. */
  declare readonly tables: pulumi.Output<string[] | null>;
  /** At most this many rows of each table, in primary key order (default 10000, at most 1000000). */
  declare readonly rowLimit: pulumi.Output<number>;
  /** Each table: the rows copied, the rows the source had, and why it was skipped when it was. */
  declare readonly copiedTables: pulumi.Output<{ table: string; rows: number; sourceRows: number; skipped: string | null }[]>;
  /** Rows copied in all. */
  declare readonly rowsCopied: pulumi.Output<number>;
  /** When the copy finished (ISO 8601). */
  declare readonly copiedAt: pulumi.Output<string>;

  constructor(name: string, args: DatabaseCopyArgs, opts?: pulumi.CustomResourceOptions) {
    // Every property is passed, undefined when not given, or Pulumi leaves its output unset (pulumi/pulumi #12160).
    super("lubes:index:DatabaseCopy", name, { ...unset("projectId", "sourceProjectId"), branch: undefined, sourceBranch: undefined, tables: undefined, rowLimit: undefined, copiedTables: undefined, rowsCopied: undefined, copiedAt: undefined, stateVersion: undefined, ...args }, opts, []);
  }
}
