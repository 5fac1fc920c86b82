// StorageObject: content from a string (text or base64) or a file; diffed by MD5, which the server's ETag also is,
// so an object changed outside Pulumi shows as drift. Project, bucket and key are its identity.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { BucketName, Id, ObjectKey, storageEndpoints as api } from "../../contract";
import { STATE_VERSION, checkWith, deleteIgnoringGone, diffInputs, findInPages, readOrGone, type CheckResult, type OperationContext, type ResourceKind } from "./kind";

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
});

export type StorageObjectInputs = z.output<typeof RawObjectInputs> & { contentMd5: string; contentType: string };

export interface StorageObjectOutputs extends StorageObjectInputs {
  size: number;
  url: string;
  stateVersion: number;
}

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

async function put(ctx: OperationContext, inputs: StorageObjectInputs): Promise<StorageObjectOutputs> {
  const uploaded = await ctx.client.call(api.putObject, { params: { id: inputs.projectId, key: `${inputs.bucket}/${inputs.key}` }, raw: { bytes: bytesOf(inputs), contentType: inputs.contentType } });
  return { ...inputs, size: uploaded.size, url: uploaded.url, stateVersion: STATE_VERSION };
}

export const storageObject: ResourceKind<StorageObjectInputs, StorageObjectOutputs> = {
  type: "lubes:index:StorageObject",
  title: "Storage object",
  replaceOnChanges: ["projectId", "bucket", "key"],
  secretOutputs: [],
  importId: "<project id>/<bucket>/<key>, e.g. proj_123/avatars/logo.png",
  check,
  // Bytes are compared by their MD5, wherever they come from.
  diff: (_id, olds, news) => diffInputs(olds, news, ["projectId", "bucket", "key", "contentMd5", "contentType"], ["projectId", "bucket", "key"]),
  async create(ctx, inputs) {
    return { id: `${inputs.projectId}/${inputs.bucket}/${inputs.key}`, outs: await put(ctx, inputs) };
  },
  async read(ctx, id, olds) {
    const live = await readOrGone(() => findObject(ctx, olds));
    return live && { id, outs: { ...olds, contentMd5: live.etag.replaceAll('"', ""), contentType: live.content_type, size: live.size, url: live.url } };
  },
  update: (ctx, _id, _olds, news) => put(ctx, news),
  delete: (ctx, _id, olds) => deleteIgnoringGone(() => ctx.client.call(api.deleteObject, { params: { id: olds.projectId, key: `${olds.bucket}/${olds.key}` } })),
};
