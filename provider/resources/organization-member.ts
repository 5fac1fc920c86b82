// OrganizationMember: an invitation by email with a role (pending until that email registers). Organization and
// email are its identity; the role changes in place.
import { z } from "zod";
import { Email, Id, Role, organizationEndpoints as api, type Member } from "../../contract";
import { STATE_VERSION, checkWith, deleteIgnoringGone, diffInputs, explainConflict, expectExisting, findInPages, readOrGone, type OperationContext, type ResourceKind } from "./kind";

export const OrganizationMemberInputs = z.strictObject({
  organizationId: Id,
  email: Email,
  role: Role.default("developer"),
});
export type OrganizationMemberInputs = z.output<typeof OrganizationMemberInputs>;

export interface OrganizationMemberOutputs extends OrganizationMemberInputs {
  memberId: string;
  userId: string | null;
  /** `pending` until the invited email registers. */
  status: string;
  stateVersion: number;
}

const outputs = (live: Member): OrganizationMemberOutputs => ({
  organizationId: live.organization_id, email: live.email, role: live.role, memberId: live.id, userId: live.user_id, status: live.status, stateVersion: STATE_VERSION,
});

const findMember = (ctx: OperationContext, organizationId: string, memberId: string): Promise<Member | undefined> =>
  findInPages((query) => ctx.client.call(api.listMembers, { params: { id: organizationId }, query }), (m) => m.id === memberId);

export const organizationMember: ResourceKind<OrganizationMemberInputs, OrganizationMemberOutputs> = {
  type: "lubes:index:OrganizationMember",
  title: "Organization member",
  replaceOnChanges: ["organizationId", "email"],
  secretOutputs: [],
  importId: "<organization id>/<member id>, e.g. org_123/mem_456",
  check: (news) => checkWith(OrganizationMemberInputs, news),
  diff: (_id, olds, news) => diffInputs(olds, news, ["organizationId", "email", "role"], ["organizationId", "email"]),
  async create(ctx, inputs) {
    const member = await ctx.client.call(api.inviteMember, { params: { id: inputs.organizationId }, body: { email: inputs.email, role: inputs.role } })
      .catch((error: unknown) => explainConflict(error, "Member", inputs.email));
    return { id: `${member.organization_id}/${member.id}`, outs: outputs(member) };
  },
  async read(ctx, id, olds) {
    const live = await readOrGone(() => findMember(ctx, olds.organizationId, olds.memberId));
    return live && { id, outs: outputs(live) };
  },
  async update(ctx, id, olds, news) {
    return outputs(await expectExisting("Organization member", id, () => ctx.client.call(api.updateMember, { params: { id: olds.organizationId, memberId: olds.memberId }, body: { role: news.role } })));
  },
  delete: (ctx, _id, olds) => deleteIgnoringGone(() => ctx.client.call(api.removeMember, { params: { id: olds.organizationId, memberId: olds.memberId } })),
};
