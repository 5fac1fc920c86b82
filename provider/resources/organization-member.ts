// OrganizationMember: an invitation by email with a role (pending until its owner accepts the invitation mailed to
// it). Organization and email are its identity; the role changes in place. `adoptExisting` takes over a member or invitation of that email,
// giving it the declared role.
import { z } from "zod";
import { Email, Id, Role, organizationEndpoints as api, type Member } from "../../contract";
import { STATE_VERSION, defineKind, deleteIgnoringGone, expectExisting, explainConflict, findInPages, isAlreadyExists, nothingToAdopt, parseId, readOrGone, type OperationContext } from "./kind";

export const OrganizationMemberInputs = z.strictObject({
  organizationId: Id,
  email: Email,
  role: Role.default("developer"),
  /** A member or invitation of that email already in the organization is managed instead of failing. */
  adoptExisting: z.boolean().default(false),
});
export type OrganizationMemberInputs = z.output<typeof OrganizationMemberInputs>;

/** What the server computes: outputs only (a diff never compares them). */
export const OrganizationMemberComputed = z.object({
  /** The membership's id (`mem_…`). */
  memberId: z.string(),
  /** The user, once the invited email has registered. */
  userId: z.string().nullable(),
  /** `pending` until the invitation mailed to the email is accepted, or the email is verified. */
  status: z.string(),
  /** The shape of this state, so a later release can read it. */
  stateVersion: z.number(),
});
export type OrganizationMemberOutputs = OrganizationMemberInputs & z.output<typeof OrganizationMemberComputed>;

const outputs = (live: Member, adoptExisting = false): OrganizationMemberOutputs => ({
  organizationId: live.organization_id, email: live.email, role: live.role, adoptExisting, memberId: live.id, userId: live.user_id, status: live.status, stateVersion: STATE_VERSION,
});

const findMember = (ctx: OperationContext, organizationId: string, match: (m: Member) => boolean): Promise<Member | undefined> =>
  findInPages((query) => ctx.client.call(api.listMembers, { params: { id: organizationId }, query }), match);

const ID_FORMAT = "<organization id>/<member id>, e.g. org_123/mem_456";

async function adopt(ctx: OperationContext, inputs: OrganizationMemberInputs): Promise<Member> {
  const email = inputs.email.toLowerCase();
  const found = await findMember(ctx, inputs.organizationId, (m) => m.email.toLowerCase() === email);
  if (!found) throw nothingToAdopt("Member", inputs.email, `organization ${inputs.organizationId}`);
  if (found.role === inputs.role) return found;
  return ctx.client.call(api.updateMember, { params: { id: inputs.organizationId, memberId: found.id }, body: { role: inputs.role } });
}

export const organizationMember = defineKind<OrganizationMemberInputs, OrganizationMemberOutputs>({
  type: "lubes:index:OrganizationMember",
  title: "Organization member",
  description: "A member of an organization, invited by email (pending until its owner accepts the invitation mailed to it).",
  docs: {
    organizationId: "The organization. Changing it replaces the member.",
    email: "Who to invite. Changing it replaces the member.",
    role: "Role; default developer. Changed in place.",
    adoptExisting: "A member or invitation of that email already in the organization is managed instead of failing. To keep a member when you rename this resource, use the `aliases` option instead.",
    memberId: "The membership's (or invitation's) id.",
    userId: "The user's id, once the email has registered.",
    status: "`active`, or `pending` until the invitation mailed to the email is accepted (or the email is verified).",
  },
  replaceOnChanges: ["organizationId", "email"],
  identity: ["organizationId", "email"],
  secretOutputs: [],
  importId: ID_FORMAT,
  inputs: OrganizationMemberInputs,
  outputs: OrganizationMemberComputed,
  notDiffed: { adoptExisting: "matters only when the resource is created" },
  async create(ctx, inputs) {
    try {
      const member = await ctx.client.call(api.inviteMember, { params: { id: inputs.organizationId }, body: { email: inputs.email, role: inputs.role } });
      return { id: `${member.organization_id}/${member.id}`, outs: outputs(member) };
    } catch (error) {
      if (!(isAlreadyExists(error) && inputs.adoptExisting)) return explainConflict(error, "Member", inputs.email, `organization ${inputs.organizationId}`);
      const member = await adopt(ctx, inputs);
      return { id: `${member.organization_id}/${member.id}`, outs: outputs(member, true), adopted: true };
    }
  },
  async read(ctx, id, olds) {
    const [organizationId, memberId] = olds.organizationId && olds.memberId ? [olds.organizationId, olds.memberId] : parseId(id, 1, ID_FORMAT);
    const live = await readOrGone(() => ctx.client.call(api.getMember, { params: { id: organizationId, memberId } }));
    return live && { id, outs: outputs(live, olds.adoptExisting ?? false) };
  },
  async update(ctx, id, olds, news) {
    const live = await expectExisting("Organization member", id, () => ctx.client.call(api.updateMember, { params: { id: olds.organizationId, memberId: olds.memberId }, body: { role: news.role } }));
    return outputs(live, news.adoptExisting);
  },
  delete: (ctx, _id, olds) => deleteIgnoringGone(() => ctx.client.call(api.removeMember, { params: { id: olds.organizationId, memberId: olds.memberId } })),
});
