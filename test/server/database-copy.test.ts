// DatabaseCopy against a real lubes-server: rows of every common type copied exactly, parents before children, in
// pages, serial and identity sequences set past the copied ids, a limit, a copy run again that doubles nothing, and the
// messages of a copy that cannot run.
import { afterAll, beforeAll, expect, it } from "vitest";
import { LubesClient } from "../../provider/client";
import { databaseCopy, type OperationContext } from "../../provider/resources";
import type { DatabaseCopyInputs } from "../../provider/resources/database-copy";
import { describeEachEngine } from "../support/engines";
import { createKey, createOrg, createProject, signUp, startTestServer, type TestServer } from "../support/server";

const SCHEMA = `
CREATE TABLE customers (
  id serial PRIMARY KEY, name text NOT NULL, balance numeric(40, 10), avatar bytea, tags text[], profile jsonb, joined timestamptz,
  name_upper text GENERATED ALWAYS AS (upper(name)) STORED
);
CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id), total numeric(12, 2));
CREATE TABLE a_shipments (id int PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id));
CREATE TABLE audit_log (message text);
CREATE TABLE line_items (order_id bigint REFERENCES orders (id), line int, sku text, PRIMARY KEY (order_id, line));`;

const ROWS = `
INSERT INTO customers (name, balance, avatar, tags, profile, joined)
  SELECT 'customer ' || n, 12345678901234567890.0123456789 + n, decode(lpad(to_hex(n), 4, '0') || '00ff', 'hex'), ARRAY['a, "b"', 'c\\d', NULL],
         jsonb_build_object('n', n, 'nested', jsonb_build_array(1, 'two', jsonb_build_object('x', null))), timestamptz '2024-01-15 10:30:00.123456+02' + n * interval '1 minute'
  FROM generate_series(1, 1200) AS n;
INSERT INTO orders (customer_id, total) VALUES (1, 10.5), (2, 99.99), (1200, 0.01);
INSERT INTO a_shipments (id, order_id) VALUES (1, 3);
INSERT INTO audit_log (message) VALUES ('created'), ('created');
INSERT INTO line_items (order_id, line, sku) SELECT o, l, 'sku-' || l FROM generate_series(1, 3) AS o, generate_series(1, 400) AS l;`;

describeEachEngine("DatabaseCopy", (engine) => {
  let server: TestServer;
  let ctx: OperationContext;
  let token: string;
  let orgId: string;
  let source: string;
  const logs: string[] = [];

  const run = async (projectId: string, sql: string) => {
    const response = await server.api.post(`/projects/${projectId}/db/query`, { token, body: { query: sql } });
    if (response.status !== 200) throw new Error(`${sql}: ${JSON.stringify(response.body)}`);
    return response.body.rows as Record<string, unknown>[];
  };
  /** A table as Postgres prints each row, in key order: equal texts mean equal values of every type. */
  const dump = async (projectId: string, table: string, order = "id") => (await run(projectId, `SELECT to_jsonb(t.*)::text AS r FROM ${table} t ORDER BY ${order}`)).map((row) => row["r"]);
  const checked = (raw: Record<string, unknown>): DatabaseCopyInputs => {
    const result = databaseCopy.check(raw);
    if (!result.inputs) throw new Error(JSON.stringify(result.failures));
    return result.inputs;
  };
  const newProject = async (name: string, schema = SCHEMA) => {
    const project = await createProject(server.api, token, orgId, name);
    if (schema) await run(project.id, schema);
    return project.id;
  };

  beforeAll(async () => {
    server = await startTestServer(engine);
    const owner = await signUp(server.api, "copier");
    token = owner.token;
    ctx = { client: new LubesClient({ apiUrl: server.url, apiKey: await createKey(server.api, token, { name: "pulumi" }) }), log: (m) => logs.push(m) };
    orgId = (await createOrg(server.api, token, { name: "Copies" })).id;
    source = await newProject("Source");
    await run(source, ROWS);
  }, 120_000);
  afterAll(() => server.close());

  it("copies every row exactly, parents first and in pages, and new rows in the copy get new ids", async () => {
    const target = await newProject("Target");
    logs.length = 0;
    const created = await databaseCopy.create(ctx, checked({ projectId: target, sourceProjectId: source }));

    // a_shipments comes first by name but references orders, which references customers.
    expect(created.outs.copiedTables).toEqual([
      { table: "public.customers", rows: 1200, sourceRows: 1200, skipped: null },
      { table: "public.orders", rows: 3, sourceRows: 3, skipped: null },
      { table: "public.a_shipments", rows: 1, sourceRows: 1, skipped: null },
      { table: "public.audit_log", rows: 2, sourceRows: 2, skipped: null },
      { table: "public.line_items", rows: 1200, sourceRows: 1200, skipped: null },
    ]);
    expect(created.outs.rowsCopied).toBe(2406);
    for (const table of ["customers", "orders", "a_shipments"]) expect(await dump(target, table)).toEqual(await dump(source, table));
    // A key of two columns, read in pages after the last key.
    expect(await dump(target, "line_items", "order_id, line")).toEqual(await dump(source, "line_items", "order_id, line"));
    expect(await dump(target, "audit_log", "message")).toEqual(await dump(source, "audit_log", "message"));
    // One progress line per table, after the announcement.
    expect(logs.filter((line) => / copied \d+ of \d+ rows/.test(line))).toHaveLength(5);
    expect(logs).toContain("public.customers: copied 1200 of 1200 rows");

    // Serial and identity sequences continue after the copied ids.
    expect(await run(target, "INSERT INTO customers (name) VALUES ('new') RETURNING id")).toEqual([{ id: 1201 }]);
    expect(await run(target, "INSERT INTO orders (customer_id) VALUES (1) RETURNING id::int AS id")).toEqual([{ id: 4 }]);
    // The state holds counts, never rows.
    expect(JSON.stringify(created.outs)).not.toContain("customer 1");
  });

  it("stops at the limit, and a second copy resumes without doubling a row", async () => {
    const target = await newProject("Limited");
    logs.length = 0;
    const first = await databaseCopy.create(ctx, checked({ projectId: target, sourceProjectId: source, tables: ["customers", "public.audit_log"], rowLimit: 100 }));
    expect(first.outs.copiedTables).toEqual([
      { table: "public.audit_log", rows: 2, sourceRows: 2, skipped: null },
      { table: "public.customers", rows: 100, sourceRows: 1200, skipped: null },
    ]);
    expect(logs).toContain("public.customers: copied 100 of 100 rows (the limit of 100; the source has 1200)");
    expect(await dump(target, "customers")).toEqual((await dump(source, "customers")).slice(0, 100));

    // As after an interrupted copy: the rows already there are skipped, the table without a key is left alone.
    const second = await databaseCopy.create(ctx, checked({ projectId: target, sourceProjectId: source, tables: ["customers", "audit_log"] }));
    expect(second.outs.copiedTables).toEqual([
      { table: "public.audit_log", rows: 0, sourceRows: 2, skipped: expect.stringMatching(/already has rows, and without a primary key or unique index/) },
      { table: "public.customers", rows: 1100, sourceRows: 1200, skipped: null },
    ]);
    expect(logs).toContain("public.customers: copied 1100 of 1200 rows; 100 already present");
    expect(await dump(target, "customers")).toEqual(await dump(source, "customers"));
    expect(await run(target, "SELECT count(*)::int AS n FROM audit_log")).toEqual([{ n: 2 }]);
  });

  it("refuses, before copying anything, a target without the tables or a table the source lacks", async () => {
    const bare = await newProject("Bare", "CREATE TABLE customers (id serial PRIMARY KEY, name text)");
    await expect(databaseCopy.create(ctx, checked({ projectId: bare, sourceProjectId: source }))).rejects.toThrow(
      new RegExp(`Cannot copy rows into project ${bare} \\(branch "main"\\): it has no table public.orders, public.a_shipments, public.audit_log, public.line_items. Apply the source's migrations first`),
    );
    expect(await run(bare, "SELECT count(*)::int AS n FROM customers")).toEqual([{ n: 0 }]);
    await expect(databaseCopy.create(ctx, checked({ projectId: bare, sourceProjectId: source, tables: ["customers", "invoices"] }))).rejects.toThrow(/has no table public.invoices; it has public.a_shipments, public.audit_log, public.customers, public.line_items, public.orders/);
  });

  it("names the table whose rows the target refuses, and says that running again resumes", async () => {
    const strict = await newProject("Strict", SCHEMA.replace("total numeric(12, 2)", "total numeric(12, 2) CHECK (total > 1)"));
    await expect(databaseCopy.create(ctx, checked({ projectId: strict, sourceProjectId: source, tables: ["customers", "orders"] }))).rejects.toThrow(
      /Copying the rows of public.orders failed: .*check constraint.*running `up` again resumes/,
    );
    expect(await run(strict, "SELECT count(*)::int AS n FROM customers")).toEqual([{ n: 1200 }]);
  });

  it("checks its inputs, is read as gone with its project, and cannot be imported", async () => {
    expect(databaseCopy.check({ projectId: source, sourceProjectId: source, rowLimit: 0 }).failures[0]?.property).toBe("rowLimit");
    expect(databaseCopy.check({ projectId: source, sourceProjectId: source, tables: ["x; DROP TABLE y"] }).failures[0]?.property).toBe("tables.0");
    const target = await newProject("Gone");
    const created = await databaseCopy.create(ctx, checked({ projectId: target, sourceProjectId: source, tables: ["audit_log"] }));
    expect(databaseCopy.diff(created.id, created.outs, checked({ projectId: target, sourceProjectId: source, tables: ["audit_log"] }))).toEqual({ changes: false, replaces: [] });
    expect(databaseCopy.diff(created.id, created.outs, checked({ projectId: target, sourceProjectId: source, tables: ["audit_log"], rowLimit: 5 })).replaces).toEqual(["rowLimit"]);
    expect(await databaseCopy.read(ctx, created.id, created.outs)).toEqual({ id: created.id, outs: created.outs });
    await expect(databaseCopy.read(ctx, created.id, {})).rejects.toThrow(/cannot be imported or read by its id/);
    await server.api.delete(`/projects/${target}`, { token });
    expect(await databaseCopy.read(ctx, created.id, created.outs)).toBeUndefined();
  });
});
