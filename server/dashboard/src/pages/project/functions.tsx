// The project's functions: the list, a new function, and one function's page: its source, the live version and
// deploying, invoking it with a request of one's own, and its logs as they come (polled every 2 s).
import { useEffect, useRef, useState } from "preact/hooks";
import type { ANY_METHODS } from "../../../../../contract/common";
import type { FunctionLog, FunctionVersion, LubesFunction } from "../../../../../contract/functions";
import type { z } from "zod";
import { api, apiResponse, seg, type Page } from "../../api";
import { ConfirmButton, CopyButton, ErrorMessage, Field, LoadState, Pager, Table, TextArea, fieldError, formatDate, useAction, useLoad, usePaged, usePoll, type Loaded, useQueryState } from "../../ui";
import type { TabProps } from "../projects";

type Fn = z.infer<typeof LubesFunction>;
type Version = z.infer<typeof FunctionVersion>;
type LogLine = z.infer<typeof FunctionLog>;

/** Every runtime the contract allows (a Record, so the compiler holds it to the contract), by what it reads as. */
const RUNTIME_LABEL: Record<Fn["runtime"], string> = { nodejs20: "Node.js 20" };
const RUNTIMES = Object.keys(RUNTIME_LABEL) as Fn["runtime"][];

const liveLabel = (fn: Fn) => (fn.live_version === null ? "not deployed" : `version ${fn.live_version}`);

export function FunctionsTab({ project }: TabProps) {
  const base = `/projects/${seg(project.id)}/functions`;
  const functions = usePaged<Fn>(base);
  const [selected, setSelected] = useQueryState("function");
  return (
    <>
      <section aria-labelledby="fn-list">
        <h2 id="fn-list">Functions</h2>
        <LoadState loaded={functions}>
          {() =>
            functions.data?.data.length ? (
              <>
                <Table caption="Functions" headers={["Slug", "Name", "Runtime", "Live", "Updated"]}>
                  {functions.data.data.map((fn) => (
                    <tr key={fn.id}>
                      <th scope="row">
                        <button type="button" class="link" aria-current={selected === fn.slug ? "true" : undefined} onClick={() => setSelected(fn.slug)}>
                          {fn.slug}
                        </button>
                      </th>
                      <td>{fn.name}</td>
                      <td>{fn.runtime}</td>
                      <td>{liveLabel(fn)}</td>
                      <td>{formatDate(fn.updated_at)}</td>
                    </tr>
                  ))}
                </Table>
                <Pager page={functions.data} offset={functions.offset} limit={functions.limit} setOffset={functions.setOffset} label="Functions" />
              </>
            ) : (
              <p>No functions yet: create one below.</p>
            )
          }
        </LoadState>
      </section>
      {selected ? (
        <FunctionPage
          key={selected}
          base={base}
          slug={selected}
          onChanged={functions.reload}
          onDeleted={() => {
            setSelected(null);
            functions.reload();
          }}
        />
      ) : null}
      <NewFunction
        base={base}
        onCreated={(fn) => {
          functions.reload();
          setSelected(fn.slug);
        }}
      />
    </>
  );
}

const TEMPLATE = `export default async (request, env) => {
  console.log("invoked with", request.method);
  return new Response(JSON.stringify({ hello: "world" }), {
    headers: { "content-type": "application/json" },
  });
};
`;

function NewFunction({ base, onCreated }: { base: string; onCreated: (fn: Fn) => void }) {
  const [slug, setSlug] = useState("");
  const [name, setName] = useState("");
  const [runtime, setRuntime] = useState<Fn["runtime"]>("nodejs20");
  const [source, setSource] = useState(TEMPLATE);
  const [timeout, setTimeoutMs] = useState("10000");
  const [memory, setMemory] = useState("128");
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const body = { slug, runtime, source, timeout_ms: Number(timeout), memory_mb: Number(memory), ...(name.trim() ? { name: name.trim() } : {}) };
      const fn = await api<Fn>("POST", base, { body });
      setSlug("");
      setName("");
      setSource(TEMPLATE);
      onCreated(fn);
    });
  };
  return (
    <section aria-labelledby="fn-new">
      <h2 id="fn-new">New function</h2>
      <form onSubmit={submit}>
        <div class="grid">
          <Field label="Slug" name="slug" required value={slug} onInput={setSlug} error={fieldError(error, "slug")} hint="Lowercase letters, digits and '-': it is in the function's URL." />
          <Field label="Name (optional)" name="name" value={name} onInput={setName} error={fieldError(error, "name")} hint="Shown instead of the slug; the slug when left empty." />
        </div>
        <TextArea
          label="Source"
          name="source"
          rows={10}
          code
          required
          value={source}
          onInput={setSource}
          error={fieldError(error, "source")}
          hint="An ES module whose default export takes a Request (and the project's production variables as env) and answers a Response."
        />
        <div class="grid">
          <label>
            Runtime
            <select name="runtime" value={runtime} onChange={(event) => setRuntime(event.currentTarget.value as Fn["runtime"])}>
              {RUNTIMES.map((option) => (
                <option key={option} value={option}>
                  {RUNTIME_LABEL[option]} ({option})
                </option>
              ))}
            </select>
          </label>
          <Field label="Timeout (ms)" name="timeout_ms" type="number" required value={timeout} onInput={setTimeoutMs} error={fieldError(error, "timeout_ms")} hint="100 to 60000." />
          <Field label="Memory (MB)" name="memory_mb" type="number" required value={memory} onInput={setMemory} error={fieldError(error, "memory_mb")} hint="16 to 1024." />
        </div>
        <ErrorMessage error={error} fields={["memory_mb", "name", "slug", "source", "timeout_ms"]} />
        <button type="submit" aria-busy={busy} disabled={busy}>
          Create function
        </button>
      </form>
    </section>
  );
}

function FunctionPage({ base, slug, onChanged, onDeleted }: { base: string; slug: string; onChanged: () => void; onDeleted: () => void }) {
  const path = `${base}/${seg(slug)}`;
  const fn = useLoad(() => api<Fn>("GET", path), path);
  const logs = useLoad(() => api<Page<LogLine>>("GET", `${path}/logs`, { query: { limit: LOG_LINES } }), `${path}/logs`);
  const [deployed, setDeployed] = useState<Version | null>(null);
  const deploy = useAction();
  const heading = useRef<HTMLHeadingElement>(null);
  // Opening a function moves focus to it, so the keyboard and a screen reader follow the choice.
  useEffect(() => heading.current?.focus(), [slug]);
  const runDeploy = () =>
    void deploy.run(async () => {
      setDeployed(null);
      try {
        // A deploy ships the server's draft: if it changed since this page showed it, show it first.
        const draft = await api<Fn>("GET", path);
        if (draft.source_sha256 !== fn.data?.source_sha256) {
          throw new Error("The draft changed since this page loaded (someone or something updated it): it is shown now. Review it, then deploy.");
        }
        setDeployed(await api<Version>("POST", `${path}/deploy`));
      } finally {
        fn.reload();
        logs.reload(); // a deploy logs what it found, failed or not
        onChanged();
      }
    });
  const remove = async () => {
    await api("DELETE", path);
    onDeleted();
  };
  return (
    <section aria-labelledby="fn-current" class="function-page">
      <h2 id="fn-current" ref={heading} tabIndex={-1}>
        Function <code>{slug}</code>
      </h2>
      <LoadState loaded={fn}>
        {() =>
          fn.data ? (
            <>
              <ul class="facts">
                <li>Name: {fn.data.name}</li>
                <li>Runtime: {fn.data.runtime}</li>
                <li>
                  Live: <strong>{liveLabel(fn.data)}</strong>
                </li>
                <li>Timeout: {fn.data.timeout_ms} ms</li>
                <li>Memory: {fn.data.memory_mb} MB</li>
                <li>Updated: {formatDate(fn.data.updated_at)}</li>
              </ul>
              <div class="actions">
                <button type="button" aria-busy={deploy.busy} disabled={deploy.busy} onClick={runDeploy}>
                  Deploy
                </button>
                <ConfirmButton label={`Delete ${slug}`} confirm="Delete function" question={`Delete the function ${slug} with its versions and logs? Whatever calls it gets 404 from now on.`} onConfirm={remove} />
              </div>
              {deployed ? (
                <p role="status" class="notice">
                  Deployed version {deployed.version}: it is live. Checksum <code class="checksum">{deployed.checksum}</code>, {formatDate(deployed.deployed_at)}.
                </p>
              ) : null}
              <ErrorMessage error={deploy.error} />
              <h3>Source</h3>
              <p>
                The current draft, SHA-256 <code class="checksum">{fn.data.source_sha256}</code>. Deploying makes it a new
                version and that version live; {fn.data.live_version === null ? "nothing is deployed yet." : `version ${fn.data.live_version} runs now.`}
              </p>
              <pre class="source" tabIndex={0} aria-label={`Source of ${slug}`}>
                <code>{fn.data.source}</code>
              </pre>
              {/* Keyed by the live version: a deploy loads the list anew. */}
              <Versions key={fn.data.live_version ?? 0} path={path} />
              <h3>Invoke URL</h3>
              <p>
                Any method, with an API key or session token that may read the project: <code class="secret">{`${location.origin}/v1${path}/invoke`}</code>{" "}
                <CopyButton text={`${location.origin}/v1${path}/invoke`} label="Copy URL" />
              </p>
              <Invoke path={path} live={fn.data.live_version !== null} onInvoked={logs.reload} />
            </>
          ) : null
        }
      </LoadState>
      <Logs slug={slug} logs={logs} />
    </section>
  );
}

/** The deployed versions, newest first, the live one marked. */
function Versions({ path }: { path: string }) {
  const versions = usePaged<Version>(`${path}/versions`);
  return (
    <>
      <h3>Versions</h3>
      <LoadState loaded={versions}>
        {() =>
          versions.data?.data.length ? (
            <>
              <Table caption="Deployed versions" headers={["Version", "Deployed", "Checksum (SHA-256)"]}>
                {versions.data.data.map((version) => (
                  <tr key={version.version}>
                    <td>
                      {version.version} {version.live ? <span class="badge">live</span> : null}
                    </td>
                    <td>{formatDate(version.deployed_at)}</td>
                    <td>
                      <code class="checksum">{version.checksum}</code>
                    </td>
                  </tr>
                ))}
              </Table>
              <Pager page={versions.data} offset={versions.offset} limit={versions.limit} setOffset={versions.setOffset} label="Versions" />
            </>
          ) : (
            <p>No version deployed yet.</p>
          )
        }
      </LoadState>
    </>
  );
}

type Method = (typeof ANY_METHODS)[number];
/** Every method an invocation is served for (a Record, so the compiler holds it to the contract), and whether it carries a body. */
const HAS_BODY: Record<Method, boolean> = { GET: false, POST: true, PUT: true, PATCH: true, DELETE: true, OPTIONS: true };
const METHODS = Object.keys(HAS_BODY) as Method[];

interface Invocation {
  method: string;
  status: number;
  statusText: string;
  version: string | null;
  invocationId: string | null;
  contentType: string | null;
  body: string;
  /** When the API answered instead of the function (never deployed, a throw, a timeout…): its message. */
  apiMessage: string | null;
}

/** The message of the API's error envelope, when a failed invocation's body is one. */
function envelopeMessage(status: number, body: string): string | null {
  if (status < 400) return null;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    return typeof parsed.error?.code === "string" && typeof parsed.error.message === "string" ? parsed.error.message : null;
  } catch {
    return null;
  }
}

/** A JSON body pretty-printed; anything else as it came. */
function readable(body: string, contentType: string | null): string {
  if (!contentType?.includes("json")) return body;
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function Invoke({ path, live, onInvoked }: { path: string; live: boolean; onInvoked: () => void }) {
  const [method, setMethod] = useState<Method>("POST");
  const [contentType, setContentType] = useState("application/json");
  const [body, setBody] = useState("");
  const [answer, setAnswer] = useState<Invocation | null>(null);
  const { busy, error, run } = useAction();
  const hasBody = HAS_BODY[method];
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      setAnswer(null);
      // The body goes to the function as it was typed, with the chosen Content-Type.
      const response = await apiResponse(method, `${path}/invoke`, hasBody && body !== "" ? { raw: { body, contentType } } : {});
      const text = await response.text();
      setAnswer({
        method,
        status: response.status,
        statusText: response.statusText,
        version: response.headers.get("x-lubes-function-version"),
        invocationId: response.headers.get("x-lubes-invocation-id"),
        contentType: response.headers.get("content-type"),
        body: text,
        apiMessage: envelopeMessage(response.status, text),
      });
      onInvoked();
    });
  };
  return (
    <form onSubmit={submit} class="invoke">
      <h3>Invoke</h3>
      {live ? null : <p class="notice">Deploy the function first: an invocation runs the live version.</p>}
      <div class="grid">
        <label>
          Method
          <select name="method" value={method} onChange={(event) => setMethod(event.currentTarget.value as Method)}>
            {METHODS.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
        </label>
        {hasBody ? <Field label="Content-Type" name="content_type" value={contentType} onInput={setContentType} /> : null}
      </div>
      {hasBody ? <TextArea label="Request body" name="body" rows={4} code value={body} onInput={setBody} hint="Sent as it is, as the request's body." /> : <p>A {method} request has no body.</p>}
      <button type="submit" aria-busy={busy} disabled={busy}>
        Invoke
      </button>
      <ErrorMessage error={error} />
      {answer ? (
        <div class="invocation" role="status" aria-label="Response">
          <p>
            Response: <strong class={answer.status >= 400 ? "error" : undefined}>{answer.status} {answer.statusText}</strong>
            {answer.version ? ` from version ${answer.version}` : ""}
            {answer.invocationId ? (
              <>
                , invocation <code>{answer.invocationId}</code>
              </>
            ) : null}
            {answer.contentType ? (
              <>
                , <code>{answer.contentType}</code>
              </>
            ) : null}
          </p>
          {answer.apiMessage ? <p class="error">{answer.apiMessage}</p> : null}
          {answer.body === "" ? (
            <p>(empty body)</p>
          ) : (
            <pre class="log" tabIndex={0} aria-label="Response body">
              {readable(answer.body, answer.contentType)}
            </pre>
          )}
        </div>
      ) : null}
    </form>
  );
}

const LOG_LINES = 100;
const FOLLOW_MS = 2000;

function Logs({ slug, logs }: { slug: string; logs: Loaded<Page<LogLine>> }) {
  const [follow, setFollow] = useState(true);
  usePoll(logs.reload, FOLLOW_MS, follow);
  return (
    <section aria-labelledby="fn-logs">
      <h3 id="fn-logs">Logs</h3>
      <div class="row">
        <p>Newest first: the latest {LOG_LINES} lines, deploy results and console output of invocations.</p>
        <label>
          <input type="checkbox" role="switch" name="follow" checked={follow} onChange={(event) => setFollow(event.currentTarget.checked)} />
          Follow new lines (every {FOLLOW_MS / 1000} s)
        </label>
      </div>
      <LoadState loaded={logs}>
        {() =>
          logs.data?.data.length ? (
            <Table caption={`Logs of ${slug}, newest first`} headers={["Time", "Level", "Kind", "Version", "Message"]}>
              {logs.data.data.map((line, i) => (
                <tr key={`${line.timestamp}:${i}:${line.message}`} class={`log-${line.level}`}>
                  <td>{formatDate(line.timestamp)}</td>
                  <td>{line.level}</td>
                  <td>{line.kind}</td>
                  <td>{line.version ?? ""}</td>
                  <td>
                    <pre class="log-message">{line.message}</pre>
                  </td>
                </tr>
              ))}
            </Table>
          ) : (
            <p>No log lines yet.</p>
          )
        }
      </LoadState>
    </section>
  );
}
