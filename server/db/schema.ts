// The control-plane schema, as ordered migrations applied at start-up (once, even with several processes).
import type { Sql } from "./sql";

/** Append only: a released migration is never edited, a change is a new entry. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE server_secrets (name text PRIMARY KEY, value text NOT NULL);

  CREATE TABLE users (
    id text PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  );

  CREATE TABLE sessions (
    id text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
  );
  CREATE INDEX sessions_user ON sessions (user_id);

  CREATE TABLE refresh_tokens (
    token_hash text PRIMARY KEY,
    session_id text NOT NULL REFERENCES sessions ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
  );
  CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

  CREATE TABLE password_resets (
    token_hash text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
  );

  CREATE TABLE organizations (
    id text PRIMARY KEY,
    name text NOT NULL,
    slug text NOT NULL UNIQUE,
    plan text NOT NULL CHECK (plan IN ('free', 'pro', 'team')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  );

  -- A row with user_id NULL is a pending invitation; registration with that email activates it.
  CREATE TABLE memberships (
    id text PRIMARY KEY,
    organization_id text NOT NULL REFERENCES organizations ON DELETE CASCADE,
    user_id text REFERENCES users ON DELETE CASCADE,
    email text NOT NULL,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, email)
  );
  CREATE INDEX memberships_user ON memberships (user_id);
  CREATE INDEX memberships_email ON memberships (email) WHERE user_id IS NULL;

  CREATE TABLE projects (
    id text PRIMARY KEY,
    organization_id text NOT NULL REFERENCES organizations ON DELETE CASCADE,
    name text NOT NULL,
    slug text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, slug)
  );

  -- projects NULL means every project the owner can reach ("*").
  CREATE TABLE api_keys (
    id text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users ON DELETE CASCADE,
    name text NOT NULL,
    prefix text NOT NULL,
    key_hash text NOT NULL UNIQUE,
    projects text[],
    permissions text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz
  );
  CREATE INDEX api_keys_user ON api_keys (user_id);

  CREATE TABLE rate_limit_windows (
    bucket text NOT NULL,
    window_start bigint NOT NULL,
    count integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
  );

  -- Responses are stored encrypted under a key derived from the client's Idempotency-Key, which is itself
  -- stored only as part of a hash: a database dump alone reveals no response (tokens, API keys).
  CREATE TABLE idempotency_records (
    scope_hash text PRIMARY KEY,
    request_hash text NOT NULL,
    state text NOT NULL CHECK (state IN ('in_flight', 'done')),
    locked_until timestamptz NOT NULL,
    status integer,
    sealed_response text,
    created_at timestamptz NOT NULL
  );
  CREATE INDEX idempotency_records_created ON idempotency_records (created_at);

  CREATE TABLE dev_outbox (
    id bigserial PRIMARY KEY,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    token text,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  `,
  `
  -- Values are sealed with a server key (sensitive or not): the control plane never holds them in plain text.
  CREATE TABLE env_vars (
    project_id text NOT NULL REFERENCES projects ON DELETE CASCADE,
    key text NOT NULL,
    sealed_value text NOT NULL,
    value_sha256 text NOT NULL,
    sensitive boolean NOT NULL,
    environments text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, key)
  );
  `,
  `
  -- Each branch is its own database (a PGlite directory or a PostgreSQL database named after its id).
  CREATE TABLE branches (
    id text PRIMARY KEY,
    project_id text NOT NULL REFERENCES projects ON DELETE CASCADE,
    name text NOT NULL,
    parent_id text REFERENCES branches ON DELETE SET NULL,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, name)
  );

  CREATE TABLE migrations (
    id text PRIMARY KEY,
    project_id text NOT NULL REFERENCES projects ON DELETE CASCADE,
    branch_id text NOT NULL REFERENCES branches ON DELETE CASCADE,
    name text NOT NULL,
    checksum text NOT NULL,
    sql text NOT NULL,
    status text NOT NULL CHECK (status IN ('running', 'applied', 'failed')),
    error_code text,
    error_message text,
    applied_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (branch_id, name)
  );
  `,
  `
  CREATE TABLE buckets (
    id text PRIMARY KEY,
    project_id text NOT NULL REFERENCES projects ON DELETE CASCADE,
    name text NOT NULL,
    public boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, name)
  );

  -- The bytes live under the storage root at <project id>/<blob id>: a key is only ever a name in this table.
  CREATE TABLE objects (
    bucket_id text NOT NULL REFERENCES buckets ON DELETE CASCADE,
    project_id text NOT NULL REFERENCES projects ON DELETE CASCADE,
    key text NOT NULL,
    blob_id text NOT NULL,
    size bigint NOT NULL,
    content_type text NOT NULL,
    md5 text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bucket_id, key)
  );
  CREATE INDEX objects_project ON objects (project_id);
  `,
  `
  CREATE TABLE functions (
    id text PRIMARY KEY,
    project_id text NOT NULL REFERENCES projects ON DELETE CASCADE,
    slug text NOT NULL,
    name text NOT NULL,
    runtime text NOT NULL,
    source text NOT NULL,
    source_sha256 text NOT NULL,
    timeout_ms integer NOT NULL,
    memory_mb integer NOT NULL,
    live_version integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, slug)
  );

  -- Deployed versions are immutable: a deploy adds one, nothing changes one.
  CREATE TABLE function_versions (
    function_id text NOT NULL REFERENCES functions ON DELETE CASCADE,
    version integer NOT NULL,
    source text NOT NULL,
    checksum text NOT NULL,
    deployed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (function_id, version)
  );

  CREATE TABLE function_logs (
    id bigserial PRIMARY KEY,
    function_id text NOT NULL REFERENCES functions ON DELETE CASCADE,
    version integer,
    invocation_id text,
    kind text NOT NULL CHECK (kind IN ('deploy', 'runtime')),
    level text NOT NULL,
    message text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX function_logs_function ON function_logs (function_id, created_at);
  `,
  `
  -- A release: what it captured (functions: [{function_id, slug, version}]; env: env_vars rows, values still sealed)
  -- never changes. Builds are claimed with FOR UPDATE SKIP LOCKED; an expired claim is taken over by any process.
  CREATE TABLE deployments (
    id text PRIMARY KEY,
    project_id text NOT NULL REFERENCES projects ON DELETE CASCADE,
    environment text NOT NULL CHECK (environment IN ('production', 'preview')),
    status text NOT NULL CHECK (status IN ('queued', 'building', 'ready', 'failed')),
    ref text,
    commit text,
    error text,
    rollback_of text REFERENCES deployments ON DELETE SET NULL,
    functions jsonb NOT NULL,
    env jsonb NOT NULL,
    claimed_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    ready_at timestamptz
  );
  CREATE INDEX deployments_project ON deployments (project_id, created_at);
  CREATE INDEX deployments_queue ON deployments (status, created_at) WHERE status IN ('queued', 'building');

  CREATE TABLE deployment_logs (
    id bigserial PRIMARY KEY,
    deployment_id text NOT NULL REFERENCES deployments ON DELETE CASCADE,
    level text NOT NULL,
    message text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
  );
  CREATE INDEX deployment_logs_deployment ON deployment_logs (deployment_id, id);

  ALTER TABLE projects ADD COLUMN current_deployment_id text REFERENCES deployments ON DELETE SET NULL;
  `,
  `
  -- The hash of the credential and Idempotency-Key of the upload that wrote an object: a retried conditional PUT
  -- (If-None-Match: *) that finds its own earlier write is answered as that write, not with 412.
  ALTER TABLE objects ADD COLUMN write_key text;

  -- A migration being reverted (its down SQL running) is neither applied nor free to apply.
  ALTER TABLE migrations DROP CONSTRAINT migrations_status_check;
  ALTER TABLE migrations ADD CONSTRAINT migrations_status_check CHECK (status IN ('running', 'applied', 'failed', 'reverting'));
  `,
  `
  -- An email is verified by a token sent to it; an invitation to an unverified email stays pending until the token
  -- mailed with it is used (or the email is verified), so registering an invited email does not join anyone.
  ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
  ALTER TABLE memberships ADD COLUMN invite_token_hash text UNIQUE;
  ALTER TABLE memberships ADD COLUMN invite_expires_at timestamptz;
  CREATE TABLE email_verifications (
    token_hash text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
  );
  `,
  `
  -- A sensitive value's plain SHA-256 let a reader guess short secrets (a 6-digit PIN in 0.6 s): it is kept only for
  -- values that are shown anyway; a sensitive one has a salted scrypt digest instead (computed at start-up for
  -- existing rows, which needs the sealing key), and deployments captured before keep no digest of it.
  ALTER TABLE env_vars ALTER COLUMN value_sha256 DROP NOT NULL;
  ALTER TABLE env_vars ADD COLUMN value_digest text;
  UPDATE env_vars SET value_sha256 = NULL WHERE sensitive;
  UPDATE deployments SET env = (
    SELECT coalesce(jsonb_agg(CASE WHEN (v ->> 'sensitive')::boolean THEN v - 'value_sha256' ELSE v END ORDER BY position), '[]'::jsonb)
      FROM jsonb_array_elements(env) WITH ORDINALITY AS captured(v, position)
  );
  `,
  `
  -- The process that claimed the work (its instance number, db/liveness.ts): on shared PostgreSQL another process
  -- takes a claim over as soon as its owner is gone, without waiting for the lease.
  ALTER TABLE idempotency_records ADD COLUMN owner integer;
  ALTER TABLE migrations ADD COLUMN owner integer;
  ALTER TABLE deployments ADD COLUMN owner integer;
  `,
  `
  -- The request that created a row (its Idempotency-Key's claim, http/idempotency.ts writeKeyOf), committed with it:
  -- a retry of a create whose process died before it stored its response finds its own row instead of a conflict.
  ALTER TABLE organizations ADD COLUMN write_key text;
  ALTER TABLE projects ADD COLUMN write_key text;
  ALTER TABLE env_vars ADD COLUMN write_key text;
  ALTER TABLE buckets ADD COLUMN write_key text;
  ALTER TABLE functions ADD COLUMN write_key text;
  ALTER TABLE function_versions ADD COLUMN write_key text;
  ALTER TABLE deployments ADD COLUMN write_key text;
  ALTER TABLE branches ADD COLUMN write_key text;
  ALTER TABLE api_keys ADD COLUMN write_key text;
  CREATE INDEX branches_write_key ON branches (write_key) WHERE write_key IS NOT NULL;
  CREATE INDEX api_keys_write_key ON api_keys (write_key) WHERE write_key IS NOT NULL;
  CREATE INDEX organizations_write_key ON organizations (write_key) WHERE write_key IS NOT NULL;
  CREATE INDEX projects_write_key ON projects (write_key) WHERE write_key IS NOT NULL;
  CREATE INDEX env_vars_write_key ON env_vars (write_key) WHERE write_key IS NOT NULL;
  CREATE INDEX buckets_write_key ON buckets (write_key) WHERE write_key IS NOT NULL;
  CREATE INDEX functions_write_key ON functions (write_key) WHERE write_key IS NOT NULL;
  CREATE INDEX function_versions_write_key ON function_versions (write_key) WHERE write_key IS NOT NULL;
  CREATE INDEX deployments_write_key ON deployments (write_key) WHERE write_key IS NOT NULL;
  `,
];

/** Applies the migrations this database has not seen, under an advisory lock so concurrent starts take turns. */
export async function migrateControlPlane(sql: Sql): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(7478235)");
    await tx.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    const { rows } = await tx.query<{ version: number }>("SELECT coalesce(max(version), 0)::int AS version FROM schema_migrations");
    const current = rows[0]?.version ?? 0;
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      for (const statement of splitStatements(MIGRATIONS[version - 1] ?? "")) await tx.query(statement);
      await tx.query("INSERT INTO schema_migrations (version) VALUES ($1)", [version]);
    }
  });
}

/** Our own DDL has no semicolons inside literals, so a plain split is exact; comments are dropped. */
function splitStatements(script: string): string[] {
  return script
    .split("\n")
    .filter((line) => !line.trim().startsWith("--"))
    .join("\n")
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean);
}
