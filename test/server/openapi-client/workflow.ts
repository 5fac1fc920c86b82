// A client of the Lubes API written as a user of openapi-fetch would write it, on types openapi-typescript generated
// from GET /v1/openapi.json (./generated/lubes-api.ts, made by openapi-client.test.ts): the reference's three
// examples (create a project, execute a query, upload a file), a paged list, a signed download, a variable, and a
// function deployed and invoked. It compiles only if the document describes what it sends and reads.
import createClient from "openapi-fetch";
import type { paths } from "./generated/lubes-api";

export interface WorkflowResult {
  projectSlug: string;
  activeUsers: unknown[];
  uploadedKey: string;
  pages: { keys: string[]; total: number; hasMore: boolean }[];
  downloaded: string;
  variableKeys: string[];
  invocation: string;
}

export async function referenceWorkflow(baseUrl: string, apiKey: string, organizationId: string): Promise<WorkflowResult> {
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });
  const fail = (what: string, error: { error: { code: string; message: string } } | undefined): never => {
    throw new Error(`${what}: ${error?.error.code ?? "?"} ${error?.error.message ?? ""}`);
  };

  // Create a Project
  const { data: project, error: projectError } = await client.POST("/projects", { body: { name: "My Project", organization_id: organizationId } });
  if (!project) return fail("create project", projectError);
  const id = project.id;

  // Execute a Query (after making its table)
  await client.POST("/projects/{id}/db/query", { params: { path: { id } }, body: { query: "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, status text NOT NULL)" } });
  await client.POST("/projects/{id}/db/query", { params: { path: { id } }, body: { query: "INSERT INTO users (email, status) VALUES ($1, $2), ($3, $4)", params: ["user@example.com", "active", "old@example.com", "inactive"] } });
  const { data: result, error: queryError } = await client.POST("/projects/{id}/db/query", { params: { path: { id } }, body: { query: "SELECT * FROM users WHERE status = $1", params: ["active"] } });
  if (!result) return fail("query", queryError);

  // Upload a File (into a bucket made first), as multipart/form-data
  await client.POST("/projects/{id}/storage/buckets", { params: { path: { id } }, body: { name: "avatars" } });
  const keys: string[] = [];
  for (const name of ["a.txt", "b.txt", "c.txt"]) {
    const { data: uploaded, error: uploadError } = await client.POST("/projects/{id}/storage/objects", {
      params: { path: { id } },
      body: { bucket: "avatars", key: `docs/${name}`, file: new Blob([`contents of ${name}`], { type: "text/plain" }) },
      bodySerializer: (body) => {
        const form = new FormData();
        form.append("bucket", body.bucket);
        if (body.key) form.append("key", body.key);
        form.append("file", body.file, body.key);
        return form;
      },
    });
    if (!uploaded) return fail("upload", uploadError);
    keys.push(uploaded.key);
  }

  // A paged list: two at a time
  const pages: WorkflowResult["pages"] = [];
  for (let offset = 0; ; offset += 2) {
    const { data: page, error: listError } = await client.GET("/projects/{id}/storage/objects", { params: { path: { id }, query: { bucket: "avatars", limit: 2, offset } } });
    if (!page) return fail("list objects", listError);
    pages.push({ keys: page.data.map((object) => object.key), total: page.pagination.total, hasMore: page.pagination.has_more });
    if (!page.pagination.has_more) break;
  }

  // A signed URL, fetched without the key
  const { data: signed, error: signError } = await client.POST("/projects/{id}/storage/sign", { params: { path: { id } }, body: { key: keys[0] ?? "", expires_in: 300 } });
  if (!signed) return fail("sign", signError);
  const downloaded = await (await fetch(signed.url)).text();

  // An environment variable, and the list
  await client.POST("/projects/{id}/env", { params: { path: { id } }, body: { key: "GREETING", value: "hello", environments: ["production"] } });
  const { data: variables } = await client.GET("/projects/{id}/env", { params: { path: { id }, query: { limit: 100 } } });

  // A function: create, deploy (no body), invoke with a GET, its answer as text
  await client.POST("/projects/{id}/functions", {
    params: { path: { id } },
    body: { slug: "hello", source: "export default async (request, env) => new Response(`${env.GREETING} from ${request.method}`);" },
  });
  const { error: deployError } = await client.POST("/projects/{id}/functions/{slug}/deploy", { params: { path: { id, slug: "hello" } } });
  if (deployError) return fail("deploy", deployError);
  // The function's answer passes through whatever its status: any status but 2xx is an error here.
  const { data: invocation, response: invoked } = await client.GET("/projects/{id}/functions/{slug}/invoke", { params: { path: { id, slug: "hello" } }, parseAs: "text" });
  if (invocation === undefined) throw new Error(`invoke: ${invoked.status}`);

  return {
    projectSlug: project.slug,
    activeUsers: result.rows,
    uploadedKey: keys[0] ?? "",
    pages,
    downloaded,
    variableKeys: (variables?.data ?? []).map((variable) => variable.key),
    invocation,
  };
}
