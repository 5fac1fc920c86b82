// Organizations and memberships.
import type { Member, Organization, Plan, Role } from "../../contract";
import { iso } from "../context";
import type { Queryable } from "../db/sql";
import { newId } from "../services/crypto";
import { slugify, uniqueSlug } from "../services/slug";

export interface OrganizationRow {
  id: string;
  name: string;
  slug: string;
  plan: Plan;
  created_at: Date;
  updated_at: Date;
}

export interface MemberRow {
  id: string;
  organization_id: string;
  user_id: string | null;
  email: string;
  role: Role;
  created_at: Date;
}

export const toOrganization = (row: OrganizationRow): Organization => ({
  id: row.id, name: row.name, slug: row.slug, plan: row.plan, created_at: iso(row.created_at), updated_at: iso(row.updated_at),
});

export const toMember = (row: MemberRow): Member => ({
  id: row.id, organization_id: row.organization_id, user_id: row.user_id, email: row.email, role: row.role,
  status: row.user_id ? "active" : "pending", created_at: iso(row.created_at),
});

async function takenOrgSlugs(db: Queryable, base: string): Promise<Set<string>> {
  const { rows } = await db.query<{ slug: string }>("SELECT slug FROM organizations WHERE slug = $1 OR slug LIKE $2", [base, `${base}-%`]);
  return new Set(rows.map((r) => r.slug));
}

/** Creates the organization with `owner` as its first member. An explicit slug that is taken yields undefined. */
export async function insertOrganization(
  db: Queryable,
  input: { name: string; slug?: string | undefined; plan: Plan; writeKey?: string | null },
  owner: { userId: string; email: string },
): Promise<OrganizationRow | undefined> {
  const slug = input.slug ?? uniqueSlug(slugify(input.name, "org"), await takenOrgSlugs(db, slugify(input.name, "org")));
  const { rows } = await db.query<OrganizationRow>(
    "INSERT INTO organizations (id, name, slug, plan, write_key) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (slug) DO NOTHING RETURNING *",
    [newId("org"), input.name, slug, input.plan, input.writeKey ?? null],
  );
  const org = rows[0];
  if (org) {
    await db.query("INSERT INTO memberships (id, organization_id, user_id, email, role) VALUES ($1, $2, $3, $4, 'owner')", [newId("mem"), org.id, owner.userId, owner.email]);
  }
  return org;
}

export async function countOwners(db: Queryable, orgId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM memberships WHERE organization_id = $1 AND role = 'owner' AND user_id IS NOT NULL", [orgId]);
  return rows[0]?.n ?? 0;
}
