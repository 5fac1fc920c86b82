// Holds every response of a test server to the OpenAPI document it serves: its status must be one the operation
// lists, each header the document marks required must be there and each described header must match, and a JSON body
// must match its schema. A response the document does not describe is a finding; the server's `close()` fails with
// all of them, so every suite that starts a server checks the document as it runs. What the hook never sees: errors
// Fastify answers before routing (an undecodable URL, an overlong path segment) and servers started as processes.
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { API_VERSION_PREFIX, templatePath, type Endpoint } from "../../contract";
import { methodsOf } from "../../server/openapi";
import { isApiPath } from "../../server/routes/dashboard";

type Json = Record<string, unknown>;

interface Route {
  row: Endpoint;
  pattern: RegExp;
  methods: string[];
  /** Where the row's operations sit in the document (a JSON pointer). */
  pointer: string;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function routeOf(row: Endpoint): Route {
  const pattern = row.path
    .split(/(:\w+)/)
    .map((part) => (part.startsWith(":") ? (part.slice(1) === row.wildcard ? "(.+)" : "([^/]+)") : escape(part)))
    .join("");
  return { row, pattern: new RegExp(`^${escape(API_VERSION_PREFIX)}${pattern}$`), methods: methodsOf(row), pointer: `#/paths/${templatePath(row.path).replace(/~/g, "~0").replace(/\//g, "~1")}` };
}

/** A header's value as the type its schema names (headers arrive as text). */
function headerValue(value: unknown, schema: Json): unknown {
  const text = Array.isArray(value) ? value.join(", ") : String(value);
  return schema["type"] === "integer" || schema["type"] === "number" ? (/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text) : text;
}

interface Compiler {
  ajv: Ajv2020;
  validators: Map<string, ValidateFunction>;
}

/** One compiler per document, shared by every server of this process that serves it: compiling is the costly part. */
const compilers = new WeakMap<Json, Compiler>();

function compilerOf(document: Json): Compiler {
  let compiler = compilers.get(document);
  if (!compiler) {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema(document, "openapi");
    compilers.set(document, (compiler = { ajv, validators: new Map() }));
  }
  return compiler;
}

export class DocumentCheck {
  readonly findings: string[] = [];
  private readonly ajv: Ajv2020;
  private readonly validators: Map<string, ValidateFunction>;
  private readonly routes: Route[];

  constructor(private readonly document: Json, rows: readonly Endpoint[]) {
    ({ ajv: this.ajv, validators: this.validators } = compilerOf(document));
    this.routes = rows.map(routeOf);
  }

  /** Checks each response as it leaves (an onSend hook added last, so it sees what the client gets). */
  install(app: FastifyInstance): void {
    app.addHook("onSend", async (request, reply, payload) => {
      try {
        this.check(request, reply, payload);
      } catch (error) {
        this.findings.push(`${request.method} ${request.url}: the check itself failed: ${String(error)}`);
      }
      return payload;
    });
  }

  /** Fails with every response the document did not describe. */
  assertDescribed(): void {
    if (this.findings.length === 0) return;
    const distinct = [...new Set(this.findings)];
    throw new Error(`${distinct.length} response(s) the OpenAPI document does not describe:\n${distinct.slice(0, 40).join("\n")}`);
  }

  private check(request: FastifyRequest, reply: FastifyReply, payload: unknown): void {
    // The path as the router reads it: up to a query or a fragment.
    const path = request.url.split(/[?#]/)[0] ?? "";
    // The dashboard's page and files are served beside the API, not described by its document.
    if (!isApiPath(path)) return;
    const status = reply.statusCode;
    const where = `${request.method} ${path} → ${status}`;
    const method = request.method.toLowerCase();
    const route = this.routes.find((candidate) => candidate.pattern.test(path) && candidate.methods.includes(method));
    if (!route) {
      // No operation: "no such route" (404), or the rate limit it counted against (429), in the error envelope.
      if (status !== 404 && status !== 429) this.findings.push(`${where}: no operation in the document, yet answered ${status}`);
      else this.checkBody(where, "#/components/schemas/ErrorBody", payload);
      return;
    }
    const pointer = `${route.pointer}/${method}`;
    const operation = this.resolve(pointer) as { responses: Record<string, Json> };
    const key = operation.responses[String(status)] ? String(status) : operation.responses["default"] ? "default" : undefined;
    if (!key) return void this.findings.push(`${where}: status not listed (it lists ${Object.keys(operation.responses).join(", ")})`);
    let responsePointer = `${pointer}/responses/${key}`;
    const ref = operation.responses[key]?.["$ref"];
    if (typeof ref === "string") responsePointer = ref;
    const response = this.resolve(responsePointer);
    this.checkHeaders(where, response, reply);
    this.checkContent(where, responsePointer, response, reply, payload, method);
  }

  private checkHeaders(where: string, response: Json, reply: FastifyReply): void {
    for (const [name, declared] of Object.entries((response["headers"] ?? {}) as Record<string, Json>)) {
      const headerObject = typeof declared["$ref"] === "string" ? this.resolve(declared["$ref"]) : declared;
      const value = reply.getHeader(name);
      if (value === undefined) {
        if (headerObject["required"] === true) this.findings.push(`${where}: required header ${name} missing`);
        continue;
      }
      const schema = (headerObject["schema"] ?? {}) as Json;
      const validate = this.validator(JSON.stringify(schema), () => schema);
      if (!validate(headerValue(value, schema))) this.findings.push(`${where}: header ${name}: ${JSON.stringify(value)} ${this.ajv.errorsText(validate.errors)}`);
    }
  }

  private checkContent(where: string, responsePointer: string, response: Json, reply: FastifyReply, payload: unknown, method: string): void {
    // HEAD is answered without the body the handler gave.
    if (method === "head") return;
    const content = response["content"] as Record<string, Json> | undefined;
    const empty = payload === undefined || payload === null || payload === "" || (Buffer.isBuffer(payload) && payload.length === 0);
    if (!content) {
      if (!empty) this.findings.push(`${where}: a body where the document declares none`);
      return;
    }
    const type = String(reply.getHeader("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (content["*/*"]) return;
    if (!content[type]) return void this.findings.push(`${where}: Content-Type "${type}" where the document declares ${Object.keys(content).join(", ")}`);
    if (type !== "application/json") return;
    if (empty) return void this.findings.push(`${where}: no body where the document declares JSON`);
    this.checkBody(where, `${responsePointer}/content/application~1json/schema`, payload);
  }

  private checkBody(where: string, schemaPointer: string, payload: unknown): void {
    // JSON leaves as a string or a Buffer, never a stream.
    const text = typeof payload === "string" ? payload : Buffer.isBuffer(payload) ? payload.toString("utf8") : undefined;
    if (text === undefined) return void this.findings.push(`${where}: a JSON body sent as a stream`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return void this.findings.push(`${where}: the body is not JSON`);
    }
    const validate = this.validator(schemaPointer, () => ({ $ref: `openapi${schemaPointer}` }));
    if (!validate(body)) this.findings.push(`${where}: body ${this.ajv.errorsText(validate.errors)}: ${text.slice(0, 300)}`);
  }

  private validator(key: string, schema: () => Json): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema());
      this.validators.set(key, validate);
    }
    return validate;
  }

  private resolve(pointer: string): Json {
    let node: unknown = this.document;
    for (const part of pointer.replace(/^#\//, "").split("/")) {
      node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    if (node === undefined) throw new Error(`nothing at ${pointer}`);
    return node as Json;
  }
}
