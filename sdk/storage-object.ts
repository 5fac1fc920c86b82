// StorageObject: the SDK class of `lubes:index:StorageObject` (provider/resources/storage-object.ts holds its lifecycle).
import type * as pulumi from "@pulumi/pulumi";
import { LubesResource, unset } from "./shim";

export interface StorageObjectArgs {
  /** The project. */
  projectId: pulumi.Input<string>;
  /** The bucket's name. */
  bucket: pulumi.Input<string>;
  /** The key in the bucket. */
  key: pulumi.Input<string>;
  /** The content as text. */
  content?: pulumi.Input<string>;
  /** The content as base64. */
  contentBase64?: pulumi.Input<string>;
  /** A file with the content. */
  sourcePath?: pulumi.Input<string>;
  /** Default: from the key's extension. */
  contentType?: pulumi.Input<string>;
  /** An object already at that key is managed (overwritten with this content) instead of failing. To keep an object when you rename this resource, use the `aliases` option instead. */
  adoptExisting?: pulumi.Input<boolean>;
}

/**
 * An object in a bucket, from text, base64 or a file; diffed by MD5.
 *
 * @example
 * ```ts
 * import * as lubes from "@lubes/pulumi";
 * new lubes.StorageObject("index", { projectId: project.id, bucket: assets.name, key: "index.html", sourcePath: "site/index.html" });
 * ```
 */
export class StorageObject extends LubesResource {
  /** The project. */
  declare readonly projectId: pulumi.Output<string>;
  /** The bucket's name. */
  declare readonly bucket: pulumi.Output<string>;
  /** The key in the bucket. */
  declare readonly key: pulumi.Output<string>;
  /** The content as text. */
  declare readonly content: pulumi.Output<string | undefined>;
  /** The content as base64. */
  declare readonly contentBase64: pulumi.Output<string | undefined>;
  /** A file with the content. */
  declare readonly sourcePath: pulumi.Output<string | undefined>;
  /** Default: from the key's extension. */
  declare readonly contentType: pulumi.Output<string>;
  /** MD5 of the content: what is diffed. */
  declare readonly contentMd5: pulumi.Output<string>;
  /** Size in bytes. */
  declare readonly size: pulumi.Output<number>;
  /** Where to download it (a private object needs a token or a signed URL). */
  declare readonly url: pulumi.Output<string>;
  /** An object already at that key is managed (overwritten with this content) instead of failing. To keep an object when you rename this resource, use the `aliases` option instead. */
  declare readonly adoptExisting: pulumi.Output<boolean>;

  constructor(name: string, args: StorageObjectArgs, opts?: pulumi.CustomResourceOptions) {
    // Every property is passed, undefined when not given, or Pulumi leaves its output unset (pulumi/pulumi #12160).
    super("lubes:index:StorageObject", name, { ...unset("projectId", "bucket", "key"), content: undefined, contentBase64: undefined, sourcePath: undefined, contentType: undefined, contentMd5: undefined, size: undefined, url: undefined, adoptExisting: undefined, stateVersion: undefined, ...args }, opts, []);
  }

  /**
   * Reads the live StorageObject with this id into the program, without managing it; `pulumi import` (or the `import`
   * option) brings one under management. The id is `<project id>/<bucket>/<key>`, e.g. `proj_123/avatars/logo.png`.
   */
  static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): StorageObject {
    return new StorageObject(name, {} as StorageObjectArgs, { ...opts, id });
  }
}
