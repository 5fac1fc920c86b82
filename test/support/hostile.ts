// Hostile requests for property-based runs against a real server: a request is a small description (what fast-check
// generates, shrinks and prints), turned into bytes only when it is sent, over node:http so the path and headers go out
// exactly as written (fetch would resolve `..`, drop `#…` and re-encode the path).
import http from "node:http";
import fc from "fast-check";

/**
 * A large value kept small until it is sent, so a counterexample prints as `big(string × 1100000)` and not as a
 * megabyte: a long string, a deeply nested array or object, or a long run of text (a header, a form field).
 */
export class Big {
  constructor(
    readonly kind: "string" | "deep-array" | "deep-object" | "text",
    readonly size: number,
    readonly unit = "x",
    readonly prefix = "",
  ) {}
  [fc.toStringMethod](): string {
    return `big(${this.kind} ${JSON.stringify(this.prefix + this.unit)} × ${this.size})`;
  }
  /** As text: JSON for the JSON kinds, the bare run for `text`. */
  render(): string {
    const run = this.unit.repeat(this.size);
    if (this.kind === "string") return JSON.stringify(this.prefix + run);
    if (this.kind === "deep-array") return `${"[".repeat(this.size)}${"]".repeat(this.size)}`;
    if (this.kind === "deep-object") return `${'{"a":'.repeat(this.size)}1${"}".repeat(this.size)}`;
    return this.prefix + run;
  }
}

export type Json = null | boolean | number | string | Big | Json[] | { [key: string]: Json };

/** JSON text of a value that may hold Big leaves. */
export function jsonText(value: Json): string {
  if (value instanceof Big) return value.kind === "text" ? JSON.stringify(value.render()) : value.render();
  if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`;
  if (value !== null && typeof value === "object") return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(",")}}`;
  return JSON.stringify(value) ?? "null";
}

/** A request body: JSON (possibly huge or deep), text sent as UTF-8, or bytes written as latin1 characters. */
export type BodySpec = { json: Json } | { text: string } | { latin1: string } | { multipart: MultipartSpec } | { big: Big };

export interface HostileRequest {
  method: string;
  /** Below /v1, exactly as it goes on the request line. */
  path: string;
  /** Two values: the header is sent twice. */
  headers: Record<string, string | Big | [string, string]>;
  body?: BodySpec | undefined;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

// --- Multipart forms, built part by part so a part can be wrong in one way.

export interface PartSpec {
  name: string;
  /** Present: a file part. */
  filename?: string | undefined;
  contentType?: string | undefined;
  value: string | Big;
}

export interface MultipartSpec {
  boundary: string;
  /** The boundary the Content-Type header announces: the body's own, none, or another one. */
  announced: "same" | "none" | "other" | "quoted";
  parts: PartSpec[];
  /** How the body ends: properly, without the closing delimiter, or cut short at this fraction of its length. */
  ending: "closed" | "unclosed" | { cutAt: number };
  preamble: string;
}

function multipartBody(form: MultipartSpec): Buffer {
  const parts = form.parts.map((part) => {
    const filename = part.filename === undefined ? "" : `; filename="${part.filename}"`;
    const type = part.contentType === undefined ? "" : `Content-Type: ${part.contentType}\r\n`;
    const value = part.value instanceof Big ? part.value.render() : part.value;
    return `--${form.boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}\r\n${type}\r\n${value}\r\n`;
  });
  const text = `${form.preamble}${parts.join("")}${form.ending === "unclosed" ? "" : `--${form.boundary}--\r\n`}`;
  const bytes = Buffer.from(text, "utf8");
  return typeof form.ending === "object" ? bytes.subarray(0, Math.floor(bytes.length * form.ending.cutAt)) : bytes;
}

export function multipartContentType(form: MultipartSpec): string {
  switch (form.announced) {
    case "same": return `multipart/form-data; boundary=${form.boundary}`;
    case "quoted": return `multipart/form-data; boundary="${form.boundary}"`;
    case "other": return `multipart/form-data; boundary=${form.boundary}x`;
    case "none": return "multipart/form-data";
  }
}

export function bodyBytes(body: BodySpec | undefined): Buffer | undefined {
  if (body === undefined) return undefined;
  if ("json" in body) return Buffer.from(jsonText(body.json), "utf8");
  if ("text" in body) return Buffer.from(body.text, "utf8");
  if ("latin1" in body) return Buffer.from(body.latin1, "latin1");
  if ("big" in body) return Buffer.from(body.big.render(), "utf8");
  return multipartBody(body.multipart);
}

/**
 * Sends one request on a connection of its own and reads the whole answer. A reset, a connection closed without an
 * answer, or no answer within `timeoutMs` rejects: the property then fails with what was sent.
 */
export function send(baseUrl: string, request: HostileRequest, timeoutMs: number): Promise<Answer> {
  const url = new URL(baseUrl);
  const headers: Record<string, string | string[]> = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, value instanceof Big ? value.render() : value]));
  const body = bodyBytes(request.body);
  // node:http leaves Content-Length off a GET's body, which the server then reads as the next request: say it.
  if (body !== undefined) headers["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: request.method, path: `${url.pathname}${request.path}`, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (error) => reject(new Error(`no answer: ${error.message}`)));
    req.end(body);
  });
}

// --- Hostile values.

/** SQL, path and encoding metacharacters, and unicode that trips up code which assumes ASCII or valid UTF-16. */
export const HOSTILE_TOKENS = [
  "'", '"', ";", "--", "../", "..", "./", "%2e%2e", "%2e%2e%2f", "..%2f", "%252e%252e", "%00", "%", "%zz", "%ED%A0%80", "%FF", "%C0%AE",
  "/", "//", "\\", "?", "#", "*", "&", "=", "+", "~", "' OR '1'='1", "'; DROP TABLE projects; --", "\"; --", "*/", "$1", "\\x00",
  "\u0000", "\ud800", "\udfff", "\u202e", "\u200f", "\ufeff", "\uffff", "🚀", "👩‍👩‍👧", "e\u0301", "東京", "ﬀ", "İ",
  "", " ", "\t", "\r\n", "null", "undefined", "__proto__", "constructor", "NaN", "-1", "1e309", "0x10", "${x}", "<script>", "%s%n", "lubes_sk_",
  "x".repeat(600),
] as const;

/** One code point of any kind, lone surrogates included (fast-check's `binary` unit leaves those out). */
const anyCodePoint = fc.oneof(fc.constantFrom("\ud800", "\udc00", "\u0000", "\u202e", "\u0085"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 }));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE_TOKENS),
  fc.array(fc.constantFrom(...HOSTILE_TOKENS), { minLength: 2, maxLength: 4 }).map((tokens) => tokens.join("")),
  fc.string({ unit: anyCodePoint, maxLength: 12 }),
);

/** How a text goes into a URL: metacharacters raw, everything percent-encoded, encoded twice, or UTF-8 bytes raw. */
export type UrlEncoding = "raw" | "encoded" | "double" | "latin1";
// Raw non-ASCII bytes are refused by the HTTP parser before any route: less often, so the rest reaches the routes.
export const urlEncoding = fc.constantFrom<UrlEncoding>("raw", "encoded", "raw", "encoded", "double", "latin1");

const percent = (text: string) => [...Buffer.from(text, "utf8")].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("");

/** `text` as it is put into a path or query (node:http refuses only what is outside \x21-\xff, so those are always encoded). */
export function urlText(text: string, encoding: UrlEncoding): string {
  if (encoding === "double") return urlText(urlText(text, "encoded"), "encoded");
  return [...text]
    .map((ch) => {
      if (encoding === "encoded") return /^[A-Za-z0-9_.~-]$/.test(ch) ? ch : percent(ch);
      if (/^[\x21-\x7e]$/.test(ch)) return ch;
      return encoding === "latin1" && ch.charCodeAt(0) > 0x7f ? Buffer.from(ch, "utf8").toString("latin1") : percent(ch);
    })
    .join("");
}

/** A path segment or query value: the valid one, or a hostile text alone, before or after the valid one. */
export function hostileUrlText(valid: string): fc.Arbitrary<string> {
  return fc
    .tuple(hostileString, fc.constantFrom("alone", "before", "after"), urlEncoding)
    .map(([text, where, encoding]) => urlText(where === "alone" ? text : where === "before" ? text + valid : valid + text, encoding));
}

/** Characters node:http lets through in a header value: tab, printable ASCII and latin1 bytes (so UTF-8 goes as bytes). */
// eslint-disable-next-line no-control-regex -- the controls node:http refuses to send
export const headerSafe = (text: string) => Buffer.from(text, "utf8").toString("latin1").replace(/[\x00-\x08\x0a-\x1f\x7f]/g, "?");

export const hostileHeaderText: fc.Arbitrary<string> = fc.oneof(hostileString.map(headerSafe), fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c === 0x7f ? 0x20 : c)), maxLength: 20 }));

/** A header value above Node's 16 KiB header limit: the HTTP parser refuses it before any route runs. */
export const oversizeHeader = (prefix: string) => new Big("text", 17 * 1024, "a", prefix);

/** A JSON value of the wrong type or shape for any field: strings, extreme numbers, nesting, huge and deep values. */
export const hostileJson: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileString,
    fc.constantFrom(0, -1, -0, 1.5, 1e308, -1e308, 2 ** 53 + 1, 2 ** 31, -(2 ** 31) - 1, true, false, null),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(hostileString, tie("value"), { maxKeys: 3 }),
    // Past the body limit, past the nesting limit (100), and just inside it.
    fc.constantFrom(new Big("string", 70_000), new Big("string", 1_100_000, "é"), new Big("deep-array", 5_000), new Big("deep-array", 200_000), new Big("deep-object", 50_000), new Big("deep-array", 97), new Big("deep-object", 97)),
  ),
})).value;
