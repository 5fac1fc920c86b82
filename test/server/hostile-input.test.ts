// A property-based hostile-input run (fast-check): requests generated from the contract's endpoint table, every row,
// with hostile text in every path segment (the ids and the fixed parts around valid ids), in every query parameter and
// body field, wrong types, huge and deeply nested JSON, bad multipart forms and raw uploads, and bad Range,
// If-None-Match, Idempotency-Key, Content-Type, Authorization and Host headers and unknown methods. Most requests have
// one hostile part and valid ids of a real organization, project, bucket, object, function, branch, migration,
// variable and deployment everywhere else, so they get past the checks of the other parts and reach the handlers.
// Every answer must come (no reset, no hang), never be a 5xx, be the error envelope when it is an error, and be
// described by the OpenAPI document (checked per request, so fast-check shrinks to the request that broke it);
// afterwards the server still serves and the fixtures are still there.
//
// No 5xx is allowed at all, not even the 503 the document lists: requests go one at a time, so the server is never at
// its limits, no database is restarting, and the function invoked here cannot fail. A 5xx is therefore a bug.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANY_METHODS, ErrorBody, servedEndpoints, type Endpoint } from "../../contract";
import { describeEachEngine } from "../support/engines";
import { Big, HOSTILE_TOKENS, headerSafe, hostileHeaderText, hostileJson, hostileString, hostileUrlText, multipartContentType, oversizeHeader, send, type Answer, type BodySpec, type HostileRequest, type Json, type MultipartSpec, type PartSpec } from "../support/hostile";
import { createKey, createOrg, createProject, signUp, startTestServer, type ApiResponse, type TestServer } from "../support/server";

const SEED = Number(process.env["HOSTILE_SEED"] ?? 20261214);
/** HOSTILE_RUNS=10 runs ten times as many requests per row, for a longer hunt. */
const SCALE = Number(process.env["HOSTILE_RUNS"] ?? 1);
console.info(`[hostile-input] fast-check seed ${SEED} (the n-th row runs with seed ${SEED} + n; set HOSTILE_SEED to try another, HOSTILE_RUNS to multiply the runs)`);

const ANSWER_TIMEOUT_MS = 20_000;
const MAX_OBJECT_BYTES = 64 * 1024;
const FUNCTION_SOURCE = "export default async () => new Response('ok');";
const OBJECT_BYTES = "hello fixture";
const MIGRATION_SQL = "CREATE TABLE IF NOT EXISTS hostile_m (id int)";
/** Requests per row: the upload rows and the download carry the multipart, raw-body and Range cases, so they get more. */
const RUNS: Record<string, number> = { uploadObject: 150, putObject: 100, downloadObject: 100 };
const DEFAULT_RUNS = 15;

const ROWS = servedEndpoints({ dev: true, faults: false });

/**
 * The ids a generated request may use. DELETE rows and logout get a decoy world of their own: a valid one may succeed
 * there, without taking away what the other rows need.
 */
interface World {
  tokens: string[];
  /** A session of its own for logout to end. */
  doomedSession: string;
  email: string;
  password: string;
  org: string;
  project: string;
  member: string;
  apiKeyId: string;
  bucket: string;
  /** `<bucket>/<key>` of an object. */
  object: string;
  envKey: string;
  fnSlug: string;
  /** A deployed function that nothing else changes, so an invocation can only succeed or be refused. */
  invokeSlug: string;
  branch: string;
  migration: string;
  table: string;
  deployment: string;
}

function worldFor(row: Endpoint, main: World, decoy: World): World {
  if (row.operationId === "logout") return { ...decoy, tokens: [decoy.doomedSession] };
  return row.method === "DELETE" ? decoy : main;
}

/** The valid value of a path parameter. A new parameter in the contract fails here until it gets one. */
function validParam(row: Endpoint, name: string, world: World): string {
  switch (name) {
    case "id": return row.path.startsWith("/api-keys") ? world.apiKeyId : row.path.startsWith("/organizations") ? world.org : world.project;
    case "memberId": return world.member;
    case "name": return row.path.includes("/buckets/") ? world.bucket : world.migration;
    case "key": return row.wildcard === "key" ? world.object : world.envKey;
    case "slug": return row.operationId === "invokeFunction" ? world.invokeSlug : world.fnSlug;
    case "branch": return world.branch;
    case "table": return world.table;
    case "deployId": return world.deployment;
  }
  throw new Error(`no valid value for :${name} of ${row.path}: add one to validParam`);
}

/** Valid query values by name; a query parameter without one still gets hostile values. */
function validQuery(name: string, world: World): string {
  const values: Record<string, string> = {
    limit: "5", offset: "0", branch: world.branch, bucket: world.bucket, prefix: "doc", since: "2020-01-01T00:00:00Z", environment: "production",
    force: "false", expires: "9999999999", signature: "0".repeat(64), email: world.email, organization_id: world.org,
  };
  return values[name] ?? "x";
}

/** A valid body per row with a JSON body; the hostile ones are this with fields replaced. A new row fails here. */
function validBody(row: Endpoint, world: World): Record<string, Json> {
  const bodies: Record<string, Record<string, Json>> = {
    register: { email: "hostile-newcomer@example.com", password: "long enough password" },
    login: { email: world.email, password: world.password },
    refresh: { refresh_token: "lrt_not_a_token" },
    forgotPassword: { email: world.email },
    resetPassword: { token: "not-a-token", password: "long enough password" },
    verifyEmail: { token: "not-a-token" },
    createApiKey: { name: "hostile", projects: [world.project], permissions: ["read"] },
    createOrganization: { name: "Hostile org" },
    updateOrganization: { name: "Acme" },
    inviteMember: { email: "invitee@example.com", role: "developer" },
    updateMember: { role: "owner" },
    acceptInvitation: { token: "not-a-token" },
    createProject: { name: "Hostile new", organization_id: world.org, slug: "hostile-new" },
    updateProject: { name: "Web" },
    executeQuery: { query: "SELECT $1::text AS v", params: ["x"], branch: "main" },
    createBranch: { name: "hostile-new-branch", parent: "main" },
    runMigration: { name: world.migration, sql: MIGRATION_SQL },
    revertMigration: { sql: "SELECT 1", branch: "main" },
    setEnvVar: { key: world.envKey, value: "v" },
    createBucket: { name: world.bucket },
    updateBucket: { public: false },
    createSignedUrl: { bucket: world.bucket, key: world.object.split("/").slice(1).join("/") },
    createFunction: { slug: world.fnSlug, source: FUNCTION_SOURCE },
    updateFunction: { name: "Hostile" },
    createDeployment: { environment: "preview" },
  };
  const body = bodies[row.operationId];
  if (!body) throw new Error(`no valid body for ${row.operationId}: add one to validBody`);
  return body;
}
/** The field names of an object schema (a refined object keeps its shape). */
const fieldsOf = (schema: unknown): string[] => Object.keys((schema as { shape?: Record<string, unknown> } | undefined)?.shape ?? {});

/** Present one time in `n`, else left out (what shrinking goes to). */
const oneIn = <T>(n: number, arb: fc.Arbitrary<T>) => fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
/** The valid value `weight` times in `weight + 1`, else a hostile one. */
const mostly = <T>(valid: T, hostile: fc.Arbitrary<T>, weight = 3) => fc.oneof({ weight, arbitrary: fc.constant(valid) }, { weight: 1, arbitrary: hostile });

// --- Paths: the row's segments (an object's key split into its own), each valid or hostile.

function segmentsOf(row: Endpoint, world: World): string[] {
  return row.path.split("/").slice(1).flatMap((segment) => (segment.startsWith(":") ? validParam(row, segment.slice(1), world).split("/") : [segment]));
}

const validPath = (row: Endpoint, world: World) => `/${segmentsOf(row, world).join("/")}`;

/** What a router may read as structure rather than text: nothing, dot segments, a query or fragment, slashes. */
const PATH_STRUCTURE = ["", ".", "..", "%2e%2e", "%2E.", "#", "#x", "?", "?x", "%23", "%3F", "%2F", "/", "//", "%00", ";", "*", "\\"];

function hostilePath(row: Endpoint, world: World): fc.Arbitrary<string> {
  const segments = segmentsOf(row, world);
  const hostile = fc.tuple(...segments.map((segment) => hostileUrlText(segment)));
  const join = (parts: string[]) => `/${parts.join("/")}`;
  return fc.oneof(
    // One hostile segment among valid ones.
    { weight: 3, arbitrary: fc.tuple(fc.nat(segments.length - 1), hostile).map(([at, bad]) => join(segments.map((s, i) => (i === at ? bad[i] ?? s : s)))) },
    // One segment replaced by structure, or followed by it (`<project id>#/env/KEY` names the project to a router).
    { weight: 2, arbitrary: fc.tuple(fc.nat(segments.length - 1), fc.constantFrom(...PATH_STRUCTURE), fc.boolean()).map(([at, token, after]) => join(segments.map((s, i) => (i === at ? (after ? s + token : token) : s)))) },
    // Any mix.
    { weight: 1, arbitrary: fc.tuple(hostile, fc.array(fc.boolean(), { minLength: segments.length, maxLength: segments.length })).map(([bad, which]) => join(segments.map((s, i) => (which[i] ? bad[i] ?? s : s)))) },
  );
}

// --- Queries: the row's parameters (from the contract), each left out, valid or hostile, and parameters it has not.

function queryOf(pairs: Array<string | undefined>): string {
  const given = pairs.filter((pair): pair is string => pair !== undefined);
  return given.length === 0 ? "" : `?${given.join("&")}`;
}

const validQueryArb = (row: Endpoint, world: World) =>
  fc.tuple(...fieldsOf(row.query).map((name) => oneIn(2, fc.constant(`${name}=${validQuery(name, world)}`)))).map(queryOf);

function hostileQuery(row: Endpoint, world: World): fc.Arbitrary<string> {
  const pairs = fieldsOf(row.query).map((name) => oneIn(2, mostly(validQuery(name, world), hostileUrlText(validQuery(name, world)), 1).map((value) => `${name}=${value}`)));
  const extra = fc.oneof(
    fc.tuple(hostileUrlText("limit"), hostileUrlText("1")).map(([name, value]) => `${name}=${value}`),
    fc.constantFrom("limit=1&limit=2", "__proto__[x]=1", "constructor[prototype][x]=1", "limit[]=1", "&&", "=", "?", "limit", "%"),
  );
  return fc.tuple(fc.tuple(...pairs), fc.array(extra, { maxLength: 2 })).map(([named, extras]) => queryOf([...named, ...extras]));
}

// --- Bodies.

const MALFORMED_JSON = [
  '{"name": "x",', "{", "[", '{"a":1}{"b":2}', '{"name":"x","name":"y"}', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}',
  "\ufeff{}", "1e999999", '{"name":"\\ud800"}', '{"name":"\\u0000"}', "", " ", "null", "'single'", "{'a':1}", '{"a":NaN}', '{"a":Infinity}', '{"a":01}', '{"a":"\\x41"}',
];

/** The row's valid body with fields replaced by wrong values (or one more), or any JSON, or text that is not JSON. */
function hostileJsonBody(row: Endpoint, world: World): fc.Arbitrary<BodySpec> {
  const base = validBody(row, world);
  const replaced = fc.record(Object.fromEntries(fieldsOf(row.body).map((name) => [name, hostileJson])), { requiredKeys: [] }) as fc.Arbitrary<Record<string, Json>>;
  const unknown = oneIn(4, fc.tuple(hostileString, hostileJson));
  const mutated = fc.tuple(replaced, unknown).map(([fields, extra]): BodySpec => ({ json: { ...base, ...fields, ...(extra ? Object.fromEntries([extra]) : {}) } }));
  const baseText = JSON.stringify(base);
  return fc.oneof(
    { weight: 6, arbitrary: mutated },
    { weight: 1, arbitrary: hostileJson.map((json): BodySpec => ({ json })) },
    { weight: 1, arbitrary: fc.constantFrom(...MALFORMED_JSON).map((text): BodySpec => ({ text })) },
    { weight: 1, arbitrary: fc.nat(baseText.length - 1).map((cut): BodySpec => ({ text: baseText.slice(0, cut) })) },
    { weight: 1, arbitrary: fc.constantFrom("\xff\xfe{\x00}", '{"name":"\xc3"}', "\xc0\xaf").map((latin1): BodySpec => ({ latin1 })) },
  );
}

/** Something sent to a row that takes no body. */
const strayBody: fc.Arbitrary<BodySpec> = fc.oneof(
  hostileJson.map((json): BodySpec => ({ json })),
  fc.constantFrom(...MALFORMED_JSON).map((text): BodySpec => ({ text })),
);

const rawBytes: fc.Arbitrary<BodySpec> = fc.oneof(
  fc.string({ unit: "binary-ascii", maxLength: 64 }).map((latin1): BodySpec => ({ latin1 })),
  hostileString.map((text): BodySpec => ({ text })),
  fc.constantFrom(new Big("text", 70_000)).map((big): BodySpec => ({ big })),
);

const VALID_FORM_PARTS = (world: World): PartSpec[] => [
  { name: "bucket", value: world.bucket },
  { name: "key", value: "up/hostile.txt" },
  { name: "file", filename: "a.txt", contentType: "text/plain", value: "hello" },
];
const validForm = (world: World): MultipartSpec => ({ boundary: "hostile-boundary-0123", announced: "same", parts: VALID_FORM_PARTS(world), ending: "closed", preamble: "" });

/** The upload form with its parts' names, values, file names and types, boundary, order or ending gone wrong. */
function hostileForm(world: World): fc.Arbitrary<MultipartSpec> {
  const text = (valid: string) => fc.oneof({ weight: 4, arbitrary: fc.constant<string | Big>(valid) }, { weight: 2, arbitrary: hostileString }, { weight: 1, arbitrary: fc.constantFrom(new Big("text", 5_000), new Big("text", 70_000)) });
  const name = (valid: string) => mostly(valid, hostileString, 6);
  const field = (valid: string, value: string) => fc.record({ name: name(valid), value: text(value) });
  const file = fc.record({
    name: name("file"),
    filename: mostly<string | undefined>("a.txt", fc.oneof(hostileString, fc.constant(undefined)), 4),
    contentType: mostly<string | undefined>("text/plain", fc.oneof(hostileString, fc.constant(undefined)), 2),
    value: text("hello"),
  });
  const extras = fc.array(fc.oneof(field("note", "x"), file), { maxLength: 12 });
  const parts = fc.tuple(field("bucket", world.bucket), field("key", "up/hostile.txt"), file, extras).chain(([bucket, key, fileParts, more]) => {
    const all: PartSpec[] = [bucket, key, fileParts, ...more];
    return fc.oneof({ weight: 3, arbitrary: fc.constant(all) }, { weight: 1, arbitrary: fc.shuffledSubarray(all) });
  });
  return fc.record({
    boundary: mostly("hostile-boundary-0123", fc.oneof(fc.constantFrom("", "x".repeat(71), "a b", '"', "--", "é"), hostileString), 6),
    announced: fc.constantFrom<MultipartSpec["announced"]>("same", "same", "same", "same", "quoted", "none", "other"),
    parts,
    ending: fc.oneof({ weight: 6, arbitrary: fc.constant<MultipartSpec["ending"]>("closed") }, { weight: 1, arbitrary: fc.constant<MultipartSpec["ending"]>("unclosed") }, { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((cutAt) => ({ cutAt })) }),
    preamble: mostly("", hostileString, 6),
  });
}

/** The body a row takes, valid: its base JSON, the upload form, a few bytes, or none. */
function validBodyArb(row: Endpoint, world: World): fc.Arbitrary<BodySpec | undefined> {
  if (row.rawBody?.media === "multipart") return fc.constant({ multipart: validForm(world) });
  if (row.rawBody) return oneIn(2, fc.constant<BodySpec>({ text: "some bytes" }));
  if (row.body) return fc.constant({ json: validBody(row, world) });
  return fc.constant(undefined);
}

function hostileBody(row: Endpoint, world: World): fc.Arbitrary<BodySpec | undefined> {
  if (row.rawBody?.media === "multipart") return fc.oneof({ weight: 8, arbitrary: hostileForm(world).map((multipart): BodySpec => ({ multipart })) }, { weight: 1, arbitrary: rawBytes });
  if (row.rawBody) return rawBytes;
  if (row.body) return hostileJsonBody(row, world);
  return strayBody;
}

// --- Headers. `natural` is the Content-Type that goes with the body (JSON, the form's boundary, bytes, or none).

type Headers = Record<string, string | Big | [string, string] | undefined>;
const NATURAL = "natural";

function naturalContentType(body: BodySpec | undefined): string | undefined {
  if (body === undefined) return undefined;
  if ("multipart" in body) return headerSafe(multipartContentType(body.multipart));
  if ("json" in body) return "application/json";
  return "text/plain";
}

const HOSTILE_AUTHORIZATION = ["Bearer", "Bearer ", "bearer", "Basic dXNlcjpwYXNz", "Bearer a b", "Token x", "Bearer lubes_sk_", "Bearer lubes_sk_'; DROP TABLE api_keys; --", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "Bearer .."];

function hostileAuthorization(tokens: string[]): fc.Arbitrary<string | Big | undefined> {
  const valid = fc.constantFrom(...tokens).map((token) => `Bearer ${token}`);
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_AUTHORIZATION) },
    { weight: 1, arbitrary: fc.tuple(valid, hostileHeaderText).map(([v, junk]) => v + junk) },
    { weight: 1, arbitrary: hostileHeaderText.map((junk) => `Bearer ${junk}`) },
    { weight: 1, arbitrary: fc.constant(oversizeHeader("Bearer ")) },
  );
}

const digits = fc.oneof(fc.nat(40), fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String), fc.constantFrom("", "0".repeat(30), "-1", "1.5", "1e3", "0x10", "١"));
const hostileRange: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(digits, digits).map(([from, to]) => `bytes=${from}-${to}`),
  fc.constantFrom("bytes=", "bytes=-", "bytes=0-0,1-1", "bytes=5-2", "bytes=-0", "items=0-1", "bytes = 0-1", " bytes=0-1 ", "bytes=0-1-2", "bytes=--1"),
  hostileHeaderText,
).map(headerSafe);

const HOSTILE_CONTENT_TYPES = [
  "text/plain", "application/json; charset=utf-16", "application/json; charset=latin1", "application/JSON", "application/json;;;", "application/x-www-form-urlencoded",
  "multipart/form-data", "multipart/form-data; boundary=", "application/octet-stream", "*/*", "", " ", "application/json, text/plain", "application/vnd.api+json", "json",
];
const hostileContentType = fc.oneof(fc.constantFrom(...HOSTILE_CONTENT_TYPES), hostileHeaderText);

const etagOf = (bytes: string) => `"${createHash("md5").update(bytes).digest("hex")}"`;
/** Headers the contract says the row reads come often; the rest now and then. */
const declares = (row: Endpoint, name: string) => fieldsOf(row.headers).some((header) => header.toLowerCase() === name);

function validHeaders(row: Endpoint, world: World): fc.Arbitrary<Headers> {
  const ifDeclared = (name: string, arb: fc.Arbitrary<string>) => (declares(row, name) ? oneIn(2, arb) : fc.constant(undefined));
  return fc.record({
    authorization: fc.constantFrom(...world.tokens).map((token) => `Bearer ${token}`),
    "content-type": fc.constant(NATURAL),
    "idempotency-key": oneIn(2, fc.uuid()),
    "if-none-match": ifDeclared("if-none-match", fc.constantFrom("*", etagOf(OBJECT_BYTES))),
    range: ifDeclared("range", fc.constantFrom("bytes=0-3", "bytes=-4", "bytes=2-")),
  });
}

function hostileHeaders(row: Endpoint, world: World): fc.Arbitrary<Headers> {
  const often = (name: string) => (declares(row, name) ? 2 : 6);
  const etag = etagOf(OBJECT_BYTES);
  const headers = fc.record({
    // The server builds the URLs it answers from the Host header.
    host: oneIn(8, hostileHeaderText),
    authorization: hostileAuthorization(world.tokens),
    "content-type": mostly<string>(NATURAL, hostileContentType, 1),
    "idempotency-key": oneIn(2, fc.oneof(fc.constantFrom("hostile-key-1", "hostile-key-2"), fc.uuid(), hostileHeaderText, fc.constantFrom("", "x".repeat(256)))),
    "x-project-id": oneIn(4, mostly(world.project, hostileHeaderText, 1)),
    "if-none-match": oneIn(often("if-none-match"), fc.oneof(fc.constantFrom("*", etag, `W/${etag}`, `${etag}, "x"`, "", '"'), hostileHeaderText)),
    range: oneIn(often("range"), hostileRange),
  });
  // Now and then one of them twice, the second time with another value.
  const twice = oneIn(6, fc.tuple(fc.constantFrom("authorization", "content-type", "idempotency-key", "x-project-id", "if-none-match", "range"), hostileHeaderText));
  return fc.tuple(headers, twice).map(([sent, again]) => {
    const first = again ? sent[again[0]] : undefined;
    return again && typeof first === "string" && first !== NATURAL ? { ...sent, [again[0]]: [first, again[1]] } : sent;
  });
}

// --- Methods: the row's own, and ones no route has or the HTTP parser refuses.

const ownMethod = (row: Endpoint): fc.Arbitrary<string> =>
  row.anyMethod ? fc.constantFrom<string>(...ANY_METHODS) : row.head ? fc.constantFrom("GET", "HEAD") : fc.constant<string>(row.method);
const hostileMethod = fc.constantFrom("TRACE", "PROPFIND", "FOO", "PATCH", "OPTIONS", "PUT");

// --- A whole request for a row: one part hostile and the rest valid (so it reaches what checks that part), or all
// valid (the handler's own paths, with hostile ids and bodies from earlier requests in the store), or all hostile.

type Part = "method" | "path" | "query" | "body" | "headers";

function requestArb(row: Endpoint, world: World): fc.Arbitrary<HostileRequest> {
  const valid = { method: ownMethod(row), path: fc.constant(validPath(row, world)), query: validQueryArb(row, world), body: validBodyArb(row, world), headers: validHeaders(row, world) };
  const hostile = { method: hostileMethod, path: hostilePath(row, world), query: hostileQuery(row, world), body: hostileBody(row, world), headers: hostileHeaders(row, world) };
  const request = (bad: (part: Part) => boolean) =>
    fc
      .tuple(bad("method") ? hostile.method : valid.method, bad("path") ? hostile.path : valid.path, bad("query") ? hostile.query : valid.query, bad("body") ? hostile.body : valid.body, bad("headers") ? hostile.headers : valid.headers)
      .map(([method, path, query, body, headers]): HostileRequest => {
        const contentType = headers["content-type"] === NATURAL ? naturalContentType(body) : headers["content-type"];
        const sent = Object.entries({ ...headers, "content-type": contentType }).filter((entry): entry is [string, NonNullable<Headers[string]>] => entry[1] !== undefined);
        return { method, path: path + query, headers: Object.fromEntries(sent), body };
      });
  const takesBody = row.body !== undefined || row.rawBody !== undefined;
  return fc.oneof(
    { weight: 2, arbitrary: request(() => false) },
    { weight: 1, arbitrary: request((part) => part === "method") },
    { weight: 3, arbitrary: request((part) => part === "path") },
    { weight: 2, arbitrary: request((part) => part === "query") },
    { weight: takesBody ? 5 : 1, arbitrary: request((part) => part === "body") },
    { weight: 3, arbitrary: request((part) => part === "headers") },
    { weight: 1, arbitrary: request(() => true) },
  );
}

// --- What every answer must be.

const preview = (answer: Answer) => answer.body.subarray(0, 300).toString("utf8");

function expectErrorEnvelope(answer: Answer): string | undefined {
  const type = String(answer.headers["content-type"] ?? "");
  if (!type.startsWith("application/json")) return `a ${answer.status} that is not JSON (Content-Type "${type}")`;
  let body: unknown;
  try {
    body = JSON.parse(answer.body.toString("utf8"));
  } catch {
    return `a ${answer.status} whose body is not JSON`;
  }
  if (!ErrorBody.safeParse(body).success || Object.keys(body as object).length !== 1) return `a ${answer.status} outside the error envelope`;
  return undefined;
}

/** Sends the request and fails with what was wrong about the answer, if anything. */
async function expectSound(server: TestServer, request: HostileRequest, sent: { count: number }): Promise<void> {
  const findings = server.documentFindings.length;
  sent.count++;
  const answer = await send(server.url, request, ANSWER_TIMEOUT_MS);
  const problem =
    answer.status >= 500 ? `a ${answer.status}`
    : answer.status >= 400 && request.method !== "HEAD" ? expectErrorEnvelope(answer)
    : undefined;
  const undescribed = server.documentFindings.slice(findings);
  if (problem || undescribed.length > 0) {
    throw new Error(`${problem ?? "an answer the OpenAPI document does not describe"}: ${answer.status} ${preview(answer)}${undescribed.length > 0 ? `\n  document: ${undescribed.join("\n  document: ")}` : ""}`);
  }
}

// --- Fixtures.

function must<T = any>(res: ApiResponse<T>, status: number, what: string): T {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text}`);
  return res.body;
}

/** An organization, a project and one of everything in it, made through the API as a user would. */
async function buildWorld(server: TestServer, label: string): Promise<World> {
  const { api } = server;
  const user = await signUp(api, label);
  const org = await createOrg(api, user.token, { name: `${label} org` });
  const project = await createProject(api, user.token, org.id, `${label} project`);
  const token = user.token;
  const p = `/projects/${project.id}`;
  const apiKey = await createKey(api, token, { name: `${label} key`, permissions: ["admin"] });
  const doomedKey = must(await api.post("/api-keys", { token, body: { name: `${label} doomed key` } }), 201, "doomed key").id as string;
  const member = must(await api.get(`/organizations/${org.id}/members`, { token }), 200, "members").data[0].id as string;
  must(await api.post(`${p}/storage/buckets`, { token, body: { name: `${label}-bkt` } }), 201, "bucket");
  must(await api.request("PUT", `${p}/storage/objects/${label}-bkt/doc.txt`, { token, raw: OBJECT_BYTES, headers: { "content-type": "text/plain" } }), 201, "object");
  must(await api.post(`${p}/env`, { token, body: { key: "HOSTILE_ENV", value: "v" } }), 201, "variable");
  for (const slug of [`${label}-fn`, `${label}-invoke`]) must(await api.post(`${p}/functions`, { token, body: { slug, source: FUNCTION_SOURCE } }), 201, "function");
  must(await api.post(`${p}/functions/${label}-invoke/deploy`, { token }), 201, "deploy");
  must(await api.post(`${p}/db/branches`, { token, body: { name: `${label}-branch` } }), 201, "branch");
  must(await api.post(`${p}/db/query`, { token, body: { query: "CREATE TABLE hostile_t (id int PRIMARY KEY, v text)" } }), 200, "table");
  must(await api.post(`${p}/db/migrations`, { token, body: { name: "hostile-m", sql: MIGRATION_SQL } }), 201, "migration");
  const deployment = must(await api.post(`${p}/deployments`, { token, body: {} }), 201, "deployment").id as string;
  const doomedSession = must(await api.post("/auth/login", { body: { email: user.email, password: user.password } }), 200, "login").access_token as string;
  return {
    tokens: [apiKey, token], doomedSession, email: user.email, password: user.password, org: org.id, project: project.id, member, apiKeyId: doomedKey,
    bucket: `${label}-bkt`, object: `${label}-bkt/doc.txt`, envKey: "HOSTILE_ENV", fnSlug: `${label}-fn`, invokeSlug: `${label}-invoke`,
    branch: `${label}-branch`, migration: "hostile-m", table: "hostile_t", deployment,
  };
}

describeEachEngine("hostile input", (engine) => {
  let server: TestServer;
  let main: World;
  let decoy: World;
  const sent = { count: 0 };
  let started = 0;
  beforeAll(async () => {
    server = await startTestServer(engine, { maxObjectBytes: MAX_OBJECT_BYTES });
    main = await buildWorld(server, "hostile");
    decoy = await buildWorld(server, "decoy");
    started = Date.now();
  });
  afterAll(async () => {
    console.info(`[hostile-input] ${engine}: ${sent.count} hostile requests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await server.close();
  });

  describe("every row of the endpoint table", () => {
    ROWS.forEach((row, index) => {
      const runs = Math.round((RUNS[row.operationId] ?? DEFAULT_RUNS) * SCALE);
      it(`${row.method} ${row.path}: ${runs} hostile requests, each answered, never a 5xx, errors in the envelope, all described`, async () => {
        const world = worldFor(row, main, decoy);
        await fc.assert(fc.asyncProperty(requestArb(row, world), (request) => expectSound(server, request, sent)), { seed: SEED + index, numRuns: runs });
      }, 300_000);
    });
  });

  it("still serves normally afterwards, and the fixtures are all there", async () => {
    const { api } = server;
    expect(must(await api.get("/health"), 200, "health")).toMatchObject({ status: "ok" });
    const [key, session] = main.tokens;
    expect(must(await api.get("/auth/me", { token: session }), 200, "me").email).toBe(main.email);
    const p = `/projects/${main.project}`;
    must(await api.get(`/organizations/${main.org}`, { token: key }), 200, "organization");
    must(await api.get(p, { token: key }), 200, "project");
    must(await api.get(`${p}/storage/buckets/${main.bucket}`, { token: key }), 200, "bucket");
    must(await api.get(`${p}/functions/${main.fnSlug}`, { token: key }), 200, "function");
    must(await api.get(`${p}/db/branches/${main.branch}`, { token: key }), 200, "branch");
    must(await api.get(`${p}/env/${main.envKey}`, { token: key }), 200, "variable");
    must(await api.get(`${p}/deployments/${main.deployment}`, { token: key }), 200, "deployment");
    must(await api.get(`${p}/db/tables/${main.table}`, { token: key }), 200, "table");
    // The object may have been overwritten by a valid PUT; its bytes must still agree with its ETag.
    const download = await fetch(`${server.url}${p}/storage/objects/${main.object}`, { headers: { authorization: `Bearer ${key}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get("etag")).toBe(`"${createHash("md5").update(Buffer.from(await download.arrayBuffer())).digest("hex")}"`);
    const invoked = await api.request("POST", `${p}/functions/${main.invokeSlug}/invoke`, { token: key });
    expect([invoked.status, invoked.text]).toEqual([200, "ok"]);
  });
});

// The generators themselves: every row gets valid values, and the hostile pool holds what the brief names.
it("has valid values for every row's parameters and body, and the metacharacters asked for", () => {
  const world = { tokens: ["t"], doomedSession: "s", email: "e@example.com", password: "p", org: "o", project: "p", member: "m", apiKeyId: "k", bucket: "b", object: "b/k", envKey: "E", fnSlug: "f", invokeSlug: "i", branch: "br", migration: "mi", table: "t", deployment: "d" };
  for (const row of ROWS) {
    for (const param of row.path.match(/:\w+/g) ?? []) expect(validParam(row, param.slice(1), world)).not.toBe("");
    if (row.body) expect(row.body.safeParse(validBody(row, { ...world, org: "org_x", project: "proj_x", bucket: "bkt", object: "bkt/doc.txt", envKey: "HOSTILE_ENV", fnSlug: "fn", migration: "m" })).success, row.operationId).toBe(true);
  }
  for (const token of ["'", '"', ";", "--", "../", "%2e%2e", "%00", "/", "\\", "?", "#", "*", "\u0000", "\ud800", "\u202e", "🚀"]) expect(HOSTILE_TOKENS).toContain(token);
});
