// A typed client generated from the document the server serves, as a user would make one: openapi-typescript turns
// GET /v1/openapi.json into types (binary fields as Blob, its documented transform), TypeScript checks a client written
// with openapi-fetch against them (openapi-client/workflow.ts), and the client then runs the reference's workflow on
// the server. The document describing a body, a parameter or a status wrongly fails the compile or the run.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createKey, createOrg, signUp, startTestServer, type TestServer } from "./../support/server";

const CLIENT_DIR = path.join(import.meta.dirname, "openapi-client");
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer("pglite");
});
afterAll(() => server.close());

it("generates types from GET /v1/openapi.json that a natural openapi-fetch client compiles against, and the client runs the workflow", async () => {
  const document = (await server.api.get("/openapi.json")).body as Parameters<typeof openapiTS>[0];
  const ast = await openapiTS(document, { transform: (schema) => (schema.format === "binary" ? BLOB : undefined) });
  mkdirSync(path.join(CLIENT_DIR, "generated"), { recursive: true });
  writeFileSync(path.join(CLIENT_DIR, "generated", "lubes-api.ts"), astToString(ast));

  const program = ts.createProgram([path.join(CLIENT_DIR, "workflow.ts")], {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Preserve, moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts"], types: [], skipLibCheck: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true,
  });
  const errors = ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? path.basename(d.file.fileName) : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  expect(errors).toEqual([]);

  const owner = await signUp(server.api, "typed");
  const org = await createOrg(server.api, owner.token);
  const apiKey = await createKey(server.api, owner.token, { name: "typed client" });
  // Imported by its path: the type checker of the repository must not follow it to types that exist only now.
  const workflow = path.join(CLIENT_DIR, "workflow.ts");
  const { referenceWorkflow } = (await import(workflow)) as { referenceWorkflow: (baseUrl: string, apiKey: string, organizationId: string) => Promise<Record<string, unknown>> };
  const result = await referenceWorkflow(server.url, apiKey, org.id);

  expect(result).toEqual({
    projectSlug: "my-project",
    activeUsers: [expect.objectContaining({ email: "user@example.com", status: "active" })],
    uploadedKey: "avatars/docs/a.txt",
    pages: [
      { keys: ["avatars/docs/a.txt", "avatars/docs/b.txt"], total: 3, hasMore: true },
      { keys: ["avatars/docs/c.txt"], total: 3, hasMore: false },
    ],
    downloaded: "contents of a.txt",
    variableKeys: ["GREETING"],
    invocation: "hello from GET",
  });
});
