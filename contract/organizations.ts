// Organizations, their plans and their members.
import { z } from "zod";
import { Email } from "./auth";
import { DisplayName, Id, IdParam, PageQuery, Slug, Timestamp, endpoint, page } from "./common";

export const PLANS = ["free", "pro", "team"] as const;
export const Plan = z.enum(PLANS);
export type Plan = z.infer<typeof Plan>;

/** Roles, strongest first. viewer: read; developer: read and write; admin: also manage; owner: also delete. */
export const ROLES = ["owner", "admin", "developer", "viewer"] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const Organization = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  plan: Plan,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Organization = z.infer<typeof Organization>;

export const CreateOrganizationBody = z.strictObject({
  name: DisplayName,
  slug: Slug.optional(),
  plan: Plan.default("free"),
});
export const UpdateOrganizationBody = z.strictObject({
  name: DisplayName.optional(),
  slug: Slug.optional(),
  plan: Plan.optional(),
});

/** A member, or a pending invitation of an email that has not registered yet. */
export const Member = z.object({
  id: z.string(),
  organization_id: z.string(),
  user_id: z.string().nullable(),
  email: z.string(),
  role: Role,
  status: z.enum(["active", "pending"]),
  created_at: Timestamp,
});
export type Member = z.infer<typeof Member>;

export const InviteMemberBody = z.strictObject({ email: Email, role: Role.default("developer") });
export const UpdateMemberBody = z.strictObject({ role: Role });
export const AcceptInvitationBody = z.strictObject({ token: z.string().min(1).max(512) });
const MemberParams = z.object({ id: Id, memberId: Id });

const tag = "Organizations";
export const organizationEndpoints = {
  list: endpoint({
    operationId: "listOrganizations", method: "GET", path: "/organizations", summary: "List organizations (oldest first)", tag,
    auth: "bearer", permission: "read", query: PageQuery, status: 200, response: page(Organization),
  }),
  create: endpoint({
    operationId: "createOrganization", method: "POST", path: "/organizations", summary: "Create organization", tag,
    auth: "bearer", permission: "admin", body: CreateOrganizationBody, status: 201, response: Organization,
  }),
  get: endpoint({
    operationId: "getOrganization", method: "GET", path: "/organizations/:id", summary: "Get organization", tag,
    auth: "bearer", permission: "read", params: IdParam, status: 200, response: Organization,
  }),
  update: endpoint({
    operationId: "updateOrganization", method: "PATCH", path: "/organizations/:id", summary: "Update organization", tag,
    auth: "bearer", permission: "admin", params: IdParam, body: UpdateOrganizationBody, status: 200, response: Organization,
  }),
  delete: endpoint({
    operationId: "deleteOrganization", method: "DELETE", path: "/organizations/:id", summary: "Delete organization", tag,
    auth: "bearer", permission: "admin", params: IdParam, status: 204,
  }),
  listMembers: endpoint({
    operationId: "listMembers", method: "GET", path: "/organizations/:id/members", summary: "List members and invitations (oldest first)", tag,
    auth: "bearer", permission: "read", params: IdParam, query: PageQuery, status: 200, response: page(Member),
  }),
  inviteMember: endpoint({
    operationId: "inviteMember", method: "POST", path: "/organizations/:id/members", summary: "Invite member", tag,
    auth: "bearer", permission: "admin", params: IdParam, body: InviteMemberBody, status: 201, response: Member,
  }),
  getMember: endpoint({
    operationId: "getMember", method: "GET", path: "/organizations/:id/members/:memberId", summary: "Get one member or invitation", tag,
    extension: true, auth: "bearer", permission: "read", params: MemberParams, status: 200, response: Member,
  }),
  updateMember: endpoint({
    operationId: "updateMember", method: "PATCH", path: "/organizations/:id/members/:memberId", summary: "Change a member's role", tag,
    extension: true, auth: "bearer", permission: "admin", params: MemberParams, body: UpdateMemberBody, status: 200, response: Member,
  }),
  removeMember: endpoint({
    operationId: "removeMember", method: "DELETE", path: "/organizations/:id/members/:memberId", summary: "Remove a member or cancel an invitation", tag,
    extension: true, auth: "bearer", permission: "admin", params: MemberParams, status: 204,
    answers: { 409: "The member is the organization's last owner" },
  }),
  acceptInvitation: endpoint({
    operationId: "acceptInvitation", method: "POST", path: "/invitations/accept",
    summary: "Accept an invitation with the token mailed to the invited email, signed in (a session, not an API key) as the account with that email", tag,
    extension: true, auth: "bearer", permission: "admin", body: AcceptInvitationBody, status: 200, response: Member,
  }),
};
