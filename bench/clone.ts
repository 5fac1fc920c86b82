// Benchmark: copying database rows between projects (DatabaseCopy, what `cloneEnvironment`'s `copyData` declares).
// In one run, on each engine: a source project with three tables (customers, orders referencing them, and an event log
// without a key) is copied into a fresh project with the same schema through the API, and the same rows are copied
// inside one database with `INSERT … SELECT` as the floor no API copy can beat.
// Usage: npm run bench:clone  (PostgreSQL is measured when its binaries are on this machine)
import { LubesClient, type CallRecord } from "../provider/client";
import { databaseCopy } from "../provider/resources";
import { DEFAULT_RATE_LIMITS } from "../server/config";
import { findPostgresBin, startPostgres, type PostgresCluster } from "../test/support/postgres";
import { createKey, createOrg, createProject, signUp, startTestServer, type Engine, type TestServer } from "../test/support/server";

const CUSTOMERS = 10_000;
const ORDERS = 20_000;
const EVENTS = 5_000;

const SCHEMA = `
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text, balance numeric(14, 2), tags text[], profile jsonb, joined timestamptz);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id), total numeric(12, 2), placed timestamptz);
CREATE TABLE events (at timestamptz, kind text, payload jsonb);`;

const ROWS = `
INSERT INTO customers (name, email, balance, tags, profile, joined)
  SELECT 'customer ' || n, 'c' || n || '@example.com', n * 1.25, ARRAY['a', 'b'], jsonb_build_object('n', n, 'plan', 'team'), now() - n * interval '1 hour' FROM generate_series(1, ${CUSTOMERS}) AS n;
INSERT INTO orders (customer_id, total, placed) SELECT 1 + n % ${CUSTOMERS}, n * 0.5, now() - n * interval '1 minute' FROM generate_series(1, ${ORDERS}) AS n;
INSERT INTO events (at, kind, payload) SELECT now(), 'signup', jsonb_build_object('n', n) FROM generate_series(1, ${EVENTS}) AS n;`;

async function measure(engine: Engine, cluster?: PostgresCluster): Promise<string> {
  // Rate limits lifted: the figure is the copy's own cost, not a plan's.
  const rateLimits = { ...DEFAULT_RATE_LIMITS, free: 1e9, pro: 1e9, team: 1e9 };
  const server: TestServer = await startTestServer(engine, { rateLimits, ...(cluster ? { databaseUrl: await cluster.createDatabase() } : {}) });
  try {
    const owner = await signUp(server.api, "bench");
    const calls: CallRecord[] = [];
    const client = new LubesClient({ apiUrl: server.url, apiKey: await createKey(server.api, owner.token, { name: "bench" }) }, { onCall: (c) => calls.push(c) });
    const run = async (projectId: string, query: string) => {
      const answer = await server.api.post(`/projects/${projectId}/db/query`, { token: owner.token, body: { query } });
      if (answer.status !== 200) throw new Error(`${query.slice(0, 60)}…: ${JSON.stringify(answer.body)}`);
    };
    const org = await createOrg(server.api, owner.token, { name: "Bench" });
    const source = (await createProject(server.api, owner.token, org.id, "Source")).id;
    const target = (await createProject(server.api, owner.token, org.id, "Target")).id;
    for (const id of [source, target]) await run(id, SCHEMA);
    await run(source, ROWS);

    const started = performance.now();
    const copied = await databaseCopy.create({ client, log: () => undefined }, { projectId: target, branch: "main", sourceProjectId: source, sourceBranch: "main", tables: null, rowLimit: 1_000_000 });
    const seconds = (performance.now() - started) / 1000;

    // The floor: the same rows copied inside one database by one statement per table.
    const inside = performance.now();
    await run(source, "CREATE TABLE customers_copy AS SELECT * FROM customers; CREATE TABLE orders_copy AS SELECT * FROM orders; CREATE TABLE events_copy AS SELECT * FROM events;");
    const insideSeconds = (performance.now() - inside) / 1000;

    const rows = copied.outs.rowsCopied;
    return `| ${engine} | ${rows} | ${calls.length} | ${seconds.toFixed(1)} s | ${Math.round(rows / seconds)} | ${insideSeconds.toFixed(2)} s | ${(seconds / insideSeconds).toFixed(0)}× |`;
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  const lines = [await measure("pglite")];
  const bin = findPostgresBin();
  if (bin) {
    const cluster = await startPostgres(bin);
    try {
      lines.push(await measure("postgres", cluster));
    } finally {
      await cluster.stop();
    }
  }
  process.stdout.write([
    `DatabaseCopy of ${CUSTOMERS + ORDERS + EVENTS} rows (customers ${CUSTOMERS}, orders ${ORDERS} referencing them, events ${EVENTS} without a key):`,
    "",
    "| engine | rows | API calls | copy through the API | rows/s | same rows inside one database | API / inside |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...lines,
  ].join("\n") + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
