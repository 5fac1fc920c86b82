// Embedded databases under pressure: more projects busy at once than may be open. Found by bench/stack.ts: closing a
// database to make room while another request was starting it left that request waiting forever.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createOrg, createProject, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

let server: TestServer;
let owner: TestUser;

beforeAll(async () => {
  server = await startTestServer("pglite", { maxOpenDatabases: 2 });
  owner = await signUp(server.api, "pressure");
});
afterAll(() => server.close());

it("finishes every migration, branch and query when six projects want their databases at once and two may be open", async () => {
  const org = await createOrg(server.api, owner.token);
  const projects = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => createProject(server.api, owner.token, org.id, `Busy ${n}`)));
  const post = (path: string, body: unknown) => server.api.post(path, { token: owner.token, body });
  const work = projects.map(async ({ id }) => {
    const migrated = await post(`/projects/${id}/db/migrations`, { name: "001_items", sql: "CREATE TABLE items (id int)" });
    const [branched, inserted] = await Promise.all([
      post(`/projects/${id}/db/branches`, { name: "dev" }),
      post(`/projects/${id}/db/query`, { query: "INSERT INTO items VALUES (1), (2)" }),
    ]);
    const counted = await post(`/projects/${id}/db/query`, { query: "SELECT count(*)::int AS n FROM items", branch: "dev" });
    return [migrated.status, branched.status, inserted.status, counted.status];
  });
  const statuses = await Promise.all(work);
  expect(statuses).toEqual(projects.map(() => [201, 201, 200, 200]));
}, 120_000);
