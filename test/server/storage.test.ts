// Storage over real HTTP, on both engines: buckets, the seed's multipart upload, raw uploads, Range downloads,
// key confinement, size limits, public buckets and signed URLs.
import { createHash, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { createKey, createOrg, createProject, expectEnvelope, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

const MAX_OBJECT = 64 * 1024;

describeEachEngine("storage", (engine) => {
  let server: TestServer;
  let owner: TestUser;
  let projectId: string;
  const base = () => `/projects/${projectId}/storage`;

  /** Files under the storage root, wherever they are: uploads must leave nothing else behind. */
  const filesOnDisk = (): string[] => {
    const root = server.app.lubes.objects.root;
    return readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  };

  async function upload(fields: Record<string, string>, file?: { bytes: Buffer | string; name: string; type: string }, token = owner.token) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    if (file) form.append("file", new Blob([file.bytes], { type: file.type }), file.name);
    const res = await fetch(`${server.url}${base()}/objects`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  }

  /** `token: null` downloads anonymously. */
  const download = (fullKey: string, headers: Record<string, string> = {}, token: string | null = owner.token) =>
    fetch(`${server.url}${base()}/objects/${fullKey}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

  beforeAll(async () => {
    server = await startTestServer(engine, { maxObjectBytes: MAX_OBJECT });
    owner = await signUp(server.api, "owner");
    projectId = (await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id, "Files")).id;
    await server.api.post(`${base()}/buckets`, { token: owner.token, body: { name: "avatars" } });
  });
  afterAll(() => server.close());

  it("answers the seed's Upload a File example with the seed's shape", async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00]);
    const res = await upload({ bucket: "avatars" }, { bytes: png, name: "avatar.png", type: "image/png" });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      key: expect.stringMatching(/^avatars\/[a-z0-9]+\.png$/),
      url: expect.stringContaining(`/projects/${projectId}/storage/objects/avatars/`),
      size: 9,
      content_type: "image/png",
    });
  });

  it("creates, lists and validates buckets", async () => {
    const created = await server.api.post(`${base()}/buckets`, { token: owner.token, body: { name: "public-assets", public: true } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "public-assets", public: true, project_id: projectId });
    expectEnvelope(await server.api.post(`${base()}/buckets`, { token: owner.token, body: { name: "avatars" } }), 409, "bucket_exists");
    for (const name of ["Avatars", "ab", "a..b", "-abc", "abc-", "a_b", "x".repeat(64)]) {
      expectEnvelope(await server.api.post(`${base()}/buckets`, { token: owner.token, body: { name } }), 422);
    }
    const list = await server.api.get(`${base()}/buckets`, { token: owner.token });
    expect(list.body.data.map((b: { name: string }) => b.name)).toEqual(["avatars", "public-assets"]);
    const hidden = await server.api.patch(`${base()}/buckets/public-assets`, { token: owner.token, body: { public: false } });
    expect(hidden.body).toMatchObject({ name: "public-assets", public: false });
    expectEnvelope(await server.api.patch(`${base()}/buckets/nope-bucket`, { token: owner.token, body: { public: true } }), 404);
    // One bucket by name (extension): a client reads it in one call, whatever the number of buckets.
    expect((await server.api.get(`${base()}/buckets/avatars`, { token: owner.token })).body).toEqual(list.body.data[0]);
    expectEnvelope(await server.api.get(`${base()}/buckets/nope-bucket`, { token: owner.token }), 404, "not_found");
  });

  it("stores under a given key, replaces it on upload, and lists by bucket and prefix", async () => {
    const first = await upload({ bucket: "avatars", key: "users/1/photo.jpg" }, { bytes: "first", name: "x.jpg", type: "image/jpeg" });
    expect(first.body.key).toBe("avatars/users/1/photo.jpg");
    const filesAfterFirst = filesOnDisk().length;
    await upload({ bucket: "avatars", key: "users/1/photo.jpg" }, { bytes: "second version", name: "x.jpg", type: "image/jpeg" });
    expect(filesOnDisk().length).toBe(filesAfterFirst); // the older bytes are gone
    await upload({ bucket: "avatars", key: "users/2/photo.jpg" }, { bytes: "other", name: "x.jpg", type: "image/jpeg" });
    await upload({ bucket: "avatars", key: "users%_/odd.txt" }, { bytes: "odd", name: "odd.txt", type: "text/plain" });

    const listed = await server.api.get(`${base()}/objects?bucket=avatars&prefix=users/1/`, { token: owner.token });
    expect(listed.body.data).toEqual([expect.objectContaining({ key: "avatars/users/1/photo.jpg", name: "users/1/photo.jpg", size: 14, content_type: "image/jpeg", etag: `"${createHash("md5").update("second version").digest("hex")}"` })]);
    // LIKE wildcards in a prefix are literal.
    const literal = await server.api.get(`${base()}/objects?bucket=avatars&prefix=users%25_`, { token: owner.token });
    expect(literal.body.data.map((o: { name: string }) => o.name)).toEqual(["users%_/odd.txt"]);
    const paged = await server.api.get(`${base()}/objects?bucket=avatars&limit=2`, { token: owner.token });
    expect(paged.body.pagination).toMatchObject({ limit: 2, has_more: true });
  });

  it("downloads with Content-Type, Content-Length and ETag, honours Range, and answers 304 to a matching ETag", async () => {
    const bytes = Buffer.from("0123456789abcdef");
    await upload({ bucket: "avatars", key: "range.bin" }, { bytes, name: "range.bin", type: "application/octet-stream" });
    const full = await download("avatars/range.bin");
    expect(full.status).toBe(200);
    expect(full.headers.get("content-type")).toBe("application/octet-stream");
    expect(full.headers.get("content-length")).toBe("16");
    expect(full.headers.get("accept-ranges")).toBe("bytes");
    expect(Buffer.from(await full.arrayBuffer())).toEqual(bytes);
    const etag = full.headers.get("etag") ?? "";

    for (const [range, body, contentRange] of [["bytes=2-5", "2345", "bytes 2-5/16"], ["bytes=10-", "abcdef", "bytes 10-15/16"], ["bytes=-3", "def", "bytes 13-15/16"], ["bytes=14-99", "ef", "bytes 14-15/16"]]) {
      const res = await download("avatars/range.bin", { range: range ?? "" });
      expect(res.status, range).toBe(206);
      expect(res.headers.get("content-range")).toBe(contentRange);
      expect(await res.text()).toBe(body);
    }
    const unsatisfiable = await download("avatars/range.bin", { range: "bytes=16-20" });
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers.get("content-range")).toBe("bytes */16");
    expect(((await unsatisfiable.json()) as any).error.code).toBe("range_not_satisfiable");
    expect((await download("avatars/range.bin", { "if-none-match": etag })).status).toBe(304);
  });

  it("takes a raw body upload with PUT, streamed, byte for byte", async () => {
    const bytes = randomBytes(60 * 1024);
    const res = await fetch(`${server.url}${base()}/objects/avatars/raw/blob.bin`, { method: "PUT", headers: { authorization: `Bearer ${owner.token}`, "content-type": "application/x-custom" }, body: bytes });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ key: "avatars/raw/blob.bin", size: bytes.length, content_type: "application/x-custom" });
    const back = Buffer.from(await (await download("avatars/raw/blob.bin")).arrayBuffer());
    expect(createHash("sha256").update(back).digest("hex")).toBe(createHash("sha256").update(bytes).digest("hex"));
    // JSON is just bytes here: it is stored, not parsed.
    const json = await fetch(`${server.url}${base()}/objects/avatars/data.json`, { method: "PUT", headers: { authorization: `Bearer ${owner.token}`, "content-type": "application/json" }, body: "{not json" });
    expect(json.status).toBe(201);
    expect(await (await download("avatars/data.json")).text()).toBe("{not json");
  });

  it("with If-None-Match: * a PUT only creates: a taken key answers 412, keeps its bytes and leaves no file behind", async () => {
    const put = (body: string, headers: Record<string, string> = { "if-none-match": "*" }) =>
      server.api.request("PUT", `${base()}/objects/avatars/once.txt`, { token: owner.token, raw: body, headers: { "content-type": "text/plain", ...headers } });
    expect((await put("first")).status).toBe(201);
    const files = filesOnDisk().length;
    const again = await put("second");
    expectEnvelope(again, 412, "already_exists");
    expect(again.body.error.details).toEqual({ bucket: "avatars", key: "once.txt" });
    expect(await (await download("avatars/once.txt")).text()).toBe("first");
    expect(filesOnDisk()).toHaveLength(files);
    expectEnvelope(await put("third", { "if-none-match": '"abc"' }), 400, "unsupported_precondition");
    expect((await put("fourth", {})).status).toBe(201);
    expect(await (await download("avatars/once.txt")).text()).toBe("fourth");
  });

  it("answers a create-only PUT retried with its Idempotency-Key as the write it made; another key gets 412", async () => {
    const put = (body: string, key: string) =>
      server.api.request("PUT", `${base()}/objects/avatars/retried.txt`, { token: owner.token, raw: body, headers: { "content-type": "text/plain", "if-none-match": "*", "idempotency-key": key } });
    const first = await put("mine", "upload-1");
    expect(first.status).toBe(201);
    const retried = await put("mine", "upload-1");
    expect(retried.status).toBe(201);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    expect(retried.body).toEqual(first.body);
    expectEnvelope(await put("theirs", "upload-2"), 412, "already_exists");
    expect(await (await download("avatars/retried.txt")).text()).toBe("mine");
  });

  it("refuses objects over the size limit with 413 and leaves no partial file", async () => {
    const before = filesOnDisk().length;
    const tooBig = Buffer.alloc(MAX_OBJECT + 1, 1);
    const multipartTooBig = await upload({ bucket: "avatars", key: "big.bin" }, { bytes: tooBig, name: "big.bin", type: "application/octet-stream" });
    expect(multipartTooBig.status).toBe(413);
    expect(multipartTooBig.body.error.code).toBe("payload_too_large");
    const raw = await fetch(`${server.url}${base()}/objects/avatars/big.bin`, { method: "PUT", headers: { authorization: `Bearer ${owner.token}` }, body: tooBig });
    expect(raw.status).toBe(413);
    expect(filesOnDisk().length).toBe(before);
    expectEnvelope(await server.api.get(`${base()}/objects/avatars/big.bin`, { token: owner.token }), 404);
  });

  it.each(["../escape.txt", "a/../../escape.txt", "/absolute.txt", "a//b.txt", "./here.txt", "a/./b.txt", "nul\u0000.txt", "bell\u0007.txt", "back\\slash.txt", "x".repeat(1025)])(
    "refuses the key %j and writes nothing outside the storage root",
    async (key) => {
      const before = filesOnDisk();
      const res = await upload({ bucket: "avatars", key }, { bytes: "payload", name: "f.txt", type: "text/plain" });
      expect(res.status).toBe(422);
      expect(res.body.error.details).toMatchObject({ field: "key" });
      expect(filesOnDisk()).toEqual(before);
    },
  );

  it.each(["..%2F..%2Fetc%2Fpasswd", "avatars/..%2F..%2Fescape", "avatars/%2e%2e/escape", "avatars/a%00b", "avatars/%2Fabs"])("refuses the path %s on raw upload and download", async (pathPart) => {
    const before = filesOnDisk();
    const put = await fetch(`${server.url}${base()}/objects/${pathPart}`, { method: "PUT", headers: { authorization: `Bearer ${owner.token}` }, body: "x" });
    expect(put.status).toBe(400);
    expect((await download(pathPart)).status).toBe(400);
    expect(filesOnDisk()).toEqual(before);
  });

  it("takes an object key with its slashes percent-encoded, as generated clients send a path parameter", async () => {
    const put = await fetch(`${server.url}${base()}/objects/${encodeURIComponent("avatars/deep/dir/note.txt")}`, { method: "PUT", headers: { authorization: `Bearer ${owner.token}`, "content-type": "text/plain" }, body: "encoded" });
    expect(put.status).toBe(201);
    expect(((await put.json()) as any).key).toBe("avatars/deep/dir/note.txt");
    expect(await (await download("avatars/deep/dir/note.txt")).text()).toBe("encoded");
    expect(await (await download(encodeURIComponent("avatars/deep/dir/note.txt"))).text()).toBe("encoded");
  });

  it("answers HEAD on a download with its headers and no bytes: with a token, on a public bucket, with a URL signed for GET", async () => {
    await server.api.post(`${base()}/buckets`, { token: owner.token, body: { name: "open-heads", public: true } });
    await fetch(`${server.url}${base()}/objects/open-heads/h.txt`, { method: "PUT", headers: { authorization: `Bearer ${owner.token}`, "content-type": "text/plain" }, body: "twelve bytes" });
    const signed = await server.api.post(`${base()}/sign`, { token: owner.token, body: { key: "open-heads/h.txt", expires_in: 60 } });
    for (const head of [
      await fetch(`${server.url}${base()}/objects/open-heads/h.txt`, { method: "HEAD", headers: { authorization: `Bearer ${owner.token}` } }),
      await fetch(`${server.url}${base()}/objects/open-heads/h.txt`, { method: "HEAD" }),
      await fetch(signed.body.url as string, { method: "HEAD" }),
    ]) {
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe("12");
      expect(head.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
      expect(await head.text()).toBe("");
    }
    // Only downloads answer HEAD, as the OpenAPI document says.
    expect((await fetch(`${server.url}/projects/${projectId}`, { method: "HEAD", headers: { authorization: `Bearer ${owner.token}` } })).status).toBe(404);
  });

  it("answers a multipart upload without file, without bucket, to an unknown bucket, or not multipart at all", async () => {
    expect((await upload({ bucket: "avatars" })).body.error.details).toMatchObject({ field: "file", constraint: "required" });
    expect((await upload({}, { bytes: "x", name: "x.txt", type: "text/plain" })).body.error.details).toMatchObject({ field: "bucket", constraint: "required" });
    expect((await upload({ bucket: "nope-bucket" }, { bytes: "x", name: "x.txt", type: "text/plain" })).status).toBe(404);
    expectEnvelope(await server.api.post(`${base()}/objects`, { token: owner.token, body: { bucket: "avatars" } }), 400, "multipart_required");
  });

  it("answers a multipart form whose boundary is too long for the parser with 400, not 500", async () => {
    const boundary = "x".repeat(300);
    const form = `--${boundary}\r\nContent-Disposition: form-data; name="bucket"\r\n\r\navatars\r\n--${boundary}--\r\n`;
    const res = await server.api.post(`${base()}/objects`, { token: owner.token, raw: form, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } });
    expectEnvelope(res, 400, "malformed_multipart");
  });

  it("deletes objects, and refuses to delete a bucket with objects unless forced", async () => {
    await server.api.post(`${base()}/buckets`, { token: owner.token, body: { name: "scratch" } });
    await upload({ bucket: "scratch", key: "a.txt" }, { bytes: "a", name: "a.txt", type: "text/plain" });
    await upload({ bucket: "scratch", key: "b.txt" }, { bytes: "b", name: "b.txt", type: "text/plain" });
    expect((await server.api.delete(`${base()}/objects/scratch/a.txt`, { token: owner.token })).status).toBe(204);
    expectEnvelope(await server.api.delete(`${base()}/objects/scratch/a.txt`, { token: owner.token }), 404);
    const refused = await server.api.delete(`${base()}/buckets/scratch`, { token: owner.token });
    expectEnvelope(refused, 409, "bucket_not_empty");
    const before = filesOnDisk().length;
    expect((await server.api.delete(`${base()}/buckets/scratch?force=true`, { token: owner.token })).status).toBe(204);
    expect(filesOnDisk().length).toBe(before - 1);
    expectEnvelope(await server.api.delete(`${base()}/buckets/scratch`, { token: owner.token }), 404);
  });

  it("serves public buckets without a token, and private ones only with one", async () => {
    await server.api.post(`${base()}/buckets`, { token: owner.token, body: { name: "site", public: true } });
    await upload({ bucket: "site", key: "index.html" }, { bytes: "<h1>hi</h1>", name: "index.html", type: "text/html" });
    const open = await download("site/index.html", {}, null);
    expect(open.status).toBe(200);
    expect(open.headers.get("cache-control")).toMatch(/public/);
    expect((await download("avatars/range.bin", {}, null)).status).toBe(401);
    expect((await download("avatars/missing.bin", {}, null)).status).toBe(401);
    const put = await fetch(`${server.url}${base()}/objects/site/index.html`, { method: "PUT", body: "defaced" });
    expect(put.status).toBe(401);
    expect(await (await download("site/index.html", {}, null)).text()).toBe("<h1>hi</h1>");
  });

  it("signs URLs that work without a token until they expire, and only for their path, method and expiry", async () => {
    const signed = await server.api.post(`${base()}/sign`, { token: owner.token, body: { key: "avatars/range.bin", expires_in: 60 } });
    expect(signed.status).toBe(200);
    expect(signed.body).toMatchObject({ method: "GET", expires_at: expect.any(String) });
    const url = new URL(signed.body.url as string);
    expect(url.searchParams.get("signature")).toMatch(/^[0-9a-f]{64}$/);
    expect(await (await fetch(url)).text()).toBe("0123456789abcdef");

    const otherPath = new URL(url);
    otherPath.pathname = otherPath.pathname.replace("range.bin", "data.json");
    const later = new URL(url);
    later.searchParams.set("expires", String(Number(url.searchParams.get("expires")) + 3600));
    for (const tampered of [otherPath, later]) {
      const res = await fetch(tampered);
      expect(res.status).toBe(403);
    }
    expect((await fetch(url, { method: "PUT", body: "overwrite" })).status).toBe(403);
    const bad = new URL(url);
    bad.searchParams.set("signature", "0".repeat(64));
    expect((await fetch(bad)).status).toBe(403);

    server.advanceClock(61_000);
    try {
      const expired = await fetch(url);
      expect(expired.status).toBe(403);
      expect(((await expired.json()) as any).error.code).toBe("signature_expired");
    } finally {
      server.advanceClock(-61_000);
    }
  });

  it("signs PUT URLs for uploads, which need write permission", async () => {
    const signed = await server.api.post(`${base()}/sign`, { token: owner.token, body: { bucket: "avatars", key: "uploads/signed.txt", method: "PUT" } });
    const put = await fetch(signed.body.url as string, { method: "PUT", headers: { "content-type": "text/plain" }, body: "via signed url" });
    expect(put.status).toBe(201);
    expect(await (await download("avatars/uploads/signed.txt")).text()).toBe("via signed url");
    const reader = await createKey(server.api, owner.token, { name: "reader", permissions: ["read"] });
    expectEnvelope(await server.api.post(`${base()}/sign`, { token: reader, body: { key: "avatars/x.txt", method: "PUT" } }), 403);
    expectEnvelope(await server.api.post(`${base()}/sign`, { token: owner.token, body: { key: "avatars/not-there.txt" } }), 404);
  });

  it("removes a deleted project's objects from disk", async () => {
    const project = await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id, "Temp");
    await server.api.post(`/projects/${project.id}/storage/buckets`, { token: owner.token, body: { name: "tmp" } });
    const form = new FormData();
    form.append("bucket", "tmp");
    form.append("file", new Blob(["bytes"]), "a.txt");
    await fetch(`${server.url}/projects/${project.id}/storage/objects`, { method: "POST", headers: { authorization: `Bearer ${owner.token}` }, body: form });
    expect(filesOnDisk().some((f) => f.includes(project.id))).toBe(true);
    await server.api.delete(`/projects/${project.id}`, { token: owner.token });
    expect(filesOnDisk().some((f) => f.includes(project.id))).toBe(false);
  });
});
