// Bad input never gets a 500: malformed JSON, wrong types, missing and unknown fields, oversize bodies, unicode,
// very long names and bad list parameters all answer a 4xx in the seed's envelope.
import net from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { endpoints, type Organization } from "../../contract";
import { describeEachEngine } from "../support/engines";
import { send, type HostileRequest } from "../support/hostile";
import { createOrg, createProject, expectEnvelope, signUp, startTestServer, type RequestOptions, type TestServer, type TestUser } from "../support/server";

describeEachEngine("bad input", (engine) => {
  let server: TestServer;
  let owner: TestUser;
  let paths: Map<string, string>;
  let org: Organization;
  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = await signUp(server.api, "owner");
    org = await createOrg(server.api, owner.token);
    const project = await createProject(server.api, owner.token, org.id);
    const member = (await server.api.get(`/organizations/${org.id}/members`, { token: owner.token })).body.data[0].id as string;
    const fill = (path: string) => path.replace(":memberId", member).replace("/organizations/:id", `/organizations/${org.id}`).replace("/projects/:id", `/projects/${project.id}`).replace(":id", "key_x");
    paths = new Map(endpoints.map((e) => [e.operationId, fill(e.path)]));
  });
  afterAll(() => server.close());

  const withBody = endpoints.filter((e) => e.body);

  it.each(withBody)("$method $path: malformed JSON is a 400 envelope", async (e) => {
    const res = await server.api.request(e.method, paths.get(e.operationId) ?? "", { token: owner.token, raw: '{"name": "x",', headers: { "content-type": "application/json" } });
    expectEnvelope(res, 400, "malformed_json");
  });

  it.each(withBody)("$method $path: wrong types, unknown fields and non-objects are a 4xx envelope", async (e) => {
    const path = paths.get(e.operationId) ?? "";
    for (const body of [{ name: 42, email: [], password: {}, token: 1, role: true, refresh_token: null }, { surprise: "field" }, [1, 2, 3], "just a string", 12, null]) {
      const res = await server.api.request(e.method, path, { token: owner.token, raw: JSON.stringify(body), headers: { "content-type": "application/json" } });
      expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.error.code).toEqual(expect.any(String));
    }
  });

  it("never answers 500 to random JSON bodies (seeded, 40 per endpoint)", async () => {
    let seed = 20261126;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const strings = ["", " ", "\u0000", "a\u0000b", "é", "🚀".repeat(40), "x".repeat(300), "' OR 1=1 --", "proj_x", "*", "owner", "a@b.co", "\ud800"];
    const value = (depth: number): unknown => {
      switch (Math.floor(random() * (depth > 1 ? 6 : 8))) {
        case 0: return pick(strings);
        case 1: return pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1]);
        case 2: return pick([true, false, null]);
        case 3: return "read";
        case 4: return pick(strings) + String(random());
        case 5: return Math.floor(random() * 1e9);
        case 6: return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
        default: return Object.fromEntries(Array.from({ length: Math.floor(random() * 3) }, () => [pick(["name", "x", "role"]), value(depth + 1)]));
      }
    };
    const fields = ["name", "email", "password", "token", "refresh_token", "organization_id", "slug", "plan", "role", "projects", "permissions", "expires_in"];
    for (const e of withBody) {
      for (let i = 0; i < 40; i++) {
        const body = Object.fromEntries(fields.filter(() => random() < 0.4).map((f) => [f, value(0)]));
        const res = await server.api.request(e.method, paths.get(e.operationId) ?? "", { token: owner.token, body });
        expect(res.status, `${e.method} ${e.path} ${JSON.stringify(body)} → ${res.text}`).toBeLessThan(500);
      }
    }
  });

  it("names the missing field and the unknown field with their constraint", async () => {
    const missing = await server.api.post("/projects", { token: owner.token, body: { name: "No org" } });
    expectEnvelope(missing, 422, "validation_error");
    expect(missing.body.error.details).toMatchObject({ field: "organization_id", constraint: "required" });
    const unknown = await server.api.post("/organizations", { token: owner.token, body: { name: "Org", colour: "blue" } });
    expectEnvelope(unknown, 422, "validation_error");
    expect(unknown.body.error.details).toMatchObject({ field: "colour", constraint: "unknown_field" });
    const wrongType = await server.api.post("/organizations", { token: owner.token, body: { name: 7 } });
    expect(wrongType.body.error.details).toMatchObject({ field: "name", constraint: "type" });
  });

  it("refuses an oversize body with 413 in the envelope", async () => {
    const res = await server.api.post("/organizations", { token: owner.token, body: { name: "x".repeat(2 * 1024 * 1024) } });
    expectEnvelope(res, 413, "payload_too_large");
  });

  it("refuses an oversize body with 413 on a DELETE too, which takes none (the document lists it)", async () => {
    const res = await server.api.delete(`/organizations/org_doesnotexist`, { token: owner.token, body: { x: "x".repeat(2 * 1024 * 1024) } });
    expectEnvelope(res, 413, "payload_too_large");
    const document = (await server.api.get("/openapi.json")).body;
    expect(Object.keys(document.paths["/organizations/{id}"].delete.responses)).toContain("413");
  });

  it("refuses JSON nested deeper than 100 levels with 400, also where the body is only hashed for its Idempotency-Key", async () => {
    const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
    const project = paths.get("getProject") ?? "";
    const deep = [
      // No body is read here, but an Idempotency-Key hashes it: recursively, so this was a 500.
      { path: `${project}/functions/nope/deploy`, raw: nested(5000), headers: { "idempotency-key": "deep-1" } },
      // Parameters are serialised for the database: also recursively, so this was a 500 too.
      { path: `${project}/db/query`, raw: `{"query":"SELECT $1::jsonb AS v","params":[${nested(5000)}]}`, headers: {} },
    ];
    for (const { path, raw, headers } of deep) {
      const res = await server.api.post(path, { token: owner.token, raw, headers: { "content-type": "application/json", ...headers } });
      expectEnvelope(res, 400, "json_too_deep");
    }
    // 100 levels are fine (the body's object and the params array are two of them), and brackets in strings do not count.
    const fine = await server.api.post(`${project}/db/query`, { token: owner.token, raw: `{"query":"SELECT $1::jsonb AS v, $2::text AS s","params":[${nested(98)},"${"[".repeat(200)}"]}`, headers: { "content-type": "application/json" } });
    expect(fine.status, fine.text).toBe(200);
    expect(fine.body.rows[0].s).toBe("[".repeat(200));
  });

  it("refuses a Host header that is not a host (the URLs it answers are built from it), and takes names, addresses and ports", async () => {
    const project = paths.get("getProject") ?? "";
    const auth = { authorization: `Bearer ${owner.token}` };
    // The hostile run's case: a function was invoked with the URL http://?/v1/…, which it could not parse (502, in its logs).
    for (const host of ["?", "a/b", "user@host", "exa mple.com", "é.example"]) {
      const answer = await send(server.url, { method: "GET", path: `${project}/functions/nope/invoke`, headers: { ...auth, host: Buffer.from(host).toString("latin1") } }, 10_000);
      expect([host, answer.status, JSON.parse(answer.body.toString("utf8")).error.code]).toEqual([host, 400, "bad_host"]);
    }
    for (const host of ["localhost", "api.example.com:8443", "127.0.0.1:80", "[::1]:8787", "lubes_internal"]) {
      const answer = await send(server.url, { method: "GET", path: "/health", headers: { host } }, 10_000);
      expect([host, answer.status]).toEqual([host, 200]);
    }
  });

  it("refuses a request without a Host header in the envelope, not with Node's empty 400", async () => {
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), "127.0.0.1", () => socket.write("GET /v1/health HTTP/1.1\r\nConnection: close\r\n\r\n"));
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
    expect(JSON.parse(answer.slice(answer.indexOf("{"), answer.lastIndexOf("}") + 1))).toMatchObject({ error: { code: "missing_host" } });
  });

  it("answers a GET that carries a body in full, also to a client that closes the connection after it", async () => {
    // The body is never read; left unread, closing the connection reset it and cut the 200 KB document short.
    const answer = await send(server.url, { method: "GET", path: "/openapi.json", headers: { "content-type": "application/json" }, body: { json: { x: "x".repeat(1_000_000) } } }, 10_000);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString("utf8")).openapi).toBe("3.1.0");
  });

  it("refuses a body that is not JSON with 400, and reads an empty JSON body as no body", async () => {
    const res = await server.api.post("/organizations", { token: owner.token, raw: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expectEnvelope(res, 400, "unsupported_media_type");
    // The reference sends Content-Type: application/json on every POST: with nothing in it, the missing fields are named.
    const empty = await server.api.post("/organizations", { token: owner.token, raw: "", headers: { "content-type": "application/json" } });
    expectEnvelope(empty, 422, "validation_error");
    expect(empty.body.error.details).toMatchObject({ field: "name", constraint: "required" });
  });

  it("answers every error with details, {} when there is nothing to add", async () => {
    for (const res of [
      await server.api.get("/projects"),
      await server.api.get("/projects", { token: "not-a-token" }),
      await server.api.post("/auth/login", { body: { email: owner.email, password: "wrong password" } }),
      await server.api.get("/no/such/route", { token: owner.token }),
      await server.api.post("/organizations", { token: owner.token, raw: "{", headers: { "content-type": "application/json" } }),
    ]) {
      expect(res.status, res.text).toBeGreaterThanOrEqual(400);
      expect(res.body.error.details, res.text).toEqual(expect.any(Object));
    }
  });

  it("accepts unicode names and refuses very long names and control characters", async () => {
    const unicode = await server.api.post("/organizations", { token: owner.token, body: { name: "Zürich 🚀 東京" } });
    expect(unicode.status).toBe(201);
    expect(unicode.body.name).toBe("Zürich 🚀 東京");
    const long = await server.api.post("/organizations", { token: owner.token, body: { name: "n".repeat(65) } });
    expect(long.body.error.details).toMatchObject({ field: "name", constraint: "max_length" });
    const control = await server.api.post("/organizations", { token: owner.token, body: { name: "bad\u0000name" } });
    expectEnvelope(control, 422);
    const blank = await server.api.post("/organizations", { token: owner.token, body: { name: "   " } });
    expect(blank.body.error.details).toMatchObject({ field: "name", constraint: "min_length" });
    const longEmail = await server.api.post("/auth/register", { body: { email: `${"a".repeat(300)}@example.com`, password: "long enough" } });
    expectEnvelope(longEmail, 422);
  });

  it.each(["limit=0", "limit=101", "limit=-1", "limit=1.5", "limit=ten", "offset=-1", "offset=x", "limit=1&limit=2"])(
    "a bad list parameter (%s) is a 400 envelope naming it",
    async (query) => {
      const res = await server.api.get(`/projects?${query}`, { token: owner.token });
      expectEnvelope(res, 400, "invalid_parameter");
      expect(res.body.error.details.field).toMatch(/^(limit|offset)$/);
    },
  );

  it("answers what Node's HTTP parser refuses in the envelope too: a raw non-ASCII byte in the URL, an unknown method, 17 KiB of headers", async () => {
    const refused: Array<[HostileRequest, number, string]> = [
      [{ method: "GET", path: "/projects?x=\xc2", headers: {} }, 400, "HPE_INVALID_URL"],
      [{ method: "FOO", path: "/health", headers: {} }, 400, "HPE_INVALID_METHOD"],
      [{ method: "GET", path: "/health", headers: { authorization: `Bearer ${"a".repeat(17 * 1024)}` } }, 431, "HPE_HEADER_OVERFLOW"],
    ];
    for (const [request, status, reason] of refused) {
      const answer = await send(server.url, request, 10_000);
      expect(answer.status).toBe(status);
      expect(JSON.parse(answer.body.toString("utf8"))).toEqual({ error: { code: expect.any(String), message: expect.any(String), details: { reason } } });
      if (request.method === "FOO") continue;
      // The same refused as HEAD: the status alone, no body for the client to misread.
      const head = await send(server.url, { ...request, method: "HEAD" }, 10_000);
      expect([head.status, head.body.length]).toEqual([status, 0]);
    }
  });

  it("answers a route that does not exist with 404 whatever its body: malformed, of another type, or too large", async () => {
    const sent: RequestOptions[] = [
      { raw: '{"name": "x",', headers: { "content-type": "application/json" } },
      { raw: "x", headers: { "content-type": "" } },
      { raw: "x", headers: { "content-type": "text/plain" } },
      { body: { name: "x".repeat(2 * 1024 * 1024) } },
    ];
    for (const options of sent) {
      for (const path of ["/auth/nothing", `/projects/${"x".repeat(8)}/nothing`]) expectEnvelope(await server.api.post(path, { token: owner.token, ...options }), 404, "route_not_found");
    }
  });

  it("answers an empty segment where an id goes as no route (404), with or without a token", async () => {
    const project = paths.get("getProject") ?? "";
    for (const token of [owner.token, undefined]) {
      expectEnvelope(await server.api.get("/organizations/", { token }), 404, "route_not_found");
      expectEnvelope(await server.api.patch("/organizations/", { token, body: { name: "Acme" } }), 404, "route_not_found");
      expectEnvelope(await server.api.post("/projects//functions", { token, body: {} }), 404, "route_not_found");
      expectEnvelope(await server.api.get(`${project}/storage/objects/`, { token }), 404, "route_not_found");
      // Before its body is read: a Content-Type Fastify cannot parse would otherwise answer first.
      expectEnvelope(await server.api.delete(`${project}/deployments/`, { token, headers: { "content-type": "" } }), 404, "route_not_found");
    }
  });

  it("refuses a raw '#' in the URL instead of acting on the path before it", async () => {
    const doomed = await createProject(server.api, owner.token, org.id, "Not to be deleted");
    const answer = await send(server.url, { method: "DELETE", path: `/projects/${doomed.id}#/env/SOME_KEY`, headers: { authorization: `Bearer ${owner.token}` } }, 10_000);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body.toString("utf8")).error.code).toBe("bad_url");
    expect((await server.api.get(`/projects/${doomed.id}`, { token: owner.token })).status).toBe(200);
    // Percent-encoded, it is an ordinary character of a segment.
    expectEnvelope(await server.api.delete(`/projects/${doomed.id}%23/env/SOME_KEY`, { token: owner.token }), 400, "invalid_parameter");
    // Where there is no route, or an empty segment, that comes first.
    for (const path of ["/nothing#x", `/projects//functions#x`]) {
      const lost = await send(server.url, { method: "GET", path, headers: { authorization: `Bearer ${owner.token}` } }, 10_000);
      expect([lost.status, JSON.parse(lost.body.toString("utf8")).error.code]).toEqual([404, "route_not_found"]);
    }
  });

  it("answers unknown routes and ids with a 404 envelope, and ids that cannot exist with a 400", async () => {
    expectEnvelope(await server.api.get("/nothing-here", { token: owner.token }), 404, "route_not_found");
    expectEnvelope(await server.api.get("/projects/proj_doesnotexist", { token: owner.token }), 404, "not_found");
    expectEnvelope(await server.api.get("/projects/%00%27%3B%20DROP%20TABLE%20projects", { token: owner.token }), 400, "invalid_parameter");
    expectEnvelope(await server.api.get(`/projects/${"x".repeat(5000)}`, { token: owner.token }), 400, "invalid_parameter");
    expectEnvelope(await server.api.post("/api-keys", { token: owner.token, body: { name: "k", projects: ["proj\u0000x"] } }), 422);
  });
});
