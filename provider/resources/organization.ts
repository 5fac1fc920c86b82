// Organization: name, slug and plan, all changed in place. No `adoptExisting`: an organization is the top of a
// tenancy, and taking one over by its slug would be too easy to do by mistake; read one by its id instead
// (`Organization.get`; `pulumi import` once the provider plugin serves it, pulumi/pulumi#16175).
import { z } from "zod";
import { DisplayName, Plan, Slug, organizationEndpoints as api, type Organization as ApiOrganization } from "../../contract";
import { STATE_VERSION, defineKind, deleteIgnoringGone, expectExisting, readOrGone } from "./kind";

export const OrganizationInputs = z.strictObject({
  name: DisplayName,
  /** Derived from the name by the server unless given. */
  slug: Slug.optional(),
  plan: Plan.default("free"),
});
export type OrganizationInputs = z.output<typeof OrganizationInputs>;

/** What the server computes: outputs only (a diff never compares them). */
export const OrganizationComputed = z.object({
  /** The slug, derived from the name unless given. */
  slug: z.string(),
  createdAt: z.string(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type OrganizationOutputs = OrganizationInputs & z.output<typeof OrganizationComputed>;

const outputs = (org: ApiOrganization): OrganizationOutputs => ({ name: org.name, slug: org.slug, plan: org.plan, createdAt: org.created_at, stateVersion: STATE_VERSION });

export const organization = defineKind<OrganizationInputs, OrganizationOutputs>({
  type: "lubes:index:Organization",
  title: "Organization",
  description: "An organization: members, a plan, and projects.",
  docs: {
    name: "Display name; `<logical name>-<random>` when left out.",
    slug: "URL slug; derived from the name by the server when left out.",
    plan: "Plan (free, pro, team); sets the API rate limit. Default free.",
    createdAt: "When it was created (ISO 8601).",
  },
  replaceOnChanges: [],
  autoName: { property: "name", slug: false },
  secretOutputs: [],
  importId: "the organization id, e.g. org_123",
  inputs: OrganizationInputs,
  outputs: OrganizationComputed,
  async create(ctx, inputs) {
    const org = await ctx.client.call(api.create, { body: inputs });
    return { id: org.id, outs: outputs(org) };
  },
  async read(ctx, id) {
    const org = await readOrGone(() => ctx.client.call(api.get, { params: { id } }));
    return org && { id, outs: outputs(org) };
  },
  async update(ctx, id, _olds, news) {
    return outputs(await expectExisting("Organization", id, () => ctx.client.call(api.update, { params: { id }, body: news })));
  },
  delete: (ctx, id) => deleteIgnoringGone(() => ctx.client.call(api.delete, { params: { id } })),
});
