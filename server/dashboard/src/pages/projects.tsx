// Projects: the list, a new project, and a project's page with one tab per area.
import { useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import type { Organization } from "../../../../contract/organizations";
import type { Project } from "../../../../contract/projects";
import { api, seg, type Page } from "../api";
import { ConfirmButton, ErrorMessage, Field, LoadState, Pager, Table, fieldError, formatDate, useAction, useLoad, usePaged, usePageHeading } from "../ui";
import { DatabaseTab } from "./project/database";
import { DeploymentsTab } from "./project/deployments";
import { EnvTab } from "./project/env";
import { FunctionsTab } from "./project/functions";
import { StorageTab } from "./project/storage";

/** Every organization the user belongs to (a person has few; 100 is the API's largest page). */
export const loadOrganizations = () => api<Page<Organization>>("GET", "/organizations", { query: { limit: 100 } });

export function Projects() {
  const projects = usePaged<Project>("/projects");
  const organizations = useLoad(loadOrganizations, "organizations");
  const orgName = (id: string) => organizations.data?.data.find((org) => org.id === id)?.name ?? id;
  return (
    <>
      <h1>Projects</h1>
      <LoadState loaded={projects}>
        {() =>
          projects.data?.data.length ? (
            <>
              <Table caption="Projects" headers={["Name", "Organization", "Created"]}>
                {projects.data.data.map((project) => (
                  <tr key={project.id}>
                    <td>
                      <a href={`/projects/${project.id}`}>{project.name}</a>
                    </td>
                    <td>{orgName(project.organization_id)}</td>
                    <td>{formatDate(project.created_at)}</td>
                  </tr>
                ))}
              </Table>
              <Pager page={projects.data} offset={projects.offset} limit={projects.limit} setOffset={projects.setOffset} label="Projects" />
            </>
          ) : (
            <p>No projects yet.</p>
          )
        }
      </LoadState>
      <NewProject organizations={organizations.data?.data} />
    </>
  );
}

function NewProject({ organizations }: { organizations: Organization[] | undefined }) {
  const { route } = useLocation();
  const [name, setName] = useState("");
  const [organizationId, setOrganizationId] = useState("");
  const { busy, error, run } = useAction();
  if (organizations && organizations.length === 0) {
    return (
      <p class="notice">
        A project belongs to an organization: <a href="/organizations">create an organization</a> first.
      </p>
    );
  }
  const chosen = organizationId || organizations?.[0]?.id || "";
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const project = await api<Project>("POST", "/projects", { body: { name, organization_id: chosen } });
      route(`/projects/${project.id}`);
    });
  };
  return (
    <section>
      <h2>New project</h2>
      <form onSubmit={submit}>
        <div class="grid">
          <Field label="Project name" name="name" required value={name} onInput={setName} error={fieldError(error, "name")} />
          <label>
            Organization
            <select name="organization_id" value={chosen} onChange={(event) => setOrganizationId(event.currentTarget.value)}>
              {(organizations ?? []).map((org) => (
                <option key={org.id} value={org.id}>
                  {org.name} ({org.plan})
                </option>
              ))}
            </select>
          </label>
        </div>
        <ErrorMessage error={error} fields={["name"]} />
        <button type="submit" aria-busy={busy} disabled={busy || !chosen}>
          Create project
        </button>
      </form>
    </section>
  );
}

const TABS = [
  { tab: "database", label: "Database", component: DatabaseTab },
  { tab: "functions", label: "Functions", component: FunctionsTab },
  { tab: "storage", label: "Storage", component: StorageTab },
  { tab: "deployments", label: "Deployments", component: DeploymentsTab },
  { tab: "env", label: "Environment variables", component: EnvTab },
] as const;

export function ProjectPage() {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = params["id"] ?? "";
  const current = TABS.find((tab) => tab.tab === params["tab"]) ?? TABS[0];
  const project = useLoad(() => api<Project>("GET", `/projects/${seg(id)}`), id);
  const heading = usePageHeading(project.data !== undefined);
  const remove = async () => {
    await api("DELETE", `/projects/${seg(id)}`);
    route("/projects");
  };
  const Tab = current.component;
  return (
    <LoadState loaded={project}>
      {() =>
        project.data ? (
          <>
            <nav aria-label="breadcrumb">
              <ul>
                <li>
                  <a href="/projects">Projects</a>
                </li>
                <li>{project.data.name}</li>
              </ul>
            </nav>
            <div class="row">
              <h1 ref={heading}>{project.data.name}</h1>
              <code>{project.data.id}</code>
            </div>
            <ul class="tabs" aria-label="Project areas">
              {TABS.map((tab) => (
                <li key={tab.tab}>
                  <a href={`/projects/${id}/${tab.tab}`} aria-current={tab === current ? "page" : undefined}>
                    {tab.label}
                  </a>
                </li>
              ))}
            </ul>
            <Tab project={project.data} reloadProject={project.reload} />
            <details>
              <summary>Danger zone</summary>
              <ConfirmButton label="Delete project" typed={project.data.name} question={`Delete ${project.data.name} with its database, functions, storage, deployments and variables? This cannot be undone.`} onConfirm={remove} />
            </details>
          </>
        ) : null
      }
    </LoadState>
  );
}

/** What every project tab receives. */
export interface TabProps {
  project: Project;
  /** Loads the project again: a deployment or rollback changes its current deployment. */
  reloadProject: () => void;
}
