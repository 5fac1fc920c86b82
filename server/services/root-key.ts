// The root secret every key of lubes-server is derived from (token signing, sealing of variables and idempotent
// responses, signed URLs, database role passwords). It is kept outside the database it protects: a copy of the
// control plane alone opens nothing. From LUBES_SECRET_KEY, or a key file of its own next to the database.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Sql } from "../db/sql";
import { hmac, newSecret } from "./crypto";

export const KEY_FILE = "secret.key";

/** Reads the key file, or creates it (mode 0600) with `initial` or a new secret; a racing process's file wins. */
function keyFromFile(file: string, initial: string): string {
  try {
    writeFileSync(file, `${initial}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const key = readFileSync(file, "utf8").trim();
  if (key.length < 32) throw new Error(`${file} holds no usable key (fewer than 32 characters): restore it from a backup`);
  return key;
}

/**
 * The root secret, checked against the fingerprint the database keeps (never the key): a wrong or lost key stops the
 * start with a clear error instead of leaving every sealed value unreadable. A database that still holds its key
 * (before this change) has it moved out, into the key file, and deleted.
 */
export async function loadRootSecret(sql: Sql, options: { dataDir?: string | undefined; secretKey?: string | undefined }): Promise<string> {
  const stored = async (name: string) => (await sql.query<{ value: string }>("SELECT value FROM server_secrets WHERE name = $1", [name])).rows[0]?.value;
  const legacy = await stored("root");
  const file = options.dataDir ? path.join(options.dataDir, KEY_FILE) : undefined;
  const source = options.secretKey ? "LUBES_SECRET_KEY" : (file ?? "this process (no data directory)");
  if (!options.secretKey && file && !existsSync(file) && !legacy && (await stored("root-fingerprint"))) {
    throw new Error(`${file} is missing, and this database was started with a root key: restore the file from a backup, or set LUBES_SECRET_KEY to that key`);
  }
  const root = options.secretKey ?? (file ? keyFromFile(file, legacy ?? newSecret("")) : (legacy ?? newSecret("")));
  if (legacy && legacy !== root) {
    throw new Error(`The database still holds the root key its data was sealed with, and the key from ${source} differs: start once without LUBES_SECRET_KEY and without ${file ?? "a key file"} to move the database's key into the key file`);
  }
  const fingerprint = hmac(root, "root-key-fingerprint").toString("hex");
  await sql.query("INSERT INTO server_secrets (name, value) VALUES ('root-fingerprint', $1) ON CONFLICT (name) DO NOTHING", [fingerprint]);
  if ((await stored("root-fingerprint")) !== fingerprint) {
    throw new Error(`The root key from ${source} is not the one this database was started with: sessions, sensitive values and signed URLs would not open. Restore the key file from a backup, or set LUBES_SECRET_KEY to that key`);
  }
  if (legacy) await sql.query("DELETE FROM server_secrets WHERE name = 'root'");
  return root;
}
