// SignedUrl: a time-limited URL to download (GET) or upload (PUT) one object without a key. The URL is a credential,
// so it is a secret output. It cannot be revoked before it expires (the server signs with HMAC and keeps no record),
// so delete only forgets it. `refresh` reads an expired URL, or a download URL whose object is gone, as deleted; the
// next `up` signs a new one. Every input is its identity: any change replaces.
import { z } from "zod";
import { BucketName, Id, ObjectKey, storageEndpoints as api } from "../../contract";
import { STATE_VERSION, defineKind, readOrGone } from "./kind";
import { findObject } from "./storage-object";

const MAX_SECONDS = 7 * 24 * 3600;

export const SignedUrlInputs = z.strictObject({
  projectId: Id,
  bucket: BucketName,
  key: ObjectKey,
  /** GET to download, PUT to upload. */
  method: z.enum(["GET", "PUT"]).default("GET"),
  /** How long the URL works, from when it is signed: 1 s to 7 days. */
  expiresInSeconds: z.number().int().min(1).max(MAX_SECONDS).default(3600),
});
export type SignedUrlInputs = z.output<typeof SignedUrlInputs>;

/** What the server computes: outputs only (a diff never compares them). */
export const SignedUrlComputed = z.object({
  /** The URL (a secret): anyone holding it may use it until it expires. */
  url: z.string(),
  expiresAt: z.string(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type SignedUrlOutputs = SignedUrlInputs & z.output<typeof SignedUrlComputed>;

const IDENTITY = ["projectId", "bucket", "key", "method", "expiresInSeconds"] as const;

const isSigned = (olds: Partial<SignedUrlOutputs>): olds is SignedUrlOutputs => typeof olds.url === "string" && typeof olds.expiresAt === "string";

export const signedUrl = defineKind<SignedUrlInputs, SignedUrlOutputs>({
  type: "lubes:index:SignedUrl",
  title: "Signed URL",
  description: "A time-limited URL to download or upload one object without an API key. The URL is a secret output. It cannot be revoked; `refresh` sees an expired one as deleted, and the next `up` signs a new one.",
  docs: {
    projectId: "The project.",
    bucket: "The bucket's name.",
    key: "The object's key; for a download, pass a StorageObject's `key` so the object exists first.",
    method: "\"GET\" (default) to download, \"PUT\" to upload.",
    expiresInSeconds: "How long the URL works once signed, in seconds (default 3600, at most 7 days).",
    url: "The URL (a secret: it grants access until it expires).",
    expiresAt: "When the URL stops working (ISO 8601).",
  },
  replaceOnChanges: [...IDENTITY],
  secretOutputs: ["url"],
  importId: "not importable: a signed URL exists only as its text, and the server keeps no record of it",
  inputs: SignedUrlInputs,
  outputs: SignedUrlComputed,
  async create(ctx, inputs) {
    const signed = await ctx.client.call(api.sign, {
      params: { id: inputs.projectId },
      body: { bucket: inputs.bucket, key: inputs.key, method: inputs.method, expires_in: inputs.expiresInSeconds },
    });
    return { id: `${inputs.projectId}/${inputs.bucket}/${inputs.key}@${signed.expires_at}`, outs: { ...inputs, url: signed.url, expiresAt: signed.expires_at, stateVersion: STATE_VERSION } };
  },
  async read(ctx, id, olds) {
    if (!isSigned(olds)) {
      throw new Error(`A SignedUrl cannot be imported or read by its id ("${id}"): the URL exists only as the text made when it was signed, and the server keeps no record of it. Declare a new SignedUrl instead`);
    }
    if (Date.parse(olds.expiresAt) <= Date.now()) return undefined;
    if (olds.method === "PUT") return { id, outs: olds };
    const object = await readOrGone(() => findObject(ctx, olds));
    return object ? { id, outs: olds } : undefined;
  },
  // Every input replaces: an update only ever records what the diff called no change.
  update: (_ctx, _id, olds, news) => Promise.resolve({ ...olds, ...news }),
  // Nothing to revoke: the URL stops working when it expires.
  delete: () => Promise.resolve(),
});
