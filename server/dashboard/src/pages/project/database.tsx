// The project's database: its tables with their columns, an SQL console, branches and migrations. One branch is
// chosen at the top (main unless changed) and the tables, the console and the migrations all work on it.
import { useEffect, useId, useState } from "preact/hooks";
import type { Branch, Migration, QueryResult, Table as DbTable, TableSchema } from "../../../../../contract/database";
import type { z } from "zod";
import { ApiError, api, seg, type Page } from "../../api";
import { ACTIONS, ConfirmButton, ErrorMessage, Field, LoadState, Pager, Table, TextArea, fieldError, formatDate, useAction, useLoad, usePaged, usePoll, type Loaded, useQueryState } from "../../ui";
import type { TabProps } from "../projects";

type BranchT = z.infer<typeof Branch>;
type MigrationT = z.infer<typeof Migration>;
type Result = z.infer<typeof QueryResult>;
type TableT = z.infer<typeof DbTable>;
type Schema = z.infer<typeof TableSchema>;

/** A table with its schema, or why its schema could not be read. */
type TableEntry = { table: TableT; schema?: Schema; error?: unknown; unreadable?: true };
type TablesPage = { page: Page<TableT>; entries: TableEntry[] };

/** `table` in `public`, else `schema.table`: how the table endpoint and SQL name it. */
const qualified = (table: TableT) => (table.schema === "public" ? table.name : `${table.schema}.${table.name}`);

export function DatabaseTab({ project }: TabProps) {
  const base = `/projects/${seg(project.id)}/db`;
  const [chosenBranch, setBranch] = useQueryState("branch");
  const branch = chosenBranch ?? "main";
  // Every branch for the selectors (100 is the API's largest page; a project with more lists them in Branches).
  const allBranches = useLoad(() => api<Page<BranchT>>("GET", `${base}/branches`, { query: { limit: 100 } }), `${base}/branches`);
  const [tablesOffset, setTablesOffset] = useState(0);
  useEffect(() => setTablesOffset(0), [branch]);
  const tables = useLoad(() => loadTables(base, branch, tablesOffset), `${base}:${branch}:${tablesOffset}`);
  const names = allBranches.data?.data.map((b) => b.name) ?? ["main"];
  return (
    <>
      <div class="branch-picker">
        <label for="db-branch">Branch</label>
        <select id="db-branch" name="branch" value={branch} onChange={(event) => setBranch(event.currentTarget.value)} aria-describedby="db-branch-note">
          {(names.includes(branch) ? names : [branch, ...names]).map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <small id="db-branch-note">The tables, the SQL console and the migrations below use this branch.</small>
      </div>
      <Tables tables={tables} offset={tablesOffset} setOffset={setTablesOffset} branch={branch} />
      <SqlConsole base={base} branch={branch} onRan={tables.reload} />
      <Branches
        base={base}
        all={allBranches}
        onChanged={(deleted) => {
          allBranches.reload();
          if (deleted === branch) setBranch("main");
        }}
      />
      <Migrations base={base} branch={branch} onApplied={tables.reload} />
    </>
  );
}

const TABLES_PAGE = 20;

/** What the table-schema endpoint can name: plain identifiers (the contract's TableName), nothing quoted. */
const PLAIN = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** A page of tables, each with its columns (one request per table, together). */
async function loadTables(base: string, branch: string, offset: number): Promise<TablesPage> {
  const page = await api<Page<TableT>>("GET", `${base}/tables`, { query: { branch, limit: TABLES_PAGE, offset } });
  const entries = await Promise.all(
    page.data.map((table) =>
      !PLAIN.test(table.schema) || !PLAIN.test(table.name) ? Promise.resolve<TableEntry>({ table, unreadable: true }) : api<Schema>("GET", `${base}/tables/${seg(qualified(table))}`, { query: { branch } }).then(
        (schema): TableEntry => ({ table, schema }),
        (error: unknown): TableEntry => ({ table, error }),
      ),
    ),
  );
  return { page, entries };
}

const TYPE_LABEL: Record<TableT["type"], string> = { table: "table", view: "view", materialized_view: "materialized view", partitioned_table: "partitioned table" };

function Tables({ tables, offset, setOffset, branch }: { tables: Loaded<TablesPage>; offset: number; setOffset: (offset: number) => void; branch: string }) {
  return (
    <section aria-labelledby="db-tables">
      <h2 id="db-tables">Tables</h2>
      <LoadState loaded={tables}>
        {() =>
          tables.data?.entries.length ? (
            <>
              {tables.data.entries.map((entry) => (
                <TableColumns key={qualified(entry.table)} entry={entry} />
              ))}
              <Pager page={tables.data.page} offset={offset} limit={TABLES_PAGE} setOffset={setOffset} label="Tables" />
            </>
          ) : (
            <p>
              No tables on <strong>{branch}</strong> yet: create one in the SQL console below, or with a migration.
            </p>
          )
        }
      </LoadState>
    </section>
  );
}

function TableColumns({ entry }: { entry: TableEntry }) {
  const { table, schema, error, unreadable } = entry;
  const name = qualified(table);
  const estimate = schema?.row_estimate ?? table.row_estimate;
  const secondary = schema?.indexes.filter((index) => !index.primary) ?? [];
  return (
    <article class="db-table">
      <h3>
        <code>{name}</code> <small>
          {TYPE_LABEL[table.type]}
          {estimate !== null ? `, about ${estimate} rows` : ""}
        </small>
      </h3>
      <ErrorMessage error={error} />
      {unreadable ? <p>Its columns cannot be shown here: the API describes only tables whose schema and name are plain identifiers (letters, digits, '_' and '$').</p> : null}
      {schema ? (
        <>
          <Table caption={`Columns of ${name}`} headers={["Column", "Type", "Nullable", "Default", "Key"]}>
            {schema.columns.map((column) => (
              <tr key={column.name}>
                <th scope="row">{column.name}</th>
                <td>
                  <code>{column.type}</code>
                </td>
                <td>{column.nullable ? "yes" : "no"}</td>
                <td>{column.default === null ? <span class="null">none</span> : <code>{column.default}</code>}</td>
                <td>{schema.primary_key.includes(column.name) ? "primary key" : ""}</td>
              </tr>
            ))}
          </Table>
          {secondary.length ? (
            <p>
              Indexes:{" "}
              {secondary.map((index, i) => (
                <span key={index.name}>
                  {i > 0 ? ", " : ""}
                  <code title={index.definition}>{index.name}</code> ({index.columns.join(", ")}
                  {index.unique ? ", unique" : ""})
                </span>
              ))}
            </p>
          ) : null}
        </>
      ) : null}
    </article>
  );
}

/** The parameters field's text as the API's `params`: none when blank, else a JSON array (or why it is not one). */
function parseParams(text: string): { params?: unknown[]; problem?: string } {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `Parameters are not valid JSON (${error instanceof Error ? error.message : String(error)}). Write a JSON array, e.g. [42, "Ada", null].` };
  }
  if (!Array.isArray(value)) return { problem: 'Parameters must be a JSON array, one value for each of $1, $2, …, e.g. [42, "Ada", null].' };
  return { params: value };
}

function SqlConsole({ base, branch, onRan }: { base: string; branch: string; onRan: () => void }) {
  const [query, setQuery] = useState("");
  const [paramsText, setParamsText] = useState("");
  const [paramsProblem, setParamsProblem] = useState<string | undefined>(undefined);
  const [result, setResult] = useState<{ result: Result; branch: string } | null>(null);
  const { busy, error, setError, run } = useAction();
  const execute = () => {
    const parsed = parseParams(paramsText);
    setParamsProblem(parsed.problem);
    if (parsed.problem !== undefined) {
      // The last run's error is about other input: only the parameters' problem stands now.
      setError(undefined);
      setResult(null);
      return;
    }
    void run(async () => {
      setResult(null);
      const answer = await api<Result>("POST", `${base}/query`, { body: { query, branch, ...(parsed.params ? { params: parsed.params } : {}) } });
      setResult({ result: answer, branch });
      onRan(); // DDL changes the tables: show them as they are now.
    });
  };
  const submit = (event: Event) => {
    event.preventDefault();
    execute();
  };
  const runOnCtrlEnter = (event: KeyboardEvent) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (!busy && query.trim() !== "") execute();
    }
  };
  return (
    <section aria-labelledby="db-console">
      <h2 id="db-console">SQL console</h2>
      <form onSubmit={submit}>
        <TextArea
          label="SQL"
          name="query"
          rows={6}
          code
          required
          value={query}
          onInput={setQuery}
          onKeyDown={runOnCtrlEnter}
          error={fieldError(error, "query")}
          hint={`Runs on ${branch}. Without parameters several statements may run, and the last one answers. Ctrl+Enter runs it.`}
        />
        <TextArea
          label="Parameters (JSON array, optional)"
          name="params"
          rows={2}
          code
          value={paramsText}
          onInput={(value) => {
            setParamsText(value);
            setParamsProblem(undefined);
          }}
          placeholder='[42, "Ada", null]'
          error={paramsProblem ?? fieldError(error, "params")}
          hint='The values of $1, $2, … in order, e.g. [42, "Ada", null]. With parameters the SQL is one statement.'
        />
        <button type="submit" aria-busy={busy} disabled={busy}>
          Run
        </button>
      </form>
      <SqlErrorMessage error={error} />
      {result ? <ResultView result={result.result} branch={result.branch} /> : null}
    </section>
  );
}

/** An SQL error as Postgres worded it, with its detail, hint, position and SQLSTATE when the API gives them. */
function SqlErrorMessage({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  if (!(error instanceof ApiError) || (error.code !== "sql_error" && error.code !== "query_timeout")) return <ErrorMessage error={error} fields={["query", "params"]} />;
  const text = (key: string) => (typeof error.details[key] === "string" || typeof error.details[key] === "number" ? String(error.details[key]) : null);
  const detail = text("detail");
  const hint = text("hint");
  const position = text("position");
  const sqlstate = text("sqlstate");
  return (
    <div role="alert" class="warning sql-error">
      <p class="error">
        <strong>{error.message}</strong>
      </p>
      {detail ? <p>Detail: {detail}</p> : null}
      {hint ? <p>Hint: {hint}</p> : null}
      {position || sqlstate ? (
        <p>
          <small>
            {position ? `At character ${position}` : ""}
            {position && sqlstate ? " · " : ""}
            {sqlstate ? `SQLSTATE ${sqlstate}` : ""}
          </small>
        </p>
      ) : null}
    </div>
  );
}

/** A value as the API answered it: text as is, NULL marked, JSON (objects, arrays) as JSON. */
function Cell({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span class="null">NULL</span>;
  if (typeof value === "string") return <>{value}</>;
  if (typeof value === "number" || typeof value === "boolean") return <>{String(value)}</>;
  return <code>{JSON.stringify(value)}</code>;
}

function ResultView({ result, branch }: { result: Result; branch: string }) {
  const rows = result.row_count === 1 ? "1 row" : `${result.row_count} rows`;
  return (
    <div class="query-result">
      <p role="status">
        {result.fields.length ? `${rows} returned` : `Done: ${rows} affected`} on {branch} in {result.execution_time_ms.toFixed(1)} ms.
      </p>
      {result.fields.length ? (
        <Table caption="Query result">
          <thead>
            <tr>
              {result.fields.map((field, i) => (
                <th scope="col" key={`${i}:${field.name}`}>
                  {field.name} <small class="type">{field.type}</small>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.rows.map((row, r) => (
              <tr key={r}>
                {result.fields.map((field, i) => (
                  <td key={`${i}:${field.name}`}>
                    <Cell value={row[field.name]} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
    </div>
  );
}

function Branches({ base, all, onChanged }: { base: string; all: Loaded<Page<BranchT>>; onChanged: (deleted?: string) => void }) {
  const branches = usePaged<BranchT>(`${base}/branches`);
  const { error, run } = useAction();
  const nameOf = (id: string | null) => (id === null ? "" : (all.data?.data.find((b) => b.id === id)?.name ?? branches.data?.data.find((b) => b.id === id)?.name ?? id));
  const remove = (branch: BranchT) =>
    run(async () => {
      await api("DELETE", `${base}/branches/${seg(branch.name)}`);
      branches.reload();
      onChanged(branch.name);
    });
  return (
    <section aria-labelledby="db-branches">
      <h2 id="db-branches">Branches</h2>
      <p>Each branch is a database of its own, a copy of its parent's data at the moment it was made.</p>
      <ErrorMessage error={error} />
      <LoadState loaded={branches}>
        {() => (
          <>
            <Table caption="Branches" headers={["Name", "Parent", "Created", ACTIONS]}>
              {(branches.data?.data ?? []).map((branch) => (
                <tr key={branch.id}>
                  <th scope="row">
                    {branch.name}
                    {branch.default ? <span class="badge">default</span> : null}
                  </th>
                  <td>{branch.parent_id === null ? <span class="null">none</span> : nameOf(branch.parent_id)}</td>
                  <td>{formatDate(branch.created_at)}</td>
                  <td>
                    {branch.default ? null : (
                      <ConfirmButton
                        label={`Delete ${branch.name}`}
                        confirm="Delete branch"
                        question={`Delete the branch ${branch.name} and its database? Its data and migrations are gone for good.`}
                        onConfirm={() => remove(branch)}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </Table>
            <Pager page={branches.data} offset={branches.offset} limit={branches.limit} setOffset={branches.setOffset} label="Branches" />
          </>
        )}
      </LoadState>
      <NewBranch
        base={base}
        parents={all.data?.data.map((b) => b.name) ?? ["main"]}
        onCreated={() => {
          branches.reload();
          onChanged();
        }}
      />
    </section>
  );
}

function NewBranch({ base, parents, onCreated }: { base: string; parents: string[]; onCreated: () => void }) {
  const [name, setName] = useState("");
  const [parent, setParent] = useState("main");
  const { busy, error, run } = useAction();
  const parentId = useId();
  const chosen = parents.includes(parent) ? parent : "main";
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await api<BranchT>("POST", `${base}/branches`, { body: { name, parent: chosen } });
      setName("");
      onCreated();
    });
  };
  return (
    <form onSubmit={submit}>
      <h3>New branch</h3>
      <div class="grid">
        <Field label="Branch name" name="name" required value={name} onInput={setName} error={fieldError(error, "name")} hint="Lowercase letters, digits, '-', '_', '/' and '.', e.g. preview/pr-42." />
        <label for={parentId}>
          Parent branch
          <select id={parentId} name="parent" value={chosen} onChange={(event) => setParent(event.currentTarget.value)}>
            {parents.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
          {fieldError(error, "parent") ? <small class="error">{fieldError(error, "parent")}</small> : null}
        </label>
      </div>
      <ErrorMessage error={error} fields={["name", "parent"]} />
      <button type="submit" aria-busy={busy} disabled={busy}>
        Create branch
      </button>
    </form>
  );
}

const STATUS_LABEL: Record<MigrationT["status"], string> = { running: "running", applied: "applied", failed: "failed", reverting: "reverting" };

function Migrations({ base, branch, onApplied }: { base: string; branch: string; onApplied: () => void }) {
  const migrations = usePaged<MigrationT>(`${base}/migrations`, { branch });
  // A migration still running (or reverting) is followed until it ends.
  const unsettled = migrations.data?.data.some((m) => m.status === "running" || m.status === "reverting") ?? false;
  usePoll(migrations.reload, 2000, unsettled);
  return (
    <section aria-labelledby="db-migrations">
      <h2 id="db-migrations">Migrations</h2>
      <p>
        On <strong>{branch}</strong>, in the order they were applied. Each runs in one transaction; an applied migration never
        changes.
      </p>
      <LoadState loaded={migrations}>
        {() =>
          migrations.data?.data.length ? (
            <>
              <Table caption={`Migrations on ${branch}`} headers={["#", "Name", "Status", "Checksum (SHA-256)", "Applied"]}>
                {migrations.data.data.map((migration, i) => (
                  <tr key={migration.id}>
                    <td>{migrations.offset + i + 1}</td>
                    <th scope="row">
                      {migration.name}
                      <details>
                        <summary>SQL</summary>
                        <pre class="source">{migration.sql}</pre>
                      </details>
                    </th>
                    <td>
                      <span class={`status status-${migration.status}`}>{STATUS_LABEL[migration.status]}</span>
                      {migration.error ? (
                        <small class="error">
                          {" "}
                          {migration.error.message}
                          {migration.error.code ? ` (SQLSTATE ${migration.error.code})` : ""}
                        </small>
                      ) : null}
                    </td>
                    <td>
                      <code class="checksum">{migration.checksum}</code>
                    </td>
                    <td>{migration.applied_at ? formatDate(migration.applied_at) : <span class="null">not applied</span>}</td>
                  </tr>
                ))}
              </Table>
              <Pager page={migrations.data} offset={migrations.offset} limit={migrations.limit} setOffset={migrations.setOffset} label="Migrations" />
            </>
          ) : (
            <p>No migrations on {branch} yet.</p>
          )
        }
      </LoadState>
      <NewMigration
        base={base}
        branch={branch}
        onRan={() => {
          migrations.reload();
          onApplied();
        }}
      />
    </section>
  );
}

function NewMigration({ base, branch, onRan }: { base: string; branch: string; onRan: () => void }) {
  const [name, setName] = useState("");
  const [sql, setSql] = useState("");
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      try {
        await api<MigrationT>("POST", `${base}/migrations`, { body: { name, sql, branch } });
        setName("");
        setSql("");
      } finally {
        onRan(); // a failed migration is recorded too
      }
    });
  };
  return (
    <form onSubmit={submit}>
      <h3>Run a migration</h3>
      <Field label="Migration name" name="name" required value={name} onInput={setName} error={fieldError(error, "name")} hint="Letters, digits, '.', '_' and '-', e.g. 001_create_notes." />
      <TextArea label="Migration SQL" name="sql" rows={5} code required value={sql} onInput={setSql} error={fieldError(error, "sql")} hint={`Runs on ${branch} in one transaction.`} />
      <ErrorMessage error={error} fields={["name", "sql"]} />
      <button type="submit" aria-busy={busy} disabled={busy}>
        Run migration
      </button>
    </form>
  );
}
