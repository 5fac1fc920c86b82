// Project: lives in one organization (changing it replaces the project); name and slug change in place.
import { z } from "zod";
import { DisplayName, Id, Slug, projectEndpoints as api, type Project as ApiProject } from "../../contract";
import { STATE_VERSION, defineKind, deleteIgnoringGone, expectExisting, explainConflict, findInPages, isAlreadyExists, nothingToAdopt, readOrGone, type OperationContext } from "./kind";

export const ProjectInputs = z.strictObject({
  name: DisplayName,
  organizationId: Id,
  /** Derived from the name, unique in the organization, unless given. */
  slug: Slug.optional(),
  /** With an explicit slug already taken in the organization: manage that project instead of failing. */
  adoptExisting: z.boolean().default(false),
});
export type ProjectInputs = z.output<typeof ProjectInputs>;

/** What the server computes: outputs only (a diff never compares them). */
export const ProjectComputed = z.object({
  /** The slug, derived from the name unless given. */
  slug: z.string(),
  createdAt: z.string(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type ProjectOutputs = ProjectInputs & z.output<typeof ProjectComputed>;

const outputs = (project: ApiProject, adoptExisting: boolean): ProjectOutputs => ({
  name: project.name, organizationId: project.organization_id, slug: project.slug, adoptExisting,
  createdAt: project.created_at, stateVersion: STATE_VERSION,
});

async function adopt(ctx: OperationContext, inputs: ProjectInputs): Promise<ApiProject | undefined> {
  const found = await findInPages((query) => ctx.client.call(api.list, { query: { ...query, organization_id: inputs.organizationId } }), (p) => p.slug === inputs.slug);
  return found && ctx.client.call(api.update, { params: { id: found.id }, body: { name: inputs.name } });
}

export const project = defineKind<ProjectInputs, ProjectOutputs>({
  type: "lubes:index:Project",
  title: "Project",
  description: "A project: its databases, functions, storage, deployments and variables live under it.",
  docs: {
    name: "Display name; `<logical name>-<random>` when left out.",
    organizationId: "The organization. Changing it replaces the project.",
    slug: "Slug, unique in the organization; derived from the name when left out.",
    adoptExisting: "With a slug already taken in the organization, manage that project instead of failing.",
    createdAt: "When it was created (ISO 8601).",
  },
  replaceOnChanges: ["organizationId"],
  identity: ["organizationId", "slug"],
  autoName: { property: "name", slug: false },
  secretOutputs: [],
  importId: "the project id, e.g. proj_123",
  inputs: ProjectInputs,
  outputs: ProjectComputed,
  notDiffed: { adoptExisting: "matters only when the resource is created" },
  async create(ctx, inputs) {
    const body = { name: inputs.name, organization_id: inputs.organizationId, ...(inputs.slug ? { slug: inputs.slug } : {}) };
    try {
      const created = await ctx.client.call(api.create, { body });
      return { id: created.id, outs: outputs(created, inputs.adoptExisting) };
    } catch (error) {
      if (!(isAlreadyExists(error) && inputs.adoptExisting)) return explainConflict(error, "Project", inputs.slug ?? inputs.name, `organization ${inputs.organizationId}`);
      const adopted = await adopt(ctx, inputs);
      if (!adopted) {
        throw nothingToAdopt("Project", inputs.slug ?? inputs.name, `organization ${inputs.organizationId}`);
      }
      return { id: adopted.id, outs: outputs(adopted, true), adopted: true };
    }
  },
  async read(ctx, id, olds) {
    const live = await readOrGone(() => ctx.client.call(api.get, { params: { id } }));
    return live && { id, outs: outputs(live, olds.adoptExisting ?? false) };
  },
  async update(ctx, id, _olds, news) {
    const body = { name: news.name, ...(news.slug ? { slug: news.slug } : {}) };
    return outputs(await expectExisting("Project", id, () => ctx.client.call(api.update, { params: { id }, body })), news.adoptExisting);
  },
  delete: (ctx, id) => deleteIgnoringGone(() => ctx.client.call(api.delete, { params: { id } })),
});
