// The project's deployments tab: the list (newest first, the current production deployment marked), a new deployment,
// a deployment's build log followed while it builds, and rollback to an earlier ready production deployment.
import { useEffect, useId, useState } from "preact/hooks";
import type { z } from "zod";
import type { Deployment as DeploymentSchema, DeploymentEnvironment as EnvironmentSchema, DeploymentLog as LogSchema } from "../../../../../contract/deployments";
import { api, seg, type Page } from "../../api";
import { ACTIONS, ConfirmButton, ErrorMessage, Field, LoadState, Pager, Table, fieldError, formatDate, useAction, useLoad, usePaged, usePoll } from "../../ui";
import type { TabProps } from "../projects";

type Deployment = z.infer<typeof DeploymentSchema>;
type Environment = z.infer<typeof EnvironmentSchema>;
type Log = z.infer<typeof LogSchema>;

/** How often a build in progress is looked at again: the API's budget is 100 requests a minute on the free plan. */
const FOLLOW_MS = 2000;
const inProgress = (status: Deployment["status"]) => status === "queued" || status === "building";

const ENVIRONMENT_MEANING: Record<Environment, string> = {
  production: "production: becomes the current release once it is ready",
  preview: "preview: built and kept apart from production",
};
const ENVIRONMENTS = Object.keys(ENVIRONMENT_MEANING) as Environment[];

export function DeploymentsTab({ project, reloadProject }: TabProps) {
  const base = `/projects/${seg(project.id)}/deployments`;
  const deployments = usePaged<Deployment>(base);
  /** The deployment whose build log is shown. */
  const [shown, setShown] = useState<string | null>(null);
  const list = deployments.data?.data ?? [];
  usePoll(deployments.reload, FOLLOW_MS, list.some((deployment) => inProgress(deployment.status)));
  // A production build that finished becomes current: the project, which the page marks by, is loaded again.
  const currentOnPage = list.find((deployment) => deployment.current)?.id;
  useEffect(() => {
    if (currentOnPage !== undefined && currentOnPage !== project.current_deployment_id) reloadProject();
  }, [currentOnPage, project.current_deployment_id]);
  const { error, run } = useAction();
  const rollback = (target: Deployment) =>
    run(async () => {
      const made = await api<Deployment>("POST", `${base}/${seg(target.id)}/rollback`);
      setShown(made.id);
      deployments.setOffset(0);
      deployments.reload();
      reloadProject();
    });
  const showLogs = (id: string) => {
    setShown(id);
    // Focus follows to the log the user asked for.
    requestAnimationFrame(() => document.getElementById("deployment-log-title")?.focus());
  };
  return (
    <>
      <section aria-labelledby="deployments-title">
        <h2 id="deployments-title">Deployments</h2>
        <p>
          A deployment captures the live version of every function and the variables of its environment. The newest ready production deployment is the one production runs,
          until you roll back to an earlier one.
        </p>
        <ErrorMessage error={error} />
        <LoadState loaded={deployments}>
          {() =>
            list.length ? (
              <>
                <Table caption="Deployments, newest first" headers={["Deployment", "Environment", "Status", "Created", "Ready", ACTIONS]}>
                  {list.map((deployment) => (
                    <DeploymentRow
                      key={deployment.id}
                      deployment={deployment}
                      production={deployment.id === project.current_deployment_id}
                      shown={deployment.id === shown}
                      onLogs={() => showLogs(deployment.id)}
                      onRollback={() => rollback(deployment)}
                    />
                  ))}
                </Table>
                <Pager page={deployments.data} offset={deployments.offset} limit={deployments.limit} setOffset={deployments.setOffset} label="Deployments" />
              </>
            ) : (
              <p>No deployments yet.</p>
            )
          }
        </LoadState>
      </section>
      {shown ? <DeploymentLogs key={shown} projectId={project.id} id={shown} known={list.find((deployment) => deployment.id === shown)} onClose={() => setShown(null)} /> : null}
      <NewDeployment
        projectId={project.id}
        onCreated={(made) => {
          setShown(made.id);
          deployments.setOffset(0);
          deployments.reload();
        }}
      />
    </>
  );
}

function DeploymentRow({ deployment, production, shown, onLogs, onRollback }: { deployment: Deployment; production: boolean; shown: boolean; onLogs: () => void; onRollback: () => Promise<unknown> }) {
  // Only a ready production deployment that is not the current one can be rolled back to.
  const canRollBack = deployment.status === "ready" && deployment.environment === "production" && !production;
  return (
    <tr>
      <td>
        <code>{deployment.id}</code>
        {deployment.ref || deployment.commit ? (
          <>
            <br />
            <small>{[deployment.ref, deployment.commit].filter(Boolean).join(" · ")}</small>
          </>
        ) : null}
        {deployment.rollback_of ? (
          <>
            <br />
            <small>
              Rollback of <code>{deployment.rollback_of}</code>
            </small>
          </>
        ) : null}
      </td>
      <td>{deployment.environment}</td>
      <td>
        <span aria-busy={inProgress(deployment.status) ? "true" : undefined}>{deployment.status}</span>
        {production ? <span class="badge production">Production</span> : null}
        {deployment.error ? (
          <>
            <br />
            <small class="error">{deployment.error}</small>
          </>
        ) : null}
      </td>
      <td>{formatDate(deployment.created_at)}</td>
      <td>{deployment.ready_at ? formatDate(deployment.ready_at) : "—"}</td>
      <td>
        <div class="actions">
          <button type="button" class="outline" aria-label={`Logs of ${deployment.id}`} aria-pressed={shown ? "true" : "false"} onClick={onLogs}>
            Logs
          </button>
          {canRollBack ? (
            <ConfirmButton
              label="Roll back"
              subject={`to ${deployment.id}`}
              question={`Roll production back to ${deployment.id}${deployment.ref ? ` (${deployment.ref})` : ""}, created ${formatDate(deployment.created_at)}? A new deployment restores the function versions and production variables it captured; variables added since leave production (other environments keep them).`}
              onConfirm={onRollback}
            />
          ) : null}
        </div>
      </td>
    </tr>
  );
}

/** Every line of a deployment's log, oldest first (a build writes a few; pages of 100 up to 1,000). */
async function allLogs(projectId: string, id: string): Promise<Log[]> {
  const lines: Log[] = [];
  for (let offset = 0; offset < 1000; ) {
    const page = await api<Page<Log>>("GET", `/projects/${seg(projectId)}/deployments/${seg(id)}/logs`, { query: { limit: 100, offset } });
    lines.push(...page.data);
    if (!page.pagination.has_more || page.data.length === 0) break;
    offset += page.data.length;
  }
  return lines;
}

/**
 * A deployment's build log, loaded again while it builds. Its status comes from the list when it is on the page shown
 * (the list is followed there), else it is loaded here with the log; the log is loaded once more when the status
 * changes, so its last lines are never missed.
 */
function DeploymentLogs({ projectId, id, known, onClose }: { projectId: string; id: string; known: Deployment | undefined; onClose: () => void }) {
  const loaded = useLoad(async () => {
    const [lines, own] = await Promise.all([allLogs(projectId, id), known ? undefined : api<Deployment>("GET", `/projects/${seg(projectId)}/deployments/${seg(id)}`)]);
    return { lines, own };
  }, `${id}:${known?.status ?? ""}`);
  const deployment = known ?? loaded.data?.own;
  const following = deployment === undefined || inProgress(deployment.status);
  usePoll(loaded.reload, FOLLOW_MS, following);
  const logId = useId();
  return (
    <section aria-labelledby="deployment-log-title">
      <h2 id="deployment-log-title" tabIndex={-1}>
        Build log of <code>{id}</code>
      </h2>
      <p role="status">
        {deployment ? (
          <>
            Status: <strong>{deployment.status}</strong>
            {following ? " — following the build…" : null}
          </>
        ) : null}
      </p>
      <LoadState loaded={loaded}>
        {() =>
          loaded.data?.lines.length ? (
            <pre class="log" id={logId} role="log" aria-label={`Build log of ${id}`} tabIndex={0}>
              {loaded.data.lines.map((line) => `${new Date(line.timestamp).toLocaleTimeString()}  ${line.level.toUpperCase().padEnd(5)}  ${line.message}\n`).join("")}
            </pre>
          ) : (
            <p>No log lines yet.</p>
          )
        }
      </LoadState>
      <button type="button" class="secondary outline" onClick={onClose}>
        Close log
      </button>
    </section>
  );
}

function NewDeployment({ projectId, onCreated }: { projectId: string; onCreated: (made: Deployment) => void }) {
  const [environment, setEnvironment] = useState<Environment>("production");
  const [ref, setRef] = useState("");
  const [commit, setCommit] = useState("");
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const body: { environment: Environment; ref?: string; commit?: string } = { environment };
      if (ref.trim()) body.ref = ref.trim();
      if (commit.trim()) body.commit = commit.trim();
      const made = await api<Deployment>("POST", `/projects/${seg(projectId)}/deployments`, { body });
      setRef("");
      setCommit("");
      onCreated(made);
    });
  };
  return (
    <section aria-labelledby="new-deployment-title">
      <h2 id="new-deployment-title">New deployment</h2>
      <form onSubmit={submit}>
        <fieldset>
          <legend>Environment</legend>
          {ENVIRONMENTS.map((name) => (
            <label key={name}>
              <input type="radio" name="environment" value={name} checked={environment === name} onChange={() => setEnvironment(name)} />
              {ENVIRONMENT_MEANING[name]}
            </label>
          ))}
        </fieldset>
        <div class="grid">
          <Field label="Git ref (optional)" name="ref" value={ref} onInput={setRef} error={fieldError(error, "ref")} hint="e.g. main or v1.2.0: shown with the deployment." />
          <Field label="Commit (optional)" name="commit" value={commit} onInput={setCommit} error={fieldError(error, "commit")} />
        </div>
        <ErrorMessage error={error} fields={["commit", "ref"]} />
        <button type="submit" aria-busy={busy} disabled={busy}>
          Create deployment
        </button>
      </form>
    </section>
  );
}
