// Storage routes: buckets, object upload (multipart or raw body), listing, download with Range, delete, signed URLs.
import { createHmac, timingSafeEqual } from "node:crypto";
import multipart from "@fastify/multipart";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { BucketName, ObjectKey, storageEndpoints as api, type Permission } from "../../contract";
import { iso, publicBaseUrl, type ServerContext } from "../context";
import { ApiError, badRequest, conflict, forbidden, notFound, unauthorized, validation } from "../errors";
import { idempotencyKeyOf, ownEarlierWrite, writeKeyOf } from "../http/idempotency";
import { alreadyExists, createOnly } from "../http/preconditions";
import type { Principal } from "../http/principal";
import { rawBodyScope } from "../http/raw-body";
import { serve } from "../http/route";
import { projectAccess } from "../services/access";
import { newId, sha256 } from "../services/crypto";
import type { StagedBlob } from "../services/object-store";
import { queryPage } from "../store/page";

interface BucketRow {
  id: string;
  project_id: string;
  name: string;
  public: boolean;
  created_at: Date;
}

interface ObjectRow {
  bucket_id: string;
  project_id: string;
  key: string;
  blob_id: string;
  size: string | number;
  content_type: string;
  md5: string;
  write_key: string | null;
  created_at: Date;
  updated_at: Date;
}

const toBucket = (row: BucketRow) => ({ id: row.id, project_id: row.project_id, name: row.name, public: row.public, created_at: iso(row.created_at) });

/** `avatars/users/1.png` as a URL path: each segment percent-encoded. */
const encodeKeyPath = (fullKey: string) => fullKey.split("/").map(encodeURIComponent).join("/");

function objectUrl(base: string, projectId: string, bucket: string, key: string): string {
  return `${base}/projects/${projectId}/storage/objects/${encodeKeyPath(`${bucket}/${key}`)}`;
}

function toStoredObject(base: string, bucket: string) {
  return (row: ObjectRow) => ({
    key: `${bucket}/${row.key}`,
    bucket,
    name: row.key,
    url: objectUrl(base, row.project_id, bucket, row.key),
    size: Number(row.size),
    content_type: row.content_type,
    etag: `"${row.md5}"`,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  });
}

/** Splits `<bucket>/<object key>` and checks both halves: a key never names anything but a row. */
function splitFullKey(fullKey: string): { bucket: string; key: string } {
  const slash = fullKey.indexOf("/");
  const bucket = slash < 0 ? fullKey : fullKey.slice(0, slash);
  const key = slash < 0 ? "" : fullKey.slice(slash + 1).normalize("NFC");
  if (!BucketName.safeParse(bucket).success) throw badRequest("invalid_parameter", `"${bucket}" is not a bucket name`, { field: "key", constraint: "bucket" });
  const checked = ObjectKey.safeParse(key);
  if (!checked.success) throw badRequest("invalid_parameter", `Object key ${JSON.stringify(key)} ${checked.error.issues[0]?.message ?? "is not valid"}`, { field: "key", constraint: "object_key" });
  return { bucket, key };
}

async function findBucket(ctx: ServerContext, projectId: string, name: string): Promise<BucketRow> {
  const row = (await ctx.sql.query<BucketRow>("SELECT * FROM buckets WHERE project_id = $1 AND name = $2", [projectId, name])).rows[0];
  if (!row) throw notFound("Bucket", name);
  return row;
}

// --- Signed URLs: HMAC-SHA256 over method, path and expiry; any change to one of them breaks the signature.

function signature(ctx: ServerContext, method: string, path: string, expires: number): string {
  return createHmac("sha256", ctx.keys.storageSigning).update(`${method}\n${path}\n${expires}`).digest("hex");
}

const signedPath = (projectId: string, bucket: string, key: string) => `/v1/projects/${projectId}/storage/objects/${encodeKeyPath(`${bucket}/${key}`)}`;

function verifySignature(ctx: ServerContext, request: FastifyRequest, projectId: string, bucket: string, key: string): void {
  const query = request.query as Record<string, unknown>;
  const expires = Number(query["expires"]);
  const given = typeof query["signature"] === "string" ? query["signature"] : "";
  // A URL signed for GET also answers HEAD: the same object's size, type and ETag, without the bytes.
  const method = request.method === "HEAD" ? "GET" : request.method;
  const expected = signature(ctx, method, signedPath(projectId, bucket, key), expires);
  const valid = Number.isInteger(expires) && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  if (!valid) throw forbidden("The signature does not match this URL, method and expiry");
  if (expires * 1000 <= ctx.options.now().getTime()) throw new ApiError(403, "signature_expired", "This signed URL has expired; ask for a new one");
}

/**
 * Who may touch an object: a token holder with the permission on the project; else a valid signed URL; else, to
 * download, anyone when the bucket is public. Without any of them: 401, whether or not the object exists.
 */
async function authorizeObject(ctx: ServerContext, request: FastifyRequest, principal: Principal | undefined, projectId: string, fullKey: string, need: Permission): Promise<{ bucket: BucketRow; key: string }> {
  const { bucket, key } = splitFullKey(fullKey);
  if (principal) {
    await projectAccess(ctx, principal, projectId, need === "admin" ? "write" : need);
    return { bucket: await findBucket(ctx, projectId, bucket), key };
  }
  const query = request.query as Record<string, unknown>;
  if (query["signature"] !== undefined) {
    verifySignature(ctx, request, projectId, bucket, key);
    return { bucket: await findBucket(ctx, projectId, bucket), key };
  }
  if (request.method === "GET" || request.method === "HEAD") {
    const row = (await ctx.sql.query<BucketRow>("SELECT * FROM buckets WHERE project_id = $1 AND name = $2 AND public", [projectId, bucket])).rows[0];
    if (row) return { bucket: row, key };
  }
  throw unauthorized("missing_token", "Send `Authorization: Bearer <token>`, or use a signed URL");
}

const objectExists = (bucket: BucketRow, key: string) =>
  alreadyExists(`Object ${bucket.name}/${key} already exists`, { bucket: bucket.name, key });

/** What an upload asks of a key that may exist: to create only (`If-None-Match: *`), and which write is its own. */
interface WriteCondition {
  onlyIfAbsent: boolean;
  /** Hash of the credential and Idempotency-Key, stored with the object: a retry recognises its own earlier write. */
  writeKey: string | null;
}

function writeConditionOf(request: FastifyRequest): WriteCondition {
  const idempotencyKey = idempotencyKeyOf(request);
  const writeKey = idempotencyKey === undefined ? null : sha256(`${request.principal?.credentialScope ?? "signed"}\n${idempotencyKey}`);
  return { onlyIfAbsent: createOnly(request), writeKey };
}

type Uploaded = { key: string; url: string; size: number; content_type: string };

const uploadedOf = (base: string, bucket: BucketRow, row: Pick<ObjectRow, "key" | "size" | "content_type">): Uploaded => ({
  key: `${bucket.name}/${row.key}`, url: objectUrl(base, bucket.project_id, bucket.name, row.key), size: Number(row.size), content_type: row.content_type,
});

const objectAt = async (ctx: ServerContext, bucket: BucketRow, key: string) =>
  (await ctx.sql.query<ObjectRow>("SELECT * FROM objects WHERE bucket_id = $1 AND key = $2", [bucket.id, key])).rows[0];

/**
 * A create-only upload found its key taken. A retry that finds the write of its own first attempt (the answer was
 * lost) gets that write's answer, as an idempotent replay; anything else is 412.
 */
function answerTakenKey(existing: ObjectRow | undefined, base: string, bucket: BucketRow, key: string, condition: WriteCondition, reply: FastifyReply): Uploaded {
  if (!existing || condition.writeKey === null || existing.write_key !== condition.writeKey) throw objectExists(bucket, key);
  void reply.header("idempotent-replayed", "true");
  return uploadedOf(base, bucket, existing);
}

/** Records the staged blob as the object (replacing an older version, unless create-only), then drops the older bytes. */
async function commitObject(ctx: ServerContext, base: string, bucket: BucketRow, key: string, staged: StagedBlob, contentType: string, condition: WriteCondition, reply: FastifyReply): Promise<Uploaded> {
  let row: (ObjectRow & { previous_blob: string | null }) | undefined;
  const onConflict = condition.onlyIfAbsent
    ? "DO NOTHING"
    : "DO UPDATE SET blob_id = EXCLUDED.blob_id, size = EXCLUDED.size, content_type = EXCLUDED.content_type, md5 = EXCLUDED.md5, write_key = EXCLUDED.write_key, updated_at = now()";
  try {
    ({ rows: [row] } = await ctx.sql.query<ObjectRow & { previous_blob: string | null }>(
      `WITH previous AS (SELECT blob_id FROM objects WHERE bucket_id = $1 AND key = $3)
       INSERT INTO objects (bucket_id, project_id, key, blob_id, size, content_type, md5, write_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (bucket_id, key) ${onConflict}
       RETURNING *, (SELECT blob_id FROM previous) AS previous_blob`,
      [bucket.id, bucket.project_id, key, staged.blobId, staged.size, contentType, staged.md5, condition.writeKey],
    ));
  } catch (error) {
    await ctx.objects.remove(bucket.project_id, staged.blobId);
    if ((error as { code?: string }).code === "23503") throw notFound("Bucket", bucket.name); // deleted meanwhile
    throw error;
  }
  if (!row) {
    await ctx.objects.remove(bucket.project_id, staged.blobId);
    return answerTakenKey(await objectAt(ctx, bucket, key), base, bucket, key, condition, reply);
  }
  if (row.previous_blob && row.previous_blob !== staged.blobId) await ctx.objects.remove(bucket.project_id, row.previous_blob);
  return uploadedOf(base, bucket, { key, size: staged.size, content_type: contentType });
}

const CONTENT_TYPE = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(?:\s*;\s*[\w-]+=(?:[\w.+-]+|"[^"]*"))*$/;
const contentTypeOf = (value: string | undefined) => (value && value.length <= 255 && CONTENT_TYPE.test(value) ? value : "application/octet-stream");

/** A random name keeping the uploaded file's extension, as in the seed's `avatars/abc123.png`. */
function generatedKey(filename: string | undefined): string {
  const extension = /\.[A-Za-z0-9]{1,10}$/.exec(filename ?? "")?.[0]?.toLowerCase() ?? "";
  return `${newId("obj").slice(4)}${extension}`;
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === "" && match[2] === "")) return undefined; // absent, malformed or multi-range: the whole object
  if (match[1] === "") {
    const suffix = Number(match[2]);
    return suffix === 0 || size === 0 ? "unsatisfiable" : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  return start >= size || start > end ? "unsatisfiable" : { start, end };
}

async function sendObject(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, bucket: BucketRow, key: string): Promise<FastifyReply> {
  const row = (await ctx.sql.query<ObjectRow>("SELECT * FROM objects WHERE bucket_id = $1 AND key = $2", [bucket.id, key])).rows[0];
  if (!row) throw notFound("Object", `${bucket.name}/${key}`);
  const size = Number(row.size);
  const etag = `"${row.md5}"`;
  reply.header("ETag", etag).header("Last-Modified", new Date(row.updated_at).toUTCString()).header("Accept-Ranges", "bytes");
  reply.header("Cache-Control", bucket.public ? "public, max-age=60" : "private, no-cache");
  // Anyone may upload text/html or SVG: served from the API's origin, it must never run as a page of it.
  reply.header("X-Content-Type-Options", "nosniff").header("Content-Security-Policy", "sandbox");
  if (request.headers["if-none-match"] === etag) return reply.code(304).send();
  const range = parseRange(request.headers.range, size);
  if (range === "unsatisfiable") {
    reply.header("Content-Range", `bytes */${size}`);
    throw new ApiError(416, "range_not_satisfiable", `Range "${request.headers.range ?? ""}" is outside the object's ${size} bytes`, { size });
  }
  reply.header("Content-Type", row.content_type);
  if (size === 0) return reply.code(200).header("Content-Length", "0").send("");
  if (!range) return reply.code(200).header("Content-Length", String(size)).send(ctx.objects.read(row.project_id, row.blob_id));
  reply.header("Content-Range", `bytes ${range.start}-${range.end}/${size}`).header("Content-Length", String(range.end - range.start + 1));
  return reply.code(206).send(ctx.objects.read(row.project_id, row.blob_id, range));
}

/**
 * A form the multipart parser could not read (no boundary, another boundary, one too long to search for, garbage, a
 * file cut short) is the client's mistake: 400, with the parser's words. Our own errors and anything else pass through.
 */
function malformedMultipart(error: unknown): unknown {
  if (error instanceof ApiError || !(error instanceof Error)) return error;
  const fromParser = ("code" in error && typeof error.code === "string" && error.code.startsWith("FST_")) || /multipart|boundary|needle|unexpected end of (form|file)|malformed|part header/i.test(error.message);
  return fromParser ? badRequest("malformed_multipart", `The multipart form could not be read: ${error.message}`) : error;
}

/** Object routes take raw bodies and multipart forms, so they live in a raw-body scope. */
async function objectRoutes(scope: FastifyInstance, ctx: ServerContext): Promise<void> {
  await scope.register(multipart, { limits: { files: 1, fields: 10, fieldSize: 4096, fileSize: ctx.objects.maxObjectBytes + 1 } });

  serve(scope, ctx, api.uploadObject, async ({ principal, params, request, reply }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const condition = writeConditionOf(request);
    if (!request.isMultipart()) throw badRequest("multipart_required", "Upload with Content-Type multipart/form-data (fields: bucket, file, optional key), or PUT the raw bytes to /storage/objects/<bucket>/<key>");
    const fields: Record<string, string> = {};
    let staged: StagedBlob | undefined;
    let file: { filename: string; mimetype: string } | undefined;
    try {
      try {
        for await (const part of request.parts()) {
          if (part.type === "file") {
            if (staged) throw validation("file", "single", "Send one file per upload");
            staged = await ctx.objects.stage(params.id, part.file);
            file = { filename: part.filename, mimetype: part.mimetype };
          } else {
            fields[part.fieldname] = String(part.value);
          }
        }
      } catch (error) {
        throw malformedMultipart(error);
      }
      if (!staged) throw validation("file", "required", "file is required: send the bytes as the multipart field \"file\"");
      const bucketName = fields["bucket"];
      if (!bucketName) throw validation("bucket", "required", "bucket is required");
      if (!BucketName.safeParse(bucketName).success) throw validation("bucket", "pattern", `"${bucketName}" is not a bucket name`);
      const key = fields["key"]?.normalize("NFC") ?? generatedKey(file?.filename);
      const checked = ObjectKey.safeParse(key);
      if (!checked.success) throw validation("key", "object_key", `Object key ${JSON.stringify(key)} ${checked.error.issues[0]?.message ?? "is not valid"}`);
      const bucket = await findBucket(ctx, params.id, bucketName);
      const result = await commitObject(ctx, publicBaseUrl(ctx, request), bucket, key, staged, contentTypeOf(file?.mimetype), condition, reply);
      staged = undefined;
      return result;
    } finally {
      if (staged) await ctx.objects.remove(params.id, staged.blobId);
    }
  });

  serve(scope, ctx, api.putObject, async ({ principal, params, request, reply }) => {
    const { bucket, key } = await authorizeObject(ctx, request, principal, params.id, params.key, "write");
    const condition = writeConditionOf(request);
    const base = publicBaseUrl(ctx, request);
    // A taken key is answered before the bytes are read; the insert checks again, atomically.
    const taken = condition.onlyIfAbsent ? await objectAt(ctx, bucket, key) : undefined;
    if (taken) return answerTakenKey(taken, base, bucket, key, condition, reply);
    const staged = await ctx.objects.stage(params.id, request.raw);
    return commitObject(ctx, base, bucket, key, staged, contentTypeOf(request.headers["content-type"]), condition, reply);
  });

  serve(scope, ctx, api.downloadObject, async ({ principal, params, request, reply }) => {
    const { bucket, key } = await authorizeObject(ctx, request, principal, params.id, params.key, "read");
    return sendObject(ctx, request, reply, bucket, key);
  });

  serve(scope, ctx, api.deleteObject, async ({ principal, params }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const { bucket: name, key } = splitFullKey(params.key);
    const bucket = await findBucket(ctx, params.id, name);
    const { rows } = await ctx.sql.query<{ blob_id: string }>("DELETE FROM objects WHERE bucket_id = $1 AND key = $2 RETURNING blob_id", [bucket.id, key]);
    if (!rows[0]) throw notFound("Object", params.key);
    await ctx.objects.remove(params.id, rows[0].blob_id);
  });
}

export function storageRoutes(app: FastifyInstance, ctx: ServerContext): void {
  serve(app, ctx, api.listBuckets, async ({ principal, params, query }) => {
    await projectAccess(ctx, principal, params.id, "read");
    return queryPage(ctx.sql, { fromWhere: "FROM buckets WHERE project_id = $1", orderBy: "name", params: [params.id] }, query, toBucket);
  });

  serve(app, ctx, api.getBucket, async ({ principal, params }) => {
    await projectAccess(ctx, principal, params.id, "read");
    return toBucket(await findBucket(ctx, params.id, params.name));
  });

  serve(app, ctx, api.createBucket, async ({ principal, params, body, request }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const earlier = await ownEarlierWrite<BucketRow>(ctx, request, "buckets", "project_id = $2 AND name = $3", [params.id, body.name]);
    if (earlier) return toBucket(earlier);
    const { rows } = await ctx.sql.query<BucketRow>(
      "INSERT INTO buckets (id, project_id, name, public, write_key) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project_id, name) DO NOTHING RETURNING *",
      [newId("bkt"), params.id, body.name, body.public, writeKeyOf(request)],
    );
    if (!rows[0]) throw conflict("bucket_exists", `Bucket "${body.name}" already exists in project ${params.id}`, { field: "name" });
    return toBucket(rows[0]);
  });

  serve(app, ctx, api.updateBucket, async ({ principal, params, body }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const bucket = await findBucket(ctx, params.id, params.name);
    const { rows } = await ctx.sql.query<BucketRow>("UPDATE buckets SET public = $2 WHERE id = $1 RETURNING *", [bucket.id, body.public]);
    return toBucket(rows[0] as BucketRow);
  });

  serve(app, ctx, api.deleteBucket, async ({ principal, params, query }) => {
    await projectAccess(ctx, principal, params.id, "write");
    const bucket = await findBucket(ctx, params.id, params.name);
    const { rows } = await ctx.sql.query<{ blob_id: string }>("SELECT blob_id FROM objects WHERE bucket_id = $1", [bucket.id]);
    if (rows.length > 0 && query.force !== "true") {
      throw conflict("bucket_not_empty", `Bucket "${bucket.name}" holds ${rows.length} object(s); delete them first, or pass ?force=true to delete them with it`, { objects: rows.length });
    }
    await ctx.sql.query("DELETE FROM buckets WHERE id = $1", [bucket.id]);
    for (const row of rows) await ctx.objects.remove(params.id, row.blob_id);
  });

  serve(app, ctx, api.listObjects, async ({ principal, params, query, request }) => {
    await projectAccess(ctx, principal, params.id, "read");
    const where: string[] = ["o.project_id = $1"];
    const values: unknown[] = [params.id];
    if (query.bucket) {
      values.push(query.bucket);
      where.push(`b.name = $${values.length}`);
    }
    if (query.prefix) {
      // A prefix is matched literally: LIKE's wildcards in it are escaped.
      values.push(`${query.prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`o.key LIKE $${values.length}`);
    }
    const page = await queryPage<ObjectRow & { bucket_name: string }, ReturnType<ReturnType<typeof toStoredObject>>>(ctx.sql, {
      select: "o.*, b.name AS bucket_name",
      fromWhere: `FROM objects o JOIN buckets b ON b.id = o.bucket_id WHERE ${where.join(" AND ")}`,
      orderBy: "b.name, o.key",
      params: values,
    }, query, (row) => toStoredObject(publicBaseUrl(ctx, request), row.bucket_name)(row));
    return page;
  });

  serve(app, ctx, api.sign, async ({ principal, params, body, request }) => {
    await projectAccess(ctx, principal, params.id, body.method === "PUT" ? "write" : "read");
    const { bucket, key } = splitFullKey(body.bucket ? `${body.bucket}/${body.key ?? ""}` : body.key ?? "");
    const bucketRow = await findBucket(ctx, params.id, bucket);
    if (body.method === "GET") {
      const exists = await ctx.sql.query("SELECT 1 FROM objects WHERE bucket_id = $1 AND key = $2", [bucketRow.id, key]);
      if (exists.rows.length === 0) throw notFound("Object", `${bucket}/${key}`);
    }
    const expires = Math.floor(ctx.options.now().getTime() / 1000) + body.expires_in;
    const sig = signature(ctx, body.method, signedPath(params.id, bucket, key), expires);
    return { url: `${objectUrl(publicBaseUrl(ctx, request), params.id, bucket, key)}?expires=${expires}&signature=${sig}`, method: body.method, expires_at: new Date(expires * 1000).toISOString() };
  });
}

export async function registerStorageRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  storageRoutes(app, ctx);
  await rawBodyScope(app, (scope) => objectRoutes(scope, ctx));
}
