// First start on an empty control plane: a dev user, an organization and an API key, so a newcomer can point
// Pulumi at lubes-server at once. Written to <data dir>/credentials.json (mode 0600) and printed once.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { newId, newSecret, hashPassword, sha256 } from "./services/crypto";
import { API_KEY_PREFIX } from "./http/principal";
import { insertOrganization } from "./store/organizations";
import { insertUser } from "./store/users";

export interface BootstrapCredentials {
  email: string;
  password: string;
  organization_id: string;
  api_key: string;
  api_url: string;
}

export const DEV_EMAIL = "dev@lubes.local";

/** Creates the dev account when the control plane has no user yet; returns undefined when it already had one. */
export async function bootstrap(app: FastifyInstance, apiUrl: string): Promise<BootstrapCredentials | undefined> {
  const { sql, options } = app.lubes;
  const password = newSecret("").slice(0, 24);
  const passwordHash = await hashPassword(password);
  const apiKey = newSecret(API_KEY_PREFIX);
  const created = await sql.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(7478236)");
    const { rows } = await tx.query("SELECT 1 FROM users LIMIT 1");
    if (rows.length > 0) return undefined;
    // The operator's own account: its address is no inbox, and nobody but the operator holds its password.
    const user = await insertUser(tx, { email: DEV_EMAIL, name: "Dev", passwordHash, verifiedAt: options.now() });
    if (!user) return undefined;
    // The team plan: a local Lubes should not throttle a laptop's stacks (override with LUBES_RATE_LIMITS).
    const org = await insertOrganization(tx, { name: "Dev", plan: "team" }, { userId: user.id, email: user.email });
    if (!org) return undefined;
    await tx.query(
      "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, projects, permissions) VALUES ($1, $2, 'bootstrap', $3, $4, NULL, $5)",
      [newId("key"), user.id, apiKey.slice(0, API_KEY_PREFIX.length + 6), sha256(apiKey), ["read", "write", "admin"]],
    );
    return { email: user.email, password, organization_id: org.id, api_key: apiKey, api_url: apiUrl };
  });
  if (created && options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    writeFileSync(credentialsPath(options.dataDir), `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600 });
  }
  return created;
}

export const credentialsPath = (dataDir: string): string => path.join(dataDir, "credentials.json");
