// Users: accounts that log in with email and password.
import type { User } from "../../contract";
import { iso } from "../context";
import type { Queryable } from "../db/sql";
import { newId } from "../services/crypto";

export interface UserRow {
  id: string;
  email: string;
  name: string | null;
  password_hash: string;
  email_verified_at: Date | null;
  created_at: Date;
}

export const toUser = (row: UserRow): User => ({ id: row.id, email: row.email, name: row.name, created_at: iso(row.created_at) });

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  return (await db.query<UserRow>("SELECT * FROM users WHERE email = $1", [email])).rows[0];
}

export async function findUserById(db: Queryable, id: string): Promise<UserRow | undefined> {
  return (await db.query<UserRow>("SELECT * FROM users WHERE id = $1", [id])).rows[0];
}

/**
 * Creates the user, or returns undefined when the email is taken. Invitations to the email stay pending: registering
 * an address proves nothing about owning it (`markEmailVerified` does).
 */
export async function insertUser(db: Queryable, user: { email: string; name: string | null; passwordHash: string; verifiedAt?: Date }): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(
    "INSERT INTO users (id, email, name, password_hash, email_verified_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING RETURNING *",
    [newId("usr"), user.email, user.name, user.passwordHash, user.verifiedAt ?? null],
  );
  return rows[0];
}

/**
 * Records that the user controls their email (they used a token mailed to it): pending invitations to that email
 * become their memberships. Returns how many did.
 */
export async function markEmailVerified(db: Queryable, user: UserRow, now: Date): Promise<number> {
  await db.query("UPDATE users SET email_verified_at = coalesce(email_verified_at, $2) WHERE id = $1", [user.id, now]);
  const joined = await db.query(
    "UPDATE memberships SET user_id = $1, invite_token_hash = NULL, invite_expires_at = NULL WHERE email = $2 AND user_id IS NULL AND (invite_expires_at IS NULL OR invite_expires_at > $3)",
    [user.id, user.email, now],
  );
  return joined.rowCount ?? 0;
}

export async function setPassword(db: Queryable, userId: string, passwordHash: string): Promise<void> {
  await db.query("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1", [userId, passwordHash]);
}
