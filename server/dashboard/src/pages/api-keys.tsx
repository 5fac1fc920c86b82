// Settings → API keys: create one scoped to projects and permissions (its secret shown once), list, revoke.
import { useState } from "preact/hooks";
import type { ApiKey } from "../../../../contract/api-keys";
import type { Project } from "../../../../contract/projects";
import { api, seg, type Page } from "../api";
import { ACTIONS, ConfirmButton, CopyButton, ErrorMessage, Field, LoadState, Pager, Table, fieldError, formatDate, useAction, useLoad, usePaged } from "../ui";

type Permission = ApiKey["permissions"][number];
/**
 * Permissions are levels, each including the ones before it (the API reads a key made with "write" as able to read),
 * so a key is given the highest it needs (a Record, so the compiler holds it to the contract's permissions).
 */
const ACCESS_LEVEL: Record<Permission, string> = {
  read: "Read only: list and get",
  write: "Read and write: also create, change and delete resources, and run SQL",
  admin: "Full: also manage organizations, members and API keys",
};
const LEVELS = Object.keys(ACCESS_LEVEL) as Permission[];
/** A level and every level below it, as the key is created with. */
const upTo = (level: Permission) => LEVELS.slice(0, LEVELS.indexOf(level) + 1);

export function ApiKeys() {
  const keys = usePaged<ApiKey>("/api-keys");
  const projects = useLoad(() => api<Page<Project>>("GET", "/projects", { query: { limit: 100 } }), "projects");
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  const projectName = (id: string) => projects.data?.data.find((project) => project.id === id)?.name ?? id;
  const { error, run } = useAction();
  const revoke = (key: ApiKey) => run(async () => {
    await api("DELETE", `/api-keys/${seg(key.id)}`);
    keys.reload();
  });
  return (
    <>
      <h1>API keys</h1>
      <p>An API key lets Pulumi, CI jobs and scripts call the Lubes API as you, limited to the projects and permissions you give it.</p>
      {created ? <NewSecret created={created} onDone={() => setCreated(null)} /> : null}
      <ErrorMessage error={error} />
      <LoadState loaded={keys}>
        {() =>
          keys.data?.data.length ? (
            <>
              <Table caption="API keys" headers={["Name", "Key", "Projects", "Permissions", "Created", "Last used", ACTIONS]}>
                {keys.data.data.map((key) => (
                  <tr key={key.id}>
                    <td>{key.name}</td>
                    <td>
                      <code>{key.prefix}…</code>
                    </td>
                    <td>{key.projects === "*" ? "All projects" : key.projects.map(projectName).join(", ")}</td>
                    <td>{key.permissions.join(", ")}</td>
                    <td>{formatDate(key.created_at)}</td>
                    <td>{formatDate(key.last_used_at)}</td>
                    <td>
                      <ConfirmButton label="Revoke" subject={key.name} question={`Revoke "${key.name}"? Anything using it stops working at once.`} onConfirm={() => revoke(key)} />
                    </td>
                  </tr>
                ))}
              </Table>
              <Pager page={keys.data} offset={keys.offset} limit={keys.limit} setOffset={keys.setOffset} label="API keys" />
            </>
          ) : (
            <p>No API keys yet.</p>
          )
        }
      </LoadState>
      <NewKey
        projects={projects.data?.data ?? []}
        onCreated={(key) => {
          setCreated(key);
          keys.reload();
        }}
      />
    </>
  );
}

/** The secret, shown this once: the API keeps only its hash. */
function NewSecret({ created, onDone }: { created: ApiKey & { key: string }; onDone: () => void }) {
  return (
    <article aria-labelledby="new-key-title">
      <h2 id="new-key-title">Your new key "{created.name}"</h2>
      <p class="warning" role="alert">
        Copy this key now: it is shown only once, and Lubes cannot show it again. Keep it secret, as you would a
        password.
      </p>
      <p>
        <output class="secret" aria-label="New API key">
          {created.key}
        </output>
      </p>
      <div class="actions">
        <CopyButton text={created.key} label="Copy key" />
        <button type="button" onClick={onDone}>
          I have stored it
        </button>
      </div>
    </article>
  );
}

function NewKey({ projects, onCreated }: { projects: Project[]; onCreated: (key: ApiKey & { key: string }) => void }) {
  const [name, setName] = useState("");
  const [allProjects, setAllProjects] = useState(true);
  const [chosen, setChosen] = useState<string[]>([]);
  const [level, setLevel] = useState<Permission>("write");
  const { busy, error, run } = useAction();
  const toggle = <T,>(list: T[], item: T) => (list.includes(item) ? list.filter((other) => other !== item) : [...list, item]);
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const key = await api<ApiKey & { key: string }>("POST", "/api-keys", { body: { name, projects: allProjects ? "*" : chosen, permissions: upTo(level) } });
      setName("");
      onCreated(key);
    });
  };
  return (
    <section>
      <h2>New API key</h2>
      <form onSubmit={submit}>
        <Field label="Key name" name="name" required value={name} onInput={setName} error={fieldError(error, "name")} hint="What uses it, e.g. 'CI deploy'." />
        <fieldset>
          <legend>Projects</legend>
          <label>
            <input type="radio" name="scope" checked={allProjects} onChange={() => setAllProjects(true)} />
            All projects, present and future
          </label>
          <label>
            <input type="radio" name="scope" checked={!allProjects} onChange={() => setAllProjects(false)} />
            Only the projects chosen below
          </label>
          {allProjects ? null : (
            <fieldset aria-label="Chosen projects">
              {projects.length === 0 ? <p>You have no projects yet.</p> : null}
              {projects.map((project) => (
                <label key={project.id}>
                  <input type="checkbox" name="projects" value={project.id} checked={chosen.includes(project.id)} onChange={() => setChosen(toggle(chosen, project.id))} />
                  {project.name}
                </label>
              ))}
              {fieldError(error, "projects") ? <small class="error">{fieldError(error, "projects")}</small> : null}
            </fieldset>
          )}
        </fieldset>
        <fieldset>
          <legend>Access</legend>
          {LEVELS.map((permission) => (
            <label key={permission}>
              <input type="radio" name="access" value={permission} checked={level === permission} onChange={() => setLevel(permission)} />
              {ACCESS_LEVEL[permission]}
            </label>
          ))}
          {fieldError(error, "permissions") ? <small class="error">{fieldError(error, "permissions")}</small> : null}
        </fieldset>
        <ErrorMessage error={error} fields={["name", "permissions", "projects"]} />
        <button type="submit" aria-busy={busy} disabled={busy}>
          Create key
        </button>
      </form>
    </section>
  );
}
