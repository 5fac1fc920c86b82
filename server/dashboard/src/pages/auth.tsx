// Signing up, in and out, and resetting a forgotten password (its mail read from the dev outbox on a local server).
import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, devOutbox, sessionEndReason, setSession, type Session } from "../api";
import { ErrorMessage, Field, fieldError, useAction } from "../ui";

function keepSession(session: Session): void {
  setSession({ access_token: session.access_token, refresh_token: session.refresh_token, user: session.user });
}

/** Only a path on this site: `//host` or a full URL would take a fresh session elsewhere. */
const isOwnPath = (next: string | undefined): next is string => next !== undefined && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\");

export function SignIn() {
  const { query, route } = useLocation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      keepSession(await api<Session>("POST", "/auth/login", { anonymous: true, body: { email, password } }));
      route(isOwnPath(query["next"]) ? query["next"] : "/projects");
    });
  };
  return (
    <article class="narrow">
      <h1>Sign in to Lubes</h1>
      {sessionEndReason() === "expired" ? <p role="status" class="notice">Your session has expired. Sign in again.</p> : null}
      {query["reset"] ? <p role="status" class="notice">Your password was changed. Sign in with the new one.</p> : null}
      <form onSubmit={submit}>
        <Field label="Email" name="email" type="email" autoComplete="username" required value={email} onInput={setEmail} error={fieldError(error, "email")} />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required value={password} onInput={setPassword} error={fieldError(error, "password")} />
        <ErrorMessage error={error} fields={["email", "password"]} />
        <button type="submit" aria-busy={busy} disabled={busy}>
          Sign in
        </button>
      </form>
      <p>
        <a href="/forgot-password">Forgot your password?</a> · <a href={isOwnPath(query["next"]) ? `/sign-up?next=${encodeURIComponent(query["next"])}` : "/sign-up"}>Create an account</a>
      </p>
    </article>
  );
}

export function SignUp() {
  const { query, route } = useLocation();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      keepSession(await api<Session>("POST", "/auth/register", { anonymous: true, body: { email, password, ...(name.trim() ? { name } : {}) } }));
      // A new account has no organization yet: it makes one, or joins one it was invited to (the `next` of an invitation's link).
      route(isOwnPath(query["next"]) ? query["next"] : "/organizations");
    });
  };
  return (
    <article class="narrow">
      <h1>Create your Lubes account</h1>
      <form onSubmit={submit}>
        <Field label="Name (optional)" name="name" autoComplete="name" value={name} onInput={setName} error={fieldError(error, "name")} />
        <Field label="Email" name="email" type="email" autoComplete="email" required value={email} onInput={setEmail} error={fieldError(error, "email")} />
        <Field label="Password" name="password" type="password" autoComplete="new-password" required value={password} onInput={setPassword} error={fieldError(error, "password")} hint="At least 8 characters." />
        <ErrorMessage error={error} fields={["email", "name", "password"]} />
        <button type="submit" aria-busy={busy} disabled={busy}>
          Create account
        </button>
      </form>
      <p>
        Already have an account? <a href="/sign-in">Sign in</a>
      </p>
    </article>
  );
}

export function ForgotPassword() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const [resetLink, setResetLink] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const answer = await api<{ message: string }>("POST", "/auth/forgot-password", { anonymous: true, body: { email } });
      setSent(answer.message);
      setResetLink(await devOutboxLink(email));
    });
  };
  return (
    <article class="narrow">
      <h1>Reset your password</h1>
      {sent ? (
        <>
          <p role="status">{sent}</p>
          {resetLink ? (
            <p>
              This lubes-server keeps its mail in the dev outbox: <a href={resetLink}>open the reset link from the mail</a>.
            </p>
          ) : null}
        </>
      ) : (
        <form onSubmit={submit}>
          <Field label="Email" name="email" type="email" autoComplete="email" required value={email} onInput={setEmail} error={fieldError(error, "email")} />
          <ErrorMessage error={error} fields={["email"]} />
          <button type="submit" aria-busy={busy} disabled={busy}>
            Send reset mail
          </button>
        </form>
      )}
      <p>
        <a href="/sign-in">Back to sign in</a>
      </p>
    </article>
  );
}

/** The reset link of the newest reset mail in the dev outbox (a local server), if there is one. */
async function devOutboxLink(email: string): Promise<string | null> {
  const mail = (await devOutbox(email)).find((item) => item.subject.includes("password"));
  return mail ? `/reset-password?token=${encodeURIComponent(mail.token)}` : null;
}

export function ResetPassword() {
  const { query, route } = useLocation();
  const [token, setToken] = useState(query["token"] ?? "");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await api("POST", "/auth/reset-password", { anonymous: true, body: { token, password } });
      route("/sign-in?reset=1");
    });
  };
  return (
    <article class="narrow">
      <h1>Choose a new password</h1>
      <form onSubmit={submit}>
        <Field label="Reset token (from the mail)" name="token" required value={token} onInput={setToken} error={fieldError(error, "token")} />
        <Field label="New password" name="password" type="password" autoComplete="new-password" required value={password} onInput={setPassword} error={fieldError(error, "password")} hint="At least 8 characters." />
        <ErrorMessage error={error} fields={["password", "token"]} />
        <button type="submit" aria-busy={busy} disabled={busy}>
          Change password
        </button>
      </form>
    </article>
  );
}

/** Ends the session on the server too, so its tokens stop working at once. */
export async function signOut(): Promise<void> {
  try {
    await api("POST", "/auth/logout");
  } catch {
    // Already ended or unreachable: the tokens are dropped here either way.
  }
  setSession(null, "signed-out");
}
