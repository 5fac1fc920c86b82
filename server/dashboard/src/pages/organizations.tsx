// Organizations: the list, a new one, and one organization's page: rename, plan, members and invitations.
import { useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import type { Member, Organization, Role } from "../../../../contract/organizations";
import { api, currentSession, devOutbox, seg } from "../api";
import { ACTIONS, ConfirmButton, ErrorMessage, Field, LoadState, Pager, Table, fieldError, formatDate, useAction, useLoad, usePaged, usePageHeading } from "../ui";

/** Every role, strongest first, with what it may do (a Record, so the compiler holds it to the contract's roles). */
const ROLE_MEANING: Record<Role, string> = {
  owner: "everything, deleting the organization included",
  admin: "manage members, keys and projects",
  developer: "read and write",
  viewer: "read only",
};
const ROLES = Object.keys(ROLE_MEANING) as Role[];

export function Organizations() {
  const organizations = usePaged<Organization>("/organizations");
  return (
    <>
      <h1>Organizations</h1>
      <LoadState loaded={organizations}>
        {() =>
          organizations.data?.data.length ? (
            <>
              <Table caption="Organizations" headers={["Name", "Slug", "Plan", "Created"]}>
                {organizations.data.data.map((org) => (
                  <tr key={org.id}>
                    <td>
                      <a href={`/organizations/${org.id}`}>{org.name}</a>
                    </td>
                    <td>{org.slug}</td>
                    <td>{org.plan}</td>
                    <td>{formatDate(org.created_at)}</td>
                  </tr>
                ))}
              </Table>
              <Pager page={organizations.data} offset={organizations.offset} limit={organizations.limit} setOffset={organizations.setOffset} label="Organizations" />
            </>
          ) : (
            <p>You belong to no organization yet. Create one to hold your projects.</p>
          )
        }
      </LoadState>
      <InvitationsForYou />
      <NewOrganization onCreated={organizations.reload} />
    </>
  );
}

/**
 * Invitations mailed to the signed-in user, read from the dev outbox (a local server with LUBES_DEV=1; elsewhere it
 * is 404 and the mail's own link leads to the acceptance page).
 */
function InvitationsForYou() {
  const email = currentSession()?.user.email ?? "";
  const mails = useLoad(async () => (await devOutbox(email)).filter((mail) => mail.subject.startsWith("You are invited")), `outbox:${email}`);
  const invitations = mails.data ?? [];
  return (
    <section aria-labelledby="invitations-title">
      <h2 id="invitations-title">Invitations for you</h2>
      {invitations.length > 0 ? (
        <>
          <p>This lubes-server keeps its mail in the dev outbox; these invitations were mailed to {email}:</p>
          <ul>
            {invitations.map((mail) => (
              <li key={mail.token}>
                <a href={`/accept-invitation?token=${encodeURIComponent(mail.token)}`}>{mail.subject.replace(/ on Lubes$/, "")}</a>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p>An invitation to an organization comes by mail, with a link here.</p>
      )}
      <p>
        <a href="/accept-invitation">Accept an invitation with its token</a>
      </p>
    </section>
  );
}

/** Joins an organization with the token its invitation mailed, signed in as the invited email. */
export function AcceptInvitation() {
  const { query, route } = useLocation();
  const [token, setToken] = useState(query["token"] ?? "");
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const member = await api<Member>("POST", "/invitations/accept", { body: { token } });
      route(`/organizations/${member.organization_id}`);
    });
  };
  return (
    <article class="narrow">
      <h1>Accept an invitation</h1>
      <p>You join as {currentSession()?.user.email}: the invitation must be for this email.</p>
      <form onSubmit={submit}>
        <Field label="Invitation token (from the mail)" name="token" required value={token} onInput={setToken} error={fieldError(error, "token")} />
        <ErrorMessage error={error} fields={["token"]} />
        <button type="submit" aria-busy={busy} disabled={busy}>
          Join the organization
        </button>
      </form>
    </article>
  );
}

function NewOrganization({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState("");
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await api<Organization>("POST", "/organizations", { body: { name } });
      setName("");
      onCreated();
    });
  };
  return (
    <section>
      <h2>New organization</h2>
      <form onSubmit={submit}>
        <Field label="Organization name" name="name" required value={name} onInput={setName} error={fieldError(error, "name")} hint="New organizations start on the free plan." />
        <ErrorMessage error={error} fields={["name"]} />
        <button type="submit" aria-busy={busy} disabled={busy}>
          Create organization
        </button>
      </form>
    </section>
  );
}

export function OrganizationPage() {
  const { params } = useRoute();
  const id = params["id"] ?? "";
  const organization = useLoad(() => api<Organization>("GET", `/organizations/${seg(id)}`), id);
  const heading = usePageHeading(organization.data !== undefined);
  return (
    <LoadState loaded={organization}>
      {() =>
        organization.data ? (
          <>
            <nav aria-label="breadcrumb">
              <ul>
                <li>
                  <a href="/organizations">Organizations</a>
                </li>
                <li>{organization.data.name}</li>
              </ul>
            </nav>
            <h1 ref={heading}>{organization.data.name}</h1>
            <p>
              Plan: <strong>{organization.data.plan}</strong> · slug <code>{organization.data.slug}</code>
            </p>
            <Rename organization={organization.data} onRenamed={organization.reload} />
            <Members organizationId={id} />
          </>
        ) : null
      }
    </LoadState>
  );
}

function Rename({ organization, onRenamed }: { organization: Organization; onRenamed: () => void }) {
  const [name, setName] = useState(organization.name);
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await api("PATCH", `/organizations/${seg(organization.id)}`, { body: { name } });
      onRenamed();
    });
  };
  return (
    <form onSubmit={submit} aria-label="Rename organization">
      <fieldset role="group">
        <Field label="Name" name="name" required value={name} onInput={setName} error={fieldError(error, "name")} />
      </fieldset>
      <ErrorMessage error={error} fields={["name"]} />
      <button type="submit" aria-busy={busy} disabled={busy || name === organization.name}>
        Rename
      </button>
    </form>
  );
}

function Members({ organizationId }: { organizationId: string }) {
  const members = usePaged<Member>(`/organizations/${seg(organizationId)}/members`);
  const { error, run } = useAction();
  const me = currentSession()?.user.id;
  const changeRole = (member: Member, role: Role) => run(async () => {
    await api("PATCH", `/organizations/${seg(organizationId)}/members/${seg(member.id)}`, { body: { role } });
    members.reload();
  });
  const remove = (member: Member) => run(async () => {
    await api("DELETE", `/organizations/${seg(organizationId)}/members/${seg(member.id)}`);
    members.reload();
  });
  return (
    <section>
      <h2>Members</h2>
      <ErrorMessage error={error} />
      <LoadState loaded={members}>
        {() => (
          <>
            <Table caption="Members and invitations" headers={["Email", "Role", "Status", "Since", ACTIONS]}>
              {members.data?.data.map((member) => (
                <tr key={member.id}>
                  <td>{member.email}</td>
                  <td>
                    <select aria-label={`Role of ${member.email}`} value={member.role} onChange={(event) => void changeRole(member, event.currentTarget.value as Role)}>
                      {ROLES.map((role) => (
                        <option key={role} value={role}>
                          {role}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{member.status === "pending" ? <span class="badge">invitation pending</span> : "active"}</td>
                  <td>{formatDate(member.created_at)}</td>
                  <td>
                    {member.user_id === me ? null : (
                      <ConfirmButton
                        label={member.status === "pending" ? "Cancel invitation" : "Remove"}
                        subject={member.email}
                        question={member.status === "pending" ? `Cancel the invitation of ${member.email}?` : `Remove ${member.email} from this organization?`}
                        onConfirm={() => remove(member)}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </Table>
            <Pager page={members.data} offset={members.offset} limit={members.limit} setOffset={members.setOffset} label="Members" />
          </>
        )}
      </LoadState>
      <Invite organizationId={organizationId} onInvited={members.reload} />
    </section>
  );
}

function Invite({ organizationId, onInvited }: { organizationId: string; onInvited: () => void }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("developer");
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await api("POST", `/organizations/${seg(organizationId)}/members`, { body: { email, role } });
      setEmail("");
      onInvited();
    });
  };
  return (
    <form onSubmit={submit}>
      <h3>Invite by email</h3>
      <div class="grid">
        <Field label="Email" name="email" type="email" required value={email} onInput={setEmail} error={fieldError(error, "email")} />
        <label>
          Role
          <select name="role" value={role} onChange={(event) => setRole(event.currentTarget.value as Role)}>
            {ROLES.map((option) => (
              <option key={option} value={option}>
                {option}: {ROLE_MEANING[option]}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorMessage error={error} fields={["email"]} />
      <button type="submit" aria-busy={busy} disabled={busy}>
        Send invitation
      </button>
    </form>
  );
}
