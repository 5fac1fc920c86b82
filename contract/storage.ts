// Storage: buckets, objects (uploaded as the seed's multipart form, or as a raw body), signed URLs.
import { z } from "zod";
import { IdParam, PageQuery, Timestamp, endpoint, page } from "./common";

/** DNS-like, as S3 and Supabase buckets: 3 to 63 lowercase letters, digits, '-' and '.', no '..'. */
export const BucketName = z
  .string()
  .min(3)
  .max(63)
  .regex(/^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/, "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit")
  .refine((name) => !name.includes(".."), { message: "must not contain '..'" });

/**
 * An object key inside its bucket: 1 to 1024 bytes of UTF-8, segments separated by '/', none of them empty, '.' or
 * '..', no leading '/', no NUL or control characters. Keys are names in the control plane, never paths on disk.
 */
export const ObjectKey = z
  .string()
  .min(1)
  .refine((key) => Buffer.byteLength(key, "utf8") <= 1024, { message: "at most 1024 bytes" })
  .refine((key) => !/\p{Cc}/u.test(key), { message: "must not contain control characters" })
  .refine((key) => !key.startsWith("/") && !key.includes("\\"), { message: "must be relative and use '/' between segments" })
  .refine((key) => key.split("/").every((segment) => segment !== "" && segment !== "." && segment !== ".."), { message: "must not have empty, '.' or '..' segments" });

export const Bucket = z.object({
  id: z.string(),
  project_id: z.string(),
  name: z.string(),
  /** Objects of a public bucket can be downloaded without a token. */
  public: z.boolean(),
  created_at: Timestamp,
});

export const CreateBucketBody = z.strictObject({ name: BucketName, public: z.boolean().default(false) });

/** The seed's upload answer: `key` is `<bucket>/<object key>`. */
export const UploadedObject = z.object({
  key: z.string(),
  url: z.string(),
  size: z.number().int(),
  content_type: z.string(),
});

export const StoredObject = UploadedObject.extend({
  bucket: z.string(),
  /** The key inside the bucket. */
  name: z.string(),
  /** Quoted hex MD5 of the bytes, as S3. */
  etag: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

/** The seed's upload form (multipart/form-data), read by the server as a stream: described here, not parsed. */
export const UploadForm = z.object({
  bucket: BucketName,
  file: z.file().describe("The bytes; the part's Content-Type becomes the object's"),
  key: ObjectKey.optional().describe("The object's key in the bucket; by default a new random name with the file's extension"),
});

/** The bytes of an object as a request or response body, of any type. */
export const ObjectBytes = z.file().describe("The object's bytes; the Content-Type goes with them");

/** A signed URL's query: the expiry (Unix seconds) and the HMAC the server made for this method, path and expiry. */
export const SignedUrlQuery = z.object({
  expires: z.string().regex(/^\d{1,12}$/, "Unix seconds").optional(),
  signature: z.string().max(128).optional(),
});

export const ListObjectsQuery = PageQuery.extend({ bucket: BucketName.optional(), prefix: z.string().max(1024).optional() });

export const SignBody = z
  .strictObject({
    /** `<bucket>/<object key>`, as uploads answer; or give `bucket` and `key` apart. */
    key: z.string().min(1).max(1100).optional(),
    bucket: BucketName.optional(),
    expires_in: z.number().int().min(1).max(7 * 24 * 3600).default(3600),
    method: z.enum(["GET", "PUT"]).default("GET"),
  })
  .refine((body) => body.key !== undefined, { message: "key is required", path: ["key"] });

export const SignedUrl = z.object({ url: z.string(), method: z.enum(["GET", "PUT"]), expires_at: Timestamp });

const BucketParams = IdParam.extend({ name: BucketName });
/** The wildcard tail of the object routes: `<bucket>/<object key>`, its slashes as they are or encoded (`%2F`). */
const ObjectParams = IdParam.extend({ key: z.string().min(1).max(1100).describe("`<bucket>/<object key>`; the slashes may be sent as they are or percent-encoded (%2F), as generated clients do") });
const tag = "Storage";
const common = { projectScoped: true, tag } as const;

export const storageEndpoints = {
  listBuckets: endpoint({
    ...common, operationId: "listBuckets", method: "GET", path: "/projects/:id/storage/buckets", summary: "List buckets (by name)",
    auth: "bearer", permission: "read", params: IdParam, query: PageQuery, status: 200, response: page(Bucket),
  }),
  createBucket: endpoint({
    ...common, operationId: "createBucket", method: "POST", path: "/projects/:id/storage/buckets", summary: "Create bucket",
    auth: "bearer", permission: "write", params: IdParam, body: CreateBucketBody, status: 201, response: Bucket,
  }),
  getBucket: endpoint({
    ...common, operationId: "getBucket", method: "GET", path: "/projects/:id/storage/buckets/:name", summary: "Get one bucket by name",
    extension: true, auth: "bearer", permission: "read", params: BucketParams, status: 200, response: Bucket,
  }),
  updateBucket: endpoint({
    ...common, operationId: "updateBucket", method: "PATCH", path: "/projects/:id/storage/buckets/:name", summary: "Change a bucket's visibility",
    extension: true, auth: "bearer", permission: "write", params: BucketParams, body: z.strictObject({ public: z.boolean() }), status: 200, response: Bucket,
  }),
  deleteBucket: endpoint({
    ...common, operationId: "deleteBucket", method: "DELETE", path: "/projects/:id/storage/buckets/:name", summary: "Delete bucket (409 when it holds objects, unless ?force=true)",
    auth: "bearer", permission: "write", params: BucketParams, query: z.object({ force: z.enum(["true", "false"]).default("false") }), status: 204,
    answers: { 409: "The bucket holds objects (pass force=true to delete them with it)" },
  }),
  listObjects: endpoint({
    ...common, operationId: "listObjects", method: "GET", path: "/projects/:id/storage/objects", summary: "List objects (by bucket, then key)",
    auth: "bearer", permission: "read", params: IdParam, query: ListObjectsQuery, status: 200, response: page(StoredObject),
  }),
  uploadObject: endpoint({
    ...common, operationId: "uploadObject", method: "POST", path: "/projects/:id/storage/objects", summary: "Upload object (multipart/form-data: bucket, file, optional key; with If-None-Match: * only created, 412 already_exists when the key exists)",
    auth: "bearer", permission: "write", params: IdParam, rawBody: { media: "multipart", schema: UploadForm }, headers: z.object({ "If-None-Match": z.literal("*").optional() }),
    status: 201, response: UploadedObject, answers: { 412: "The key exists and If-None-Match: * asked only to create it" },
  }),
  putObject: endpoint({
    ...common, operationId: "putObject", method: "PUT", path: "/projects/:id/storage/objects/:key", summary: "Upload an object as the raw request body (large files; signed PUT URLs; with If-None-Match: * only created, 412 already_exists when the key exists)",
    extension: true, auth: "bearer-or-signed", permission: "write", wildcard: "key", params: ObjectParams, query: SignedUrlQuery,
    headers: z.object({ "If-None-Match": z.literal("*").optional() }), rawBody: { media: "bytes", schema: ObjectBytes },
    status: 201, response: UploadedObject, answers: { 412: "The key exists and If-None-Match: * asked only to create it" },
  }),
  downloadObject: endpoint({
    ...common, operationId: "downloadObject", method: "GET", path: "/projects/:id/storage/objects/:key", summary: "Download object (Range supported)",
    auth: "bearer-or-signed", permission: "read", wildcard: "key", params: ObjectParams, query: SignedUrlQuery,
    headers: z.object({ Range: z.string().optional().describe("One range: `bytes=0-99`, `bytes=100-` or `bytes=-100`"), "If-None-Match": z.string().optional().describe("The ETag you hold: 304 when it is still current") }),
    status: 200, responseMedia: "bytes", head: true,
    answers: { 206: "Part of the object (a Range request)", 304: "Not modified: the ETag given in If-None-Match is current", 416: "The Range lies outside the object" },
  }),
  deleteObject: endpoint({
    ...common, operationId: "deleteObject", method: "DELETE", path: "/projects/:id/storage/objects/:key", summary: "Delete object",
    auth: "bearer", permission: "write", wildcard: "key", params: ObjectParams, status: 204,
  }),
  sign: endpoint({
    ...common, operationId: "createSignedUrl", method: "POST", path: "/projects/:id/storage/sign", summary: "Create signed URL",
    auth: "bearer", permission: "read", params: IdParam, body: SignBody, status: 200, response: SignedUrl,
  }),
};
