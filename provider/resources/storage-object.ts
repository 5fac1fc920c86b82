// StorageObject: content from a string (text or base64) or a file; diffed by MD5, which the server's ETag also is,
// so an object changed outside Pulumi shows as drift. Project, bucket and key are its identity. Create never
// overwrites: it uploads only if the key is absent (`If-None-Match: *`), so a resource renamed in the program without
// an alias fails instead of taking over, and later deleting, the object it still has (`adoptExisting` takes over).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { BucketName, Id, ObjectKey, storageEndpoints as api } from "../../contract";
import { PreconditionFailedError } from "../client";
import { getObjectBytes } from "../lookups";
import { STATE_VERSION, alreadyExists, checkWith, defineKind, deleteIgnoringGone, findInPages, parseId, readOrGone, type CheckResult, type OperationContext } from "./kind";

const RawObjectInputs = z.strictObject({
  projectId: Id,
  bucket: BucketName,
  key: ObjectKey,
  /** The content as text, or… */
  content: z.string().optional(),
  /** …as base64 bytes, or… */
  contentBase64: z.string().optional(),
  /** …read from a file, relative to the program's folder. */
  sourcePath: z.string().min(1).optional(),
  contentType: z.string().max(255).optional(),
  /** An object already at that key is managed (overwritten with this content) instead of failing. */
  adoptExisting: z.boolean().default(false),
});

export type StorageObjectInputs = z.output<typeof RawObjectInputs> & { contentMd5: string; contentType: string };

/** What the server computes: outputs only (a diff never compares them). */
export const StorageObjectComputed = z.object({
  size: z.number(),
  /** Where to download it (with a key, or without for a public bucket). */
  url: z.string(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type StorageObjectOutputs = StorageObjectInputs & z.output<typeof StorageObjectComputed>;

const TYPES: Record<string, string> = {
  ".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".json": "application/json", ".txt": "text/plain", ".md": "text/markdown",
  ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp", ".pdf": "application/pdf",
};

function bytesOf(inputs: z.output<typeof RawObjectInputs>): Buffer {
  if (inputs.sourcePath !== undefined) return readFileSync(path.resolve(inputs.sourcePath));
  if (inputs.contentBase64 !== undefined) return Buffer.from(inputs.contentBase64, "base64");
  return Buffer.from(inputs.content ?? "", "utf8");
}

function check(news: unknown): CheckResult<StorageObjectInputs> {
  const parsed = checkWith(RawObjectInputs, news);
  if (!parsed.inputs) return { failures: parsed.failures };
  const inputs = parsed.inputs;
  const given = [inputs.content, inputs.contentBase64, inputs.sourcePath].filter((v) => v !== undefined).length;
  if (given !== 1) return { failures: [{ property: "content", reason: "give exactly one of content, contentBase64 or sourcePath" }] };
  let bytes: Buffer;
  try {
    bytes = bytesOf(inputs);
  } catch (error) {
    return { failures: [{ property: "sourcePath", reason: `cannot read ${inputs.sourcePath ?? ""}: ${(error as Error).message}` }] };
  }
  const contentType = inputs.contentType ?? TYPES[path.extname(inputs.sourcePath ?? inputs.key).toLowerCase()] ?? "application/octet-stream";
  return { inputs: { ...inputs, contentType, contentMd5: createHash("md5").update(bytes).digest("hex") }, failures: [] };
}

type ApiObject = { key: string; name: string; size: number; content_type: string; etag: string; url: string };

/** The object at `bucket`/`key`, listed by prefix (the API has no metadata endpoint). */
export const findObject = (ctx: OperationContext, inputs: Pick<StorageObjectInputs, "projectId" | "bucket" | "key">): Promise<ApiObject | undefined> =>
  findInPages((query) => ctx.client.call(api.listObjects, { params: { id: inputs.projectId }, query: { ...query, bucket: inputs.bucket, prefix: inputs.key } }), (o) => o.name === inputs.key);

/** The largest object whose content a read by id alone brings into state. */
const IMPORTED_CONTENT_LIMIT = 1024 * 1024;

/** The object's bytes as text when they are UTF-8 text, else as base64. */
async function liveContent(ctx: OperationContext, projectId: string, bucket: string, key: string): Promise<{ content: string } | { contentBase64: string }> {
  const bytes = await getObjectBytes(ctx.client, projectId, bucket, key);
  const text = bytes.toString("utf8");
  return Buffer.from(text, "utf8").equals(bytes) && !text.includes("\0") ? { content: text } : { contentBase64: bytes.toString("base64") };
}

const ID_FORMAT = "<project id>/<bucket>/<key>, e.g. proj_123/avatars/logo.png";

async function put(ctx: OperationContext, inputs: StorageObjectInputs, onlyIfAbsent = false): Promise<StorageObjectOutputs> {
  const uploaded = await ctx.client.call(api.putObject, {
    params: { id: inputs.projectId, key: `${inputs.bucket}/${inputs.key}` },
    raw: { bytes: bytesOf(inputs), contentType: inputs.contentType },
    ...(onlyIfAbsent ? { headers: { "if-none-match": "*" } } : {}),
  });
  return { ...inputs, size: uploaded.size, url: uploaded.url, stateVersion: STATE_VERSION };
}

/**
 * Uploads only if the key is free (a retry after a lost answer is recognised by the server through the call's
 * Idempotency-Key); a taken key is refused, or taken over with `adoptExisting`.
 */
async function putNew(ctx: OperationContext, inputs: StorageObjectInputs): Promise<{ outs: StorageObjectOutputs; adopted: boolean }> {
  try {
    return { outs: await put(ctx, inputs, true), adopted: false };
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
    if (!inputs.adoptExisting) throw alreadyExists("Storage object", inputs.key, `bucket "${inputs.bucket}" of project ${inputs.projectId}`, error);
    return { outs: await put(ctx, inputs), adopted: true };
  }
}

export const storageObject = defineKind<StorageObjectInputs, StorageObjectOutputs>({
  type: "lubes:index:StorageObject",
  title: "Storage object",
  description: "An object in a bucket, from text, base64 or a file; diffed by MD5.",
  docs: {
    projectId: "The project.",
    bucket: "The bucket's name.",
    key: "The key in the bucket.",
    content: "The content as text.",
    contentBase64: "The content as base64.",
    sourcePath: "A file with the content.",
    contentType: "Default: from the key's extension.",
    adoptExisting: "An object already at that key is managed (overwritten with this content) instead of failing. To keep an object when you rename this resource, use the `aliases` option instead.",
    contentMd5: "MD5 of the content: what is diffed.",
    size: "Size in bytes.",
    url: "Where to download it (a private object needs a token or a signed URL).",
  },
  replaceOnChanges: ["projectId", "bucket", "key"],
  identity: ["projectId", "bucket", "key"],
  secretOutputs: [],
  importId: ID_FORMAT,
  check,
  inputs: RawObjectInputs,
  outputs: StorageObjectComputed,
  notDiffed: { content: "diffed by contentMd5", contentBase64: "diffed by contentMd5", sourcePath: "diffed by contentMd5", adoptExisting: "matters only when the resource is created" },
  computed: ["contentMd5"],
  async create(ctx, inputs) {
    const { outs, adopted } = await putNew(ctx, inputs);
    return { id: `${inputs.projectId}/${inputs.bucket}/${inputs.key}`, outs, adopted };
  },
  async read(ctx, id, olds) {
    const [projectId, bucket, key] = olds.projectId && olds.bucket && olds.key ? [olds.projectId, olds.bucket, olds.key] : parseId(id, 2, ID_FORMAT);
    const live = await readOrGone(() => findObject(ctx, { projectId, bucket, key }));
    if (!live) return undefined;
    const seen = { contentMd5: live.etag.replaceAll('"', ""), contentType: live.content_type, size: live.size, url: live.url };
    // Read by id alone (`pulumi import`): the content a program would declare is the live object's, up to 1 MiB
    // (state is no place for a large file: a program declares that one with sourcePath).
    const declared = olds.content !== undefined || olds.contentBase64 !== undefined || olds.sourcePath !== undefined;
    const content = declared || live.size > IMPORTED_CONTENT_LIMIT ? {} : await liveContent(ctx, projectId, bucket, key);
    return { id, outs: { adoptExisting: false, ...olds, ...content, projectId, bucket, key, ...seen, stateVersion: olds.stateVersion ?? STATE_VERSION } };
  },
  update: (ctx, _id, _olds, news) => put(ctx, news),
  delete: (ctx, _id, olds) => deleteIgnoringGone(() => ctx.client.call(api.deleteObject, { params: { id: olds.projectId, key: `${olds.bucket}/${olds.key}` } })),
});
