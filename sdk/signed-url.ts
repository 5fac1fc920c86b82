// SignedUrl: the SDK class of `lubes:index:SignedUrl` (provider/resources/signed-url.ts holds its lifecycle).
import type * as pulumi from "@pulumi/pulumi";
import { LubesResource, unset } from "./shim";

export interface SignedUrlArgs {
  /** The project. */
  projectId: pulumi.Input<string>;
  /** The bucket's name. */
  bucket: pulumi.Input<string>;
  /** The object's key; for a download, pass a StorageObject's `key` so the object exists first. */
  key: pulumi.Input<string>;
  /** "GET" (default) to download, "PUT" to upload. */
  method?: pulumi.Input<"GET" | "PUT">;
  /** How long the URL works once signed, in seconds (default 3600, at most 7 days). */
  expiresInSeconds?: pulumi.Input<number>;
}

/**
 * A time-limited URL to download or upload one object without an API key. The URL is a secret output. It cannot be
 * revoked; `refresh` sees an expired one as deleted, and the next `up` signs a new one.
 *
 * @example
 * ```ts
 * import * as lubes from "@lubes/pulumi";
 * const share = new lubes.SignedUrl("share", { projectId: project.id, bucket: assets.name, key: readme.key, expiresInSeconds: 86400 });
 * export const shareUrl = share.url;
 * ```
 */
export class SignedUrl extends LubesResource {
  /** The project. */
  declare readonly projectId: pulumi.Output<string>;
  /** The bucket's name. */
  declare readonly bucket: pulumi.Output<string>;
  /** The object's key; for a download, pass a StorageObject's `key` so the object exists first. */
  declare readonly key: pulumi.Output<string>;
  /** "GET" (default) to download, "PUT" to upload. */
  declare readonly method: pulumi.Output<"GET" | "PUT">;
  /** How long the URL works once signed, in seconds (default 3600, at most 7 days). */
  declare readonly expiresInSeconds: pulumi.Output<number>;
  /** The URL (a secret: it grants access until it expires). */
  declare readonly url: pulumi.Output<string>;
  /** When the URL stops working (ISO 8601). */
  declare readonly expiresAt: pulumi.Output<string>;

  constructor(name: string, args: SignedUrlArgs, opts?: pulumi.CustomResourceOptions) {
    // Every property is passed, undefined when not given, or Pulumi leaves its output unset (pulumi/pulumi #12160).
    super("lubes:index:SignedUrl", name, { ...unset("projectId", "bucket", "key"), method: undefined, expiresInSeconds: undefined, url: undefined, expiresAt: undefined, stateVersion: undefined, ...args }, opts, ["url"]);
  }
}
