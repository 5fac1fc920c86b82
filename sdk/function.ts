// Function: the SDK class of `lubes:index:Function` (provider/resources/function.ts holds its lifecycle).
import type * as pulumi from "@pulumi/pulumi";
import { LubesResource, autoName, unset } from "./shim";

export interface FunctionArgs {
  /** The project. */
  projectId: pulumi.Input<string>;
  /** URL slug; `<logical name>-<random>` when left out. */
  slug?: pulumi.Input<string>;
  /** Display name. */
  name?: pulumi.Input<string>;
  /** The module's text (or give sourcePath). */
  source?: pulumi.Input<string>;
  /** A file holding the module, relative to the program. */
  sourcePath?: pulumi.Input<string>;
  /** Runtime; default nodejs20. Changing it replaces the function. */
  runtime?: pulumi.Input<"nodejs20">;
  /** Per invocation; default 10000. */
  timeoutMs?: pulumi.Input<number>;
  /** Heap limit; default 128. */
  memoryMb?: pulumi.Input<number>;
  /** A function of that slug already in the project is managed (its source replaced and deployed) instead of failing. To keep a function when you rename this resource, use the `aliases` option instead. */
  adoptExisting?: pulumi.Input<boolean>;
}

/**
 * A serverless function: an ES module whose default export handles a Web `Request`. Create and update deploy it; the content's hash is diffed, not the path.
 *
 * @example
 * ```ts
 * import * as lubes from "@lubes/pulumi";
 * new lubes.Function("hello", { projectId: project.id, sourcePath: "functions/hello.mjs", memoryMb: 256 });
 * ```
 */
export class Function extends LubesResource {
  /** The project. */
  declare readonly projectId: pulumi.Output<string>;
  /** URL slug; `<logical name>-<random>` when left out. */
  declare readonly slug: pulumi.Output<string>;
  /** Display name. */
  declare readonly name: pulumi.Output<string>;
  /** The module's text (or give sourcePath). */
  declare readonly source: pulumi.Output<string | undefined>;
  /** A file holding the module, relative to the program. */
  declare readonly sourcePath: pulumi.Output<string | undefined>;
  /** Runtime; default nodejs20. Changing it replaces the function. */
  declare readonly runtime: pulumi.Output<"nodejs20">;
  /** Per invocation; default 10000. */
  declare readonly timeoutMs: pulumi.Output<number>;
  /** Heap limit; default 128. */
  declare readonly memoryMb: pulumi.Output<number>;
  /** SHA-256 of the source: what is diffed. */
  declare readonly sourceSha256: pulumi.Output<string>;
  /** The function's id. */
  declare readonly functionId: pulumi.Output<string>;
  /** The deployed version that runs. */
  declare readonly liveVersion: pulumi.Output<number | null>;
  /** Where to invoke it. */
  declare readonly invokeUrl: pulumi.Output<string>;
  /** When it was created (ISO 8601). */
  declare readonly createdAt: pulumi.Output<string>;
  /** A function of that slug already in the project is managed (its source replaced and deployed) instead of failing. To keep a function when you rename this resource, use the `aliases` option instead. */
  declare readonly adoptExisting: pulumi.Output<boolean>;

  constructor(name: string, args: FunctionArgs, opts?: pulumi.CustomResourceOptions) {
    // Every property is passed, undefined when not given, or Pulumi leaves its output unset (pulumi/pulumi #12160).
    super("lubes:index:Function", name, { ...unset("projectId"), slug: undefined, name: undefined, source: undefined, sourcePath: undefined, runtime: undefined, timeoutMs: undefined, memoryMb: undefined, sourceSha256: undefined, functionId: undefined, liveVersion: undefined, invokeUrl: undefined, createdAt: undefined, adoptExisting: undefined, stateVersion: undefined, ...args, ...autoName(name, args.slug, opts) }, opts, []);
  }

  /**
   * Reads the live Function with this id into the program, without managing it; `pulumi import` (or the `import`
   * option) brings one under management. The id is `<project id>/<slug>`, e.g. `proj_123/hello`.
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): Function {
    return new Function(name, {} as FunctionArgs, { ...opts, id });
  }
}
