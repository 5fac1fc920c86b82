// Bucket: the SDK class of `lubes:index:Bucket` (provider/resources/bucket.ts holds its lifecycle).
import type * as pulumi from "@pulumi/pulumi";
import { LubesResource, autoName, unset } from "./shim";

export interface BucketArgs {
  /** The project. Changing it replaces the bucket. */
  projectId: pulumi.Input<string>;
  /** DNS-like name; `<logical name>-<random>` when left out. Changing it replaces the bucket. */
  name?: pulumi.Input<string>;
  /** Objects download without a token. Changed in place. */
  public?: pulumi.Input<boolean>;
  /** Delete the bucket's objects with it. */
  forceDestroy?: pulumi.Input<boolean>;
  /** Manage a bucket of that name that already exists instead of failing. */
  adoptExisting?: pulumi.Input<boolean>;
}

/**
 * A storage bucket. A non-empty bucket is not deleted unless forceDestroy is set.
 *
 * @example
 * ```ts
 * import * as lubes from "@lubes/pulumi";
 * const assets = new lubes.Bucket("assets", { projectId: project.id, public: true });
 * ```
 */
export class Bucket extends LubesResource {
  /** The project. Changing it replaces the bucket. */
  declare readonly projectId: pulumi.Output<string>;
  /** DNS-like name; `<logical name>-<random>` when left out. Changing it replaces the bucket. */
  declare readonly name: pulumi.Output<string>;
  /** Objects download without a token. Changed in place. */
  declare readonly public: pulumi.Output<boolean>;
  /** Delete the bucket's objects with it. */
  declare readonly forceDestroy: pulumi.Output<boolean>;
  /** Manage a bucket of that name that already exists instead of failing. */
  declare readonly adoptExisting: pulumi.Output<boolean>;
  /** The bucket's id. */
  declare readonly bucketId: pulumi.Output<string>;
  /** When it was created (ISO 8601). */
  declare readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: BucketArgs, opts?: pulumi.CustomResourceOptions) {
    // Every property is passed, undefined when not given, or Pulumi leaves its output unset (pulumi/pulumi #12160).
    super("lubes:index:Bucket", name, { ...unset("projectId"), name: undefined, public: undefined, forceDestroy: undefined, adoptExisting: undefined, bucketId: undefined, createdAt: undefined, stateVersion: undefined, ...args, ...autoName(name, args.name, opts) }, opts, []);
  }

  /**
   * Reads the live Bucket with this id into the program, without managing it; `pulumi import` (or the `import`
   * option) brings one under management. The id is `<project id>/<bucket name>`, e.g. `proj_123/avatars`.
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): Bucket {
    return new Bucket(name, {} as BucketArgs, { ...opts, id });
  }
}
