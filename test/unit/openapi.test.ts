// The OpenAPI document as a client generator reads it: valid under Redocly's recommended rules, and saying what the
// server does where a typed client depends on it (uploads, downloads, headers, list parameters, any-method invoke).
// That every response of the server suites matches it is checked as they run (test/support/openapi-check.ts).
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { describe, expect, it } from "vitest";
import { endpoints } from "../../contract";
import { buildOpenApiDocument } from "../../server/openapi";

type Node = Record<string, any>;
const doc: Node = buildOpenApiDocument(endpoints, "/v1");
const resolve = (node: Node): Node => (typeof node["$ref"] === "string" ? node["$ref"].slice(2).split("/").reduce((at: Node, key) => at[key], doc) : node);

describe("the OpenAPI document", () => {
  it("passes Redocly's recommended rules without an error or a warning", async () => {
    const config = await createConfig({ extends: ["recommended"] });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: "/openapi.json", config });
    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ""}`)).toEqual([]);
  });

  it("describes every row, and invoke under every method it answers", () => {
    const operations = Object.values(doc["paths"] as Node).flatMap((item) => Object.values(item as Node).map((op) => (op as Node)["operationId"]));
    for (const row of endpoints) expect(operations).toContain(row.operationId);
    const invoke = doc["paths"]["/projects/{id}/functions/{slug}/invoke"];
    expect(Object.keys(invoke).sort()).toEqual(["delete", "get", "options", "patch", "post", "put"]);
    expect(Object.keys(invoke.get.responses)).toEqual(expect.arrayContaining(["200", "502", "504", "default"]));
  });

  it("names the headers every response carries, and Retry-After on 429", () => {
    for (const [path, item] of Object.entries(doc["paths"] as Node)) {
      for (const [method, op] of Object.entries(item as Node)) {
        for (const [status, response] of Object.entries((op as Node)["responses"] as Node)) {
          const headers = resolve(response as Node)["headers"] ?? {};
          expect(Object.keys(headers), `${method} ${path} ${status}`).toEqual(expect.arrayContaining(["X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]));
          if (status === "429") expect(headers["Retry-After"].required).toBe(true);
        }
      }
    }
  });

  it("gives uploads a request body and downloads their bytes, ranges and conditional answers", () => {
    const objects = doc["paths"]["/projects/{id}/storage/objects"];
    const form = resolve(objects.post.requestBody.content["multipart/form-data"].schema);
    expect(form["required"]).toEqual(expect.arrayContaining(["bucket", "file"]));
    expect(form["properties"].file).toMatchObject({ type: "string", format: "binary" });
    const object = doc["paths"]["/projects/{id}/storage/objects/{key}"];
    expect(object.put.requestBody.content["*/*"]).toBeDefined();
    expect(object.get.responses["200"].content["*/*"]).toBeDefined();
    expect(Object.keys(object.get.responses)).toEqual(expect.arrayContaining(["200", "206", "304", "416"]));
    expect(object.get.parameters.map((p: Node) => p["name"])).toEqual(expect.arrayContaining(["expires", "signature", "Range", "If-None-Match"]));
    expect(object.head.responses["200"].content).toBeUndefined();
  });

  it("describes limit and offset as the integers they are, with their range and default", () => {
    const limit = doc["paths"]["/projects"].get.parameters.find((p: Node) => p["name"] === "limit");
    expect(limit.schema).toEqual({ type: "integer", minimum: 1, maximum: 100, default: 20 });
  });

  it("lists the statuses a row answers beyond the usual ones", () => {
    expect(Object.keys(doc["paths"]["/projects/{id}/env"].post.responses)).toEqual(expect.arrayContaining(["200", "201", "412"]));
    expect(Object.keys(doc["paths"]["/projects/{id}/db/migrations"].post.responses)).toEqual(expect.arrayContaining(["200", "201"]));
    expect(Object.keys(doc["paths"]["/auth/login"].post.responses)).toContain("401");
    expect(Object.keys(doc["paths"]["/projects/{id}/db/branches/{branch}"].delete.responses)).toContain("409");
  });

  it("reads an invocation's every status as the API's error or the function's own answer", () => {
    const get = doc["paths"]["/projects/{id}/functions/{slug}/invoke"].get;
    for (const status of ["404", "409", "500", "502", "default"]) expect(resolve(get.responses[status])["content"]["*/*"], status).toBeDefined();
  });

  it("marks a request body required only where the server needs one", () => {
    expect(doc["paths"]["/projects"].post.requestBody.required).toBe(true);
    expect(doc["paths"]["/projects/{id}/deployments"].post.requestBody.required).toBe(false);
    expect(doc["paths"]["/projects/{id}/storage/objects/{key}"].put.requestBody.required).toBe(false);
  });

  it("names the headers only some answers carry: Content-Range on 416, no rate limit before the limiter ran (400, 500)", () => {
    const download = doc["paths"]["/projects/{id}/storage/objects/{key}"].get;
    expect(download.responses["416"].headers["Content-Range"]).toBeDefined();
    expect(resolve(download.responses["400"])["headers"]["X-RateLimit-Limit"].required).toBe(false);
    expect(resolve(download.responses["404"])["headers"]["X-RateLimit-Limit"]).toEqual({ $ref: "#/components/headers/X-RateLimit-Limit" });
  });

  it("always has details in the error envelope", () => {
    expect(doc["components"]["schemas"]["ErrorBody"].properties.error.required).toEqual(expect.arrayContaining(["code", "message", "details"]));
  });
});
