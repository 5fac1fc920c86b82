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
  created_at: Date;
}

export const toUser = (row: UserRow): User => ({ id: row.id, email: row.email, name: row.name, created_at: iso(row.created_at) });

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  return (await db.query<UserRow>("SELECT * FROM users WHERE email = $1", [email])).rows[0];
}

export async function findUserById(db: Queryable, id: string): Promise<UserRow | undefined> {
  return (await db.query<UserRow>("SELECT * FROM users WHERE id = $1", [id])).rows[0];
}

/** Creates the user, or returns undefined when the email is taken. Pending invitations to the email become memberships. */
export async function insertUser(db: Queryable, user: { email: string; name: string | null; passwordHash: string }): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(
    "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING RETURNING *",
    [newId("usr"), user.email, user.name, user.passwordHash],
  );
  const created = rows[0];
  if (created) await db.query("UPDATE memberships SET user_id = $1 WHERE email = $2 AND user_id IS NULL", [created.id, created.email]);
  return created;
}

export async function setPassword(db: Queryable, userId: string, passwordHash: string): Promise<void> {
  await db.query("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1", [userId, passwordHash]);
}
