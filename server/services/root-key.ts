// The root secret every key of lubes-server is derived from (token signing, sealing of variables and idempotent
// responses, signed URLs, database role passwords). It is kept outside the database it protects: a copy of the
// control plane alone opens nothing. From LUBES_SECRET_KEY, or a key file of its own next to the database.
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import type { Sql } from "../db/sql";
import { hmac, newSecret } from "./crypto";

export const KEY_FILE = "secret.key";

/** Writes the key file (mode 0600) and makes it durable (file and directory synced) before anything relies on it. */
function writeKeyFile(file: string, key: string): void {
  const fd = openSync(file, "wx", 0o600);
  try {
    writeSync(fd, `${key}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const dir = openSync(path.dirname(file), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Reads the key file, or creates it with `initial`; a racing process's file wins. */
function keyFromFile(file: string, initial: string): string {
  try {
    writeKeyFile(file, initial);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const key = readFileSync(file, "utf8").trim();
  if (key.length < 32) throw new Error(`${file} holds no usable key (fewer than 32 characters): restore it from a backup`);
  return key;
}

const fingerprintOf = (root: string) => hmac(root, "root-key-fingerprint").toString("hex");

/**
 * The root secret, checked against the fingerprint the database keeps (never the key): a wrong or lost key stops the
 * start with a clear error instead of leaving every sealed value unreadable. A database that still holds its key
 * (before this change) has it moved out, into the key file, and deleted once the file is durable.
 */
export async function loadRootSecret(sql: Sql, options: { dataDir?: string | undefined; secretKey?: string | undefined }): Promise<string> {
  const stored = async (name: string) => (await sql.query<{ value: string }>("SELECT value FROM server_secrets WHERE name = $1", [name])).rows[0]?.value;
  const file = options.dataDir ? path.join(options.dataDir, KEY_FILE) : undefined;
  const source = options.secretKey ? "LUBES_SECRET_KEY" : (file ?? "this process (no data directory)");
  const fingerprint = await stored("root-fingerprint");
  const legacy = await stored("root");

  if (fingerprint) {
    // Started before with a key outside the database. A `root` row now is a stray (an older lubes-server wrote one):
    // it is not this database's key, and is removed once the real key is confirmed.
    if (!options.secretKey && file && !existsSync(file)) {
      throw new Error(`${file} is missing, and this database was started with a root key: restore the file from a backup, or set LUBES_SECRET_KEY to that key`);
    }
    const root = options.secretKey ?? (file ? keyFromFile(file, newSecret("")) : newSecret(""));
    if (fingerprintOf(root) !== fingerprint) {
      throw new Error(`The root key from ${source} is not the one this database was started with: sessions, sensitive values and signed URLs would not open. Restore the key file from a backup, or set LUBES_SECRET_KEY to that key`);
    }
    if (legacy) await sql.query("DELETE FROM server_secrets WHERE name = 'root'");
    return root;
  }

  // First start with the key outside the database: a new key, or the one an older server kept inside it.
  const root = options.secretKey ?? (file ? keyFromFile(file, legacy ?? newSecret("")) : (legacy ?? newSecret("")));
  if (legacy && legacy !== root) {
    throw new Error(`The database holds the root key its data was sealed with, and ${source} holds another one that this database has never used: unset LUBES_SECRET_KEY, or move ${file ?? "the key file"} aside, for one start, and the database's key is written to the key file`);
  }
  await sql.query("INSERT INTO server_secrets (name, value) VALUES ('root-fingerprint', $1) ON CONFLICT (name) DO NOTHING", [fingerprintOf(root)]);
  if ((await stored("root-fingerprint")) !== fingerprintOf(root)) throw new Error(`Another process started this database with another root key than ${source}'s: every process sharing it needs the same LUBES_SECRET_KEY`);
  // Only once the key is kept somewhere else (the durable file, or the operator's variable) does the database forget it.
  if (legacy && (options.secretKey || file)) await sql.query("DELETE FROM server_secrets WHERE name = 'root'");
  return root;
}
