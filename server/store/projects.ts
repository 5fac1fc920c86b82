// Projects.
import type { Project } from "../../contract";
import { iso } from "../context";
import type { Queryable } from "../db/sql";
import { newId } from "../services/crypto";
import { slugify, uniqueSlug } from "../services/slug";

export interface ProjectRow {
  id: string;
  organization_id: string;
  name: string;
  slug: string;
  current_deployment_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export const toProject = (row: ProjectRow): Project => ({
  id: row.id, name: row.name, slug: row.slug, organization_id: row.organization_id, current_deployment_id: row.current_deployment_id ?? null,
  created_at: iso(row.created_at), updated_at: iso(row.updated_at),
});

/** Creates the project; its slug is derived from the name and made unique in the organization unless given. */
export async function insertProject(db: Queryable, input: { name: string; organizationId: string; slug?: string | undefined; writeKey?: string | null }): Promise<ProjectRow | undefined> {
  let slug = input.slug;
  if (!slug) {
    const base = slugify(input.name, "project");
    const { rows } = await db.query<{ slug: string }>("SELECT slug FROM projects WHERE organization_id = $1 AND (slug = $2 OR slug LIKE $3)", [input.organizationId, base, `${base}-%`]);
    slug = uniqueSlug(base, new Set(rows.map((r) => r.slug)));
  }
  const { rows } = await db.query<ProjectRow>(
    "INSERT INTO projects (id, organization_id, name, slug, write_key) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organization_id, slug) DO NOTHING RETURNING *",
    [newId("proj"), input.organizationId, input.name, slug, input.writeKey ?? null],
  );
  return rows[0];
}
