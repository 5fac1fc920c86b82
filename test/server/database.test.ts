// Project databases over real HTTP, on both engines: queries, tables, branches, migrations, limits and isolation.
import { createHash } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { createOrg, createProject, expectEnvelope, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

describeEachEngine("project databases", (engine) => {
  let server: TestServer;
  let owner: TestUser;
  let projectId: string;
  const sql = (query: string, params?: unknown[], branch?: string, project = projectId) =>
    server.api.post(`/projects/${project}/db/query`, { token: owner.token, body: { query, ...(params ? { params } : {}), ...(branch ? { branch } : {}) } });

  beforeAll(async () => {
    server = await startTestServer(engine, { queryLimits: { timeoutMs: 1500, maxRows: 1000, maxBytes: 200_000 } });
    owner = await signUp(server.api, "owner");
    projectId = (await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id, "Data")).id;
  });
  afterAll(() => server.close());

  it("answers the seed's Execute a Query example with the seed's shape, plus fields", async () => {
    const setup = await sql("CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, status text DEFAULT 'active'); INSERT INTO users (email, status) VALUES ('user@example.com', 'active'), ('old@example.com', 'inactive')");
    expect(setup.status).toBe(200);
    const res = await sql("SELECT * FROM users WHERE status = $1", ["active"]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      rows: [{ id: "1", email: "user@example.com", status: "active" }],
      row_count: 1,
      execution_time_ms: expect.any(Number),
      fields: [{ name: "id", type: "bigint" }, { name: "email", type: "text" }, { name: "status", type: "text" }],
    });
  });

  it("returns the same JSON for every type on both engines", async () => {
    const res = await sql(`SELECT 1::int AS i, 2::int8 AS big, 1.50::numeric AS num, 2.5::float8 AS f, true AS b, NULL::text AS n,
      '{"a":[1,2]}'::jsonb AS j, ARRAY[1,2] AS ints, ARRAY['x','y'] AS texts, '2024-01-15T10:30:00Z'::timestamptz AT TIME ZONE 'UTC' AS ts, 'NaN'::float8 AS nan`);
    expect(res.body.rows[0]).toEqual({ i: 1, big: "2", num: "1.50", f: 2.5, b: true, n: null, j: { a: [1, 2] }, ints: [1, 2], texts: ["x", "y"], ts: "2024-01-15 10:30:00", nan: "NaN" });
  });

  it("counts affected rows, and runs a script whose last statement answers", async () => {
    const update = await sql("UPDATE users SET status = $1 WHERE status = $2", ["archived", "inactive"]);
    expect(update.body).toMatchObject({ rows: [], row_count: 1 });
    const script = await sql("CREATE TEMP TABLE t (x int); INSERT INTO t VALUES (1), (2); SELECT sum(x) AS total FROM t");
    expect(script.body.rows).toEqual([{ total: "3" }]);
  });

  it("takes JSON objects and arrays as parameters", async () => {
    const res = await sql("SELECT $1::jsonb -> 'k' AS k, $2::jsonb AS arr", [{ k: "v" }, [1, "two"]]);
    expect(res.body.rows).toEqual([{ k: "v", arr: [1, "two"] }]);
  });

  it.each([
    ["SELEC 1", 400, "42601"],
    ["SELECT * FROM nowhere", 400, "42P01"],
    ["INSERT INTO users (email) VALUES ('user@example.com')", 422, "23505"],
    ["INSERT INTO users (email) VALUES (NULL)", 422, "23502"],
    ["SELECT 1/0", 400, "22012"],
  ])("%s → %i with SQLSTATE %s in details, never 500", async (query, status, sqlstate) => {
    const res = await sql(query);
    expectEnvelope(res, status, "sql_error");
    expect(res.body.error.details.sqlstate).toBe(sqlstate);
  });

  it("cuts off a runaway query with a clear error while the server keeps serving", async () => {
    // The query runs in its branch's worker: the server answers beside it, and the query ends at its timeout.
    const [runaway, health] = await Promise.all([sql("SELECT pg_sleep(30)"), server.api.get("/health")]);
    expectEnvelope(runaway, 400, "query_timeout");
    expect(runaway.body.error.message).toMatch(/1500 ms/);
    expect(health.status).toBe(200);
    expect((await sql("SELECT count(*)::int AS n FROM users")).body.rows).toEqual([{ n: 2 }]);
  });

  it("cannot escape the timeout with SET statement_timeout", async () => {
    const res = await sql("SET statement_timeout = 0; SELECT pg_sleep(30)");
    expectEnvelope(res, 400, "query_timeout");
  });

  it("caps results in rows and bytes with a clear error", async () => {
    const rows = await sql("SELECT g FROM generate_series(1, 1001) g");
    expectEnvelope(rows, 422, "result_too_large");
    expect(rows.body.error.message).toMatch(/1000 rows/);
    const bytes = await sql("SELECT repeat('x', 300000) AS big");
    expectEnvelope(bytes, 422, "result_too_large");
  });

  it("treats each request as its own session: an unfinished transaction is rolled back", async () => {
    await sql("BEGIN; INSERT INTO users (email) VALUES ('ghost@example.com')");
    expect((await sql("SELECT count(*)::int AS n FROM users WHERE email = 'ghost@example.com'")).body.rows).toEqual([{ n: 0 }]);
  });

  it("keeps nothing of a session for the next request: role, temp tables, prepared statements, cursors, advisory locks", async () => {
    const before = (await sql("SELECT current_user AS role")).body.rows[0].role;
    // The project's role on PostgreSQL may not take another role; the embedded database's superuser may.
    await sql("SET ROLE pg_monitor");
    await sql("CREATE TEMP TABLE leftover (x int); PREPARE leftover_plan AS SELECT 1; DECLARE leftover_cursor CURSOR WITH HOLD FOR SELECT 1; SELECT pg_advisory_lock(42)");
    const after = await sql(`SELECT current_user AS role, to_regclass('pg_temp.leftover') AS temp_table,
      (SELECT count(*)::int FROM pg_prepared_statements) AS prepared, (SELECT count(*)::int FROM pg_cursors) AS cursors,
      (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS locks`);
    expect(after.body.rows).toEqual([{ role: before, temp_table: null, prepared: 0, cursors: 0, locks: 0 }]);
  });

  it("cannot change the database server's configuration, and a branch whose files cannot be opened says so (never a 500)", async () => {
    const project = (await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id, "Config")).id;
    const alter = await sql("ALTER SYSTEM SET shared_preload_libraries = 'nonexistent_lib'", undefined, undefined, project);
    expectEnvelope(alter, 400, "sql_error");
    if (engine === "pglite") {
      // The embedded database's superuser can write its own files: a configuration written there is undone at the
      // next open (a branch is a copy, opened afresh), while damaged files make the branch answer 409, not 500.
      await sql("COPY (SELECT 'shared_preload_libraries = ''nonexistent_lib''') TO '/pglite/data/postgresql.auto.conf'", undefined, undefined, project);
      await server.api.post(`/projects/${project}/db/branches`, { token: owner.token, body: { name: "configured" } });
      expect((await sql("SHOW shared_preload_libraries", undefined, "configured", project)).body.rows).toEqual([{ shared_preload_libraries: "" }]);
      await sql("COPY (SELECT 'garbage') TO '/pglite/data/PG_VERSION'", undefined, "configured", project);
      await server.api.post(`/projects/${project}/db/branches`, { token: owner.token, body: { name: "damaged", parent: "configured" } });
    } else {
      await server.api.post(`/projects/${project}/db/branches`, { token: owner.token, body: { name: "damaged" } });
      const damaged = (await server.api.get(`/projects/${project}/db/branches`, { token: owner.token })).body.data.find((b: { name: string }) => b.name === "damaged");
      const admin = new pg.Client({ connectionString: inject("postgresUrl") ?? "" });
      await admin.connect();
      await admin.query(`DROP DATABASE lubes_${damaged.id} WITH (FORCE)`).finally(() => admin.end());
    }
    for (const res of [await sql("SELECT 1", undefined, "damaged", project), await server.api.get(`/projects/${project}/db/tables?branch=damaged`, { token: owner.token })]) {
      expectEnvelope(res, 409, "database_unavailable");
      expect(res.body.error.message).toMatch(/cannot be opened/);
    }
    const migration = await server.api.post(`/projects/${project}/db/migrations`, { token: owner.token, body: { name: "001", sql: "CREATE TABLE t (x int)", branch: "damaged" } });
    expectEnvelope(migration, 409, "database_unavailable");
    expect((await sql("SELECT 1 AS ok", undefined, undefined, project)).body.rows).toEqual([{ ok: 1 }]);
    expect((await server.api.delete(`/projects/${project}/db/branches/damaged`, { token: owner.token })).status).toBe(204);
  });

  it("lists tables and describes one: columns, nullability, defaults, primary key, indexes", async () => {
    await sql("CREATE VIEW active_users AS SELECT * FROM users WHERE status = 'active'");
    const list = await server.api.get(`/projects/${projectId}/db/tables`, { token: owner.token });
    expect(list.body.data).toEqual(expect.arrayContaining([
      expect.objectContaining({ schema: "public", name: "users", type: "table" }),
      expect.objectContaining({ schema: "public", name: "active_users", type: "view" }),
    ]));
    const table = await server.api.get(`/projects/${projectId}/db/tables/users`, { token: owner.token });
    expect(table.status).toBe(200);
    expect(table.body).toMatchObject({ schema: "public", name: "users", type: "table", primary_key: ["id"] });
    expect(table.body.columns).toEqual([
      { name: "id", type: "bigint", nullable: false, default: "nextval('users_id_seq'::regclass)", position: 1 },
      { name: "email", type: "text", nullable: false, default: null, position: 2 },
      { name: "status", type: "text", nullable: true, default: "'active'::text", position: 3 },
    ]);
    expect(table.body.indexes).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: "users_pkey", columns: ["id"], unique: true, primary: true }),
      expect.objectContaining({ name: "users_email_key", columns: ["email"], unique: true, primary: false }),
    ]));
    expect((await server.api.get(`/projects/${projectId}/db/tables/public.users`, { token: owner.token })).body.name).toBe("users");
  });

  it("answers 404 for an unknown table and 400 for names that are not plain identifiers", async () => {
    expectEnvelope(await server.api.get(`/projects/${projectId}/db/tables/nothing`, { token: owner.token }), 404, "not_found");
    for (const name of ["users;DROP TABLE users", "\"users\"", "a.b.c", "users--", "1users", "us ers"]) {
      const res = await server.api.get(`/projects/${projectId}/db/tables/${encodeURIComponent(name)}`, { token: owner.token });
      expectEnvelope(res, 400, "invalid_parameter");
    }
    expect((await sql("SELECT count(*)::int AS n FROM users")).body.rows).toEqual([{ n: 2 }]);
  });

  it("creates a branch as a full copy of its parent, independent afterwards", async () => {
    const branches = await server.api.get(`/projects/${projectId}/db/branches`, { token: owner.token });
    expect(branches.body.data).toEqual([expect.objectContaining({ name: "main", default: true, parent_id: null })]);
    const main = branches.body.data[0];

    const dev = await server.api.post(`/projects/${projectId}/db/branches`, { token: owner.token, body: { name: "dev" } });
    expect(dev.status).toBe(201);
    expect(dev.body).toMatchObject({ name: "dev", parent_id: main.id, default: false, project_id: projectId });
    expect((await sql("SELECT count(*)::int AS n FROM users", undefined, "dev")).body.rows).toEqual([{ n: 2 }]);

    await sql("DELETE FROM users", undefined, "dev");
    await sql("INSERT INTO users (email) VALUES ('main-only@example.com')");
    expect((await sql("SELECT count(*)::int AS n FROM users", undefined, "dev")).body.rows).toEqual([{ n: 0 }]);
    expect((await sql("SELECT count(*)::int AS n FROM users", undefined, "main")).body.rows).toEqual([{ n: 3 }]);
    // By id as well as by name.
    expect((await sql("SELECT count(*)::int AS n FROM users", undefined, dev.body.id)).body.rows).toEqual([{ n: 0 }]);

    const nested = await server.api.post(`/projects/${projectId}/db/branches`, { token: owner.token, body: { name: "preview/pr-42", parent: "dev" } });
    expect(nested.body.parent_id).toBe(dev.body.id);
    expect((await sql("SELECT count(*)::int AS n FROM users", undefined, "preview/pr-42")).body.rows).toEqual([{ n: 0 }]);
    // One branch by name (a `/` in it encoded) or id (extension).
    for (const selector of ["preview%2Fpr-42", nested.body.id]) {
      expect((await server.api.get(`/projects/${projectId}/db/branches/${selector}`, { token: owner.token })).body).toEqual(nested.body);
    }
    expectEnvelope(await server.api.get(`/projects/${projectId}/db/branches/nope`, { token: owner.token }), 404, "not_found");
  });

  it("refuses a duplicate branch, an unknown parent, and deleting main; deletes other branches", async () => {
    expectEnvelope(await server.api.post(`/projects/${projectId}/db/branches`, { token: owner.token, body: { name: "dev" } }), 409, "branch_exists");
    expectEnvelope(await server.api.post(`/projects/${projectId}/db/branches`, { token: owner.token, body: { name: "x", parent: "nope" } }), 404);
    expectEnvelope(await server.api.post(`/projects/${projectId}/db/branches`, { token: owner.token, body: { name: "Bad Name" } }), 422);
    expectEnvelope(await server.api.delete(`/projects/${projectId}/db/branches/main`, { token: owner.token }), 409, "default_branch");
    await server.api.post(`/projects/${projectId}/db/branches`, { token: owner.token, body: { name: "temp" } });
    expect((await server.api.delete(`/projects/${projectId}/db/branches/temp`, { token: owner.token })).status).toBe(204);
    expectEnvelope(await sql("SELECT 1", undefined, "temp"), 404);
  });

  it("applies a migration once, in one transaction, recording its checksum", async () => {
    const body = { name: "001_create_posts", sql: "CREATE TABLE posts (id serial PRIMARY KEY, title text NOT NULL); CREATE INDEX posts_title ON posts (title);" };
    const first = await server.api.post(`/projects/${projectId}/db/migrations`, { token: owner.token, body });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name: body.name, status: "applied", checksum: sha(body.sql), error: null, branch_id: expect.stringMatching(/^br_/) });
    expect(first.body.applied_at).toEqual(expect.any(String));

    const again = await server.api.post(`/projects/${projectId}/db/migrations`, { token: owner.token, body });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);

    const changed = await server.api.post(`/projects/${projectId}/db/migrations`, { token: owner.token, body: { ...body, sql: "CREATE TABLE other (id int)" } });
    expectEnvelope(changed, 409, "migration_changed");
    expect(changed.body.error.message).toMatch(/add a new migration/);
    // One migration by name (extension), on main unless ?branch= says otherwise.
    expect((await server.api.get(`/projects/${projectId}/db/migrations/${body.name}`, { token: owner.token })).body).toEqual(first.body);
    expectEnvelope(await server.api.get(`/projects/${projectId}/db/migrations/${body.name}?branch=dev`, { token: owner.token }), 404, "not_found");
  });

  it("rolls a failing migration back entirely, records it as failed, and runs it again once fixed", async () => {
    const broken = { name: "002_comments", sql: "CREATE TABLE comments (id int); INSERT INTO nowhere VALUES (1);" };
    const failed = await server.api.post(`/projects/${projectId}/db/migrations`, { token: owner.token, body: broken });
    expectEnvelope(failed, 422, "migration_failed");
    expect(failed.body.error.details).toMatchObject({ sqlstate: "42P01", migration: { status: "failed", error: { code: "42P01" } } });
    expect((await sql("SELECT to_regclass('public.comments') AS t")).body.rows).toEqual([{ t: null }]);

    const fixed = await server.api.post(`/projects/${projectId}/db/migrations`, { token: owner.token, body: { ...broken, sql: "CREATE TABLE comments (id int);" } });
    expect(fixed.status).toBe(201);
    expect(fixed.body.status).toBe("applied");

    const list = await server.api.get(`/projects/${projectId}/db/migrations`, { token: owner.token });
    expect(list.body.data.map((m: { name: string; status: string }) => [m.name, m.status])).toEqual([["001_create_posts", "applied"], ["002_comments", "applied"]]);
  });

  it("reverts an applied migration with its down SQL, so it applies again; a failing down SQL leaves it applied", async () => {
    const body = { name: "003_tags", sql: "CREATE TABLE tags (id int)" };
    expect((await server.api.post(`/projects/${projectId}/db/migrations`, { token: owner.token, body })).status).toBe(201);
    const revert = (sql: string) => server.api.post(`/projects/${projectId}/db/migrations/003_tags/revert`, { token: owner.token, body: { sql } });

    const failing = await revert("DROP TABLE tags; DROP TABLE nowhere");
    expectEnvelope(failing, 422, "revert_failed");
    expect(failing.body.error.message).toMatch(/stays applied/);
    expect((await sql("SELECT to_regclass('public.tags') AS t")).body.rows).toEqual([{ t: "tags" }]);

    expect((await revert("DROP TABLE tags")).status).toBe(204);
    expect((await sql("SELECT to_regclass('public.tags') AS t")).body.rows).toEqual([{ t: null }]);
    const names = async () => (await server.api.get(`/projects/${projectId}/db/migrations`, { token: owner.token })).body.data.map((m: { name: string }) => m.name);
    expect(await names()).not.toContain("003_tags");
    expectEnvelope(await revert("DROP TABLE tags"), 404, "not_found");

    const again = await server.api.post(`/projects/${projectId}/db/migrations`, { token: owner.token, body });
    expect(again.status).toBe(201);
    expect((await sql("SELECT to_regclass('public.tags') AS t")).body.rows).toEqual([{ t: "tags" }]);
  });

  it("keeps migrations per branch", async () => {
    const body = { name: "001_create_posts", sql: "CREATE TABLE posts (id serial PRIMARY KEY, title text NOT NULL); CREATE INDEX posts_title ON posts (title);", branch: "dev" };
    const onDev = await server.api.post(`/projects/${projectId}/db/migrations`, { token: owner.token, body });
    expect(onDev.status).toBe(201);
    const devList = await server.api.get(`/projects/${projectId}/db/migrations?branch=dev`, { token: owner.token });
    expect(devList.body.data.map((m: { name: string }) => m.name)).toEqual(["001_create_posts"]);
  });

  it("isolates projects: another project's tables and the control plane are out of reach, whatever the SQL", async () => {
    const other = (await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id, "Intruder")).id;
    await sql("CREATE TABLE secrets (value text); INSERT INTO secrets VALUES ('top secret')");
    const attempts = [
      "SELECT * FROM secrets",
      "SELECT * FROM public.users",
      "SELECT * FROM api_keys",
      "SELECT * FROM sessions",
      "SET ROLE postgres; SELECT * FROM secrets",
      "SELECT rolpassword FROM pg_authid",
      "CREATE EXTENSION dblink",
      "SELECT * FROM dblink('dbname=postgres', 'SELECT 1') AS t(x int)",
      "COPY (SELECT 1) TO PROGRAM 'id'",
    ];
    for (const attempt of attempts) {
      const res = await sql(attempt, undefined, undefined, other);
      expect(res.status, `${attempt} → ${res.text}`).toBeLessThan(500);
      expect(res.text, attempt).not.toContain("top secret");
      expect(res.text, attempt).not.toMatch(/lubes_sk_|scrypt\$/);
      if (engine === "postgres") expect(res.status, `${attempt} → ${res.text}`).toBeGreaterThanOrEqual(400);
    }
    const file = await sql("SELECT pg_read_file('/etc/passwd') AS f", undefined, undefined, other);
    expect(file.text).not.toContain("root:x:0:0");
    // The intruder's own database still works, and a table of the same name there is its own, empty one.
    await sql("CREATE TABLE secrets (value text)", undefined, undefined, other);
    expect((await sql("SELECT count(*)::int AS n FROM secrets", undefined, undefined, other)).body.rows).toEqual([{ n: 0 }]);
    expect((await sql("SELECT value FROM secrets")).body.rows).toEqual([{ value: "top secret" }]);
  });

  it("validates the query body", async () => {
    expect((await server.api.post(`/projects/${projectId}/db/query`, { token: owner.token, body: {} })).body.error.details).toMatchObject({ field: "query", constraint: "required" });
    expect((await server.api.post(`/projects/${projectId}/db/query`, { token: owner.token, body: { query: "SELECT 1", params: "x" } })).status).toBe(422);
    expect((await server.api.post(`/projects/${projectId}/db/query`, { token: owner.token, body: { query: "" } })).status).toBe(422);
    expect((await server.api.post(`/projects/${projectId}/db/query`, { token: owner.token, body: { query: "SELECT 1", branch: "../x" } })).status).toBe(422);
  });

  it.runIf(engine === "postgres")("drops a deleted project's databases and role", async () => {
    const project = await createProject(server.api, owner.token, (await createOrg(server.api, owner.token)).id, "Dropped");
    const branches = (await server.api.get(`/projects/${project.id}/db/branches`, { token: owner.token })).body.data;
    await server.api.delete(`/projects/${project.id}`, { token: owner.token });
    const admin = new pg.Client({ connectionString: inject("postgresUrl") ?? "" });
    await admin.connect();
    try {
      const dbs = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [`lubes_${branches[0].id}`]);
      const roles = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [`lubes_${project.id}`]);
      expect([dbs.rows.length, roles.rows.length]).toEqual([0, 0]);
    } finally {
      await admin.end();
    }
  });
});
