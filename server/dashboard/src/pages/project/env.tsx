// The project's environment variables tab: the list (a sensitive value is never sent by the API, so never shown), add,
// edit (value, sensitivity, environments) and delete.
import { useEffect, useId, useRef, useState } from "preact/hooks";
import type { EnvVar } from "../../../../../contract/env";
import { ApiError, api, seg } from "../../api";
import { ACTIONS, ConfirmButton, ErrorMessage, Field, LoadState, Pager, Table, TextArea, fieldError, formatDate, useAction, usePaged } from "../../ui";
import type { TabProps } from "../projects";

type Environment = EnvVar["environments"][number];
/** Every environment with what runs in it (a Record, so the compiler holds it to the contract's environments). */
const ENVIRONMENT_MEANING: Record<Environment, string> = {
  production: "production",
  preview: "preview",
  development: "development",
};
const ENVIRONMENTS = Object.keys(ENVIRONMENT_MEANING) as Environment[];

/** How much of a long value the list shows. */
const SHOWN_CHARS = 120;

export function EnvTab({ project }: TabProps) {
  const base = `/projects/${seg(project.id)}/env`;
  const variables = usePaged<EnvVar>(base);
  const [editing, setEditing] = useState<EnvVar | null>(null);
  const { error, run } = useAction();
  const remove = (variable: EnvVar) =>
    run(async () => {
      await api("DELETE", `${base}/${seg(variable.key)}`);
      if (editing?.key === variable.key) setEditing(null);
      variables.reload();
    });
  return (
    <>
      <section aria-labelledby="env-title">
        <h2 id="env-title">Environment variables</h2>
        <p>Functions read these at run time; a deployment captures those of its environment. A sensitive value is write-only: once set, Lubes never shows it again.</p>
        <ErrorMessage error={error} />
        <LoadState loaded={variables}>
          {() =>
            variables.data?.data.length ? (
              <>
                <Table caption="Environment variables" headers={["Key", "Value", "Sensitive", "Environments", "Updated", ACTIONS]}>
                  {variables.data.data.map((variable) => (
                    <tr key={variable.key}>
                      <td>
                        <code>{variable.key}</code>
                      </td>
                      <td>
                        <Value variable={variable} />
                      </td>
                      <td>{variable.sensitive ? <span class="badge">sensitive</span> : "no"}</td>
                      <td>{variable.environments.join(", ")}</td>
                      <td>{formatDate(variable.updated_at)}</td>
                      <td>
                        <div class="actions">
                          <button type="button" class="outline" aria-label={`Edit ${variable.key}`} onClick={() => setEditing(variable)}>
                            Edit
                          </button>
                          <ConfirmButton label="Delete variable" subject={variable.key} confirm="Delete" question={`Delete ${variable.key} from every environment? Functions stop seeing it at once.`} onConfirm={() => remove(variable)} />
                        </div>
                      </td>
                    </tr>
                  ))}
                </Table>
                <Pager page={variables.data} offset={variables.offset} limit={variables.limit} setOffset={variables.setOffset} label="Environment variables" />
              </>
            ) : (
              <p>No environment variables yet.</p>
            )
          }
        </LoadState>
      </section>
      {editing ? (
        <VariableForm
          key={editing.key}
          base={base}
          editing={editing}
          onSaved={() => {
            setEditing(null);
            variables.reload();
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <VariableForm key="new" base={base} editing={null} onSaved={variables.reload} />
    </>
  );
}

function Value({ variable }: { variable: EnvVar }) {
  // The API answers null for a sensitive value: there is nothing to hide here, only nothing to show.
  if (variable.sensitive || variable.value === null) {
    return (
      <>
        <span aria-hidden="true">••••••••</span>
        <span class="visually-hidden">hidden</span>
      </>
    );
  }
  const long = variable.value.length > SHOWN_CHARS;
  return <code class="secret">{long ? `${variable.value.slice(0, SHOWN_CHARS)}…` : variable.value}</code>;
}

/** Adds a variable (`editing` null) or sets an existing one again: its value, sensitivity and environments. */
function VariableForm({ base, editing, onSaved, onCancel }: { base: string; editing: EnvVar | null; onSaved: () => void; onCancel?: () => void }) {
  const [key, setKey] = useState(editing?.key ?? "");
  // A sensitive value is never sent back: it must be given again to change anything else.
  const [value, setValue] = useState(editing && !editing.sensitive ? (editing.value ?? "") : "");
  const [sensitive, setSensitive] = useState(editing?.sensitive ?? false);
  const [environments, setEnvironments] = useState<Environment[]>(editing?.environments ?? [...ENVIRONMENTS]);
  const { busy, error, run } = useAction();
  const titleId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (editing) heading.current?.focus();
  }, []);
  const toggle = (environment: Environment) =>
    setEnvironments(environments.includes(environment) ? environments.filter((other) => other !== environment) : ENVIRONMENTS.filter((other) => other === environment || environments.includes(other)));
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      // POST /env creates or replaces: a new variable is sent with `If-None-Match: *`, so it never replaces one
      // silently, and the 412 is shown beside the key.
      try {
        await api<EnvVar>("POST", base, { body: { key, value, sensitive, environments }, ...(editing ? {} : { headers: { "if-none-match": "*" } }) });
      } catch (caught) {
        if (caught instanceof ApiError && caught.status === 412) {
          throw new ApiError(422, caught.code, `${key} is already set: use Edit in the list to change it`, { field: "key" });
        }
        throw caught;
      }
      setValue("");
      if (!editing) {
        setKey("");
        setSensitive(false);
        setEnvironments([...ENVIRONMENTS]);
      }
      onSaved();
    });
  };
  const environmentsError = fieldError(error, "environments");
  return (
    <section aria-labelledby={titleId}>
      <h2 id={titleId} ref={heading} tabIndex={-1}>
        {editing ? (
          <>
            Edit <code>{editing.key}</code>
          </>
        ) : (
          "New variable"
        )}
      </h2>
      <form onSubmit={submit}>
        {editing ? null : <Field label="Key" name="key" required value={key} onInput={setKey} error={fieldError(error, "key")} hint="Uppercase letters, digits and _, not starting with a digit, e.g. DATABASE_URL." />}
        <TextArea
          label="Value"
          name="value"
          rows={2}
          code
          required={editing?.sensitive ?? false}
          value={value}
          onInput={setValue}
          error={fieldError(error, "value")}
          {...(editing?.sensitive ? { hint: "This value is sensitive and never shown: enter the value to set now." } : sensitive ? { hint: "Once saved, a sensitive value is never shown again, here or by the API." } : {})}
        />
        <label>
          <input type="checkbox" name="sensitive" checked={sensitive} onChange={(event) => setSensitive(event.currentTarget.checked)} />
          Sensitive: write-only, never shown again
        </label>
        <fieldset aria-describedby={environmentsError ? `${titleId}-environments` : undefined}>
          <legend>Environments</legend>
          {ENVIRONMENTS.map((environment) => (
            <label key={environment}>
              <input type="checkbox" name="environments" value={environment} checked={environments.includes(environment)} onChange={() => toggle(environment)} />
              {ENVIRONMENT_MEANING[environment]}
            </label>
          ))}
          {environmentsError ? (
            <small id={`${titleId}-environments`} class="error">
              {environmentsError}
            </small>
          ) : null}
        </fieldset>
        <ErrorMessage error={error} fields={["environments", "key", "value"]} />
        <div class="actions">
          <button type="submit" aria-busy={busy} disabled={busy}>
            {editing ? "Save" : "Add variable"}
          </button>
          {onCancel ? (
            <button type="button" class="secondary outline" onClick={onCancel}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
    </section>
  );
}
