// Organization routes: the organization itself, its plan, and its members and invitations.
import type { FastifyInstance } from "fastify";
import { organizationEndpoints as api, type Role } from "../../contract";
import { dashboardLinkLine, type ServerContext } from "../context";
import type { Queryable } from "../db/sql";
import { ApiError, badRequest, conflict, notFound, validation } from "../errors";
import { requireAllProjects } from "../http/principal";
import { ownEarlierWrite, writeKeyOf } from "../http/idempotency";
import { serve } from "../http/route";
import { organizationAccess } from "../services/access";
import { newId, newSecret, sha256 } from "../services/crypto";
import { deleteProjectsWith } from "../services/projects";
import { countOwners, insertOrganization, toMember, toOrganization, type MemberRow, type OrganizationRow } from "../store/organizations";
import { queryPage } from "../store/page";
import { findUserByEmail, findUserById, markEmailVerified } from "../store/users";

const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const slugTaken = (slug: string) => conflict("slug_taken", `Organization slug "${slug}" is taken; choose another`, { field: "slug" });

async function findMember(db: Queryable, orgId: string, memberId: string): Promise<MemberRow> {
  const member = (await db.query<MemberRow>("SELECT * FROM memberships WHERE id = $1 AND organization_id = $2", [memberId, orgId])).rows[0];
  if (!member) throw notFound("Member", memberId);
  return member;
}

/** Ownership changes hands only by an owner, and an organization always keeps at least one owner. */
async function guardOwnership(db: Queryable, orgId: string, callerRole: Role, member: MemberRow, newRole: Role | undefined): Promise<void> {
  if ((member.role === "owner" || newRole === "owner") && callerRole !== "owner") {
    throw new ApiError(403, "forbidden", "Only an owner can grant or take away the owner role");
  }
  const losesOwner = member.role === "owner" && newRole !== "owner" && member.user_id !== null;
  if (losesOwner && (await countOwners(db, orgId)) <= 1) {
    throw conflict("last_owner", "An organization needs at least one owner: make another member owner first");
  }
}

export function organizationRoutes(app: FastifyInstance, ctx: ServerContext): void {
  serve(app, ctx, api.list, async ({ principal, query }) =>
    queryPage<OrganizationRow, ReturnType<typeof toOrganization>>(ctx.sql, {
      select: "o.*",
      fromWhere: "FROM organizations o JOIN memberships m ON m.organization_id = o.id WHERE m.user_id = $1",
      orderBy: "o.created_at, o.id",
      params: [principal.userId],
    }, query, toOrganization),
  );

  serve(app, ctx, api.create, async ({ principal, body, request }) => {
    requireAllProjects(principal, "creating an organization");
    const user = await findUserById(ctx.sql, principal.userId);
    if (!user) throw notFound("User", principal.userId);
    const earlier = await ownEarlierWrite<OrganizationRow>(ctx, request, "organizations");
    if (earlier) return toOrganization(earlier);
    const org = await ctx.sql.transaction((tx) => insertOrganization(tx, { ...body, writeKey: writeKeyOf(request) }, { userId: user.id, email: user.email }));
    if (!org) throw slugTaken(body.slug ?? "");
    return toOrganization(org);
  });

  serve(app, ctx, api.get, async ({ principal, params }) => toOrganization((await organizationAccess(ctx, principal, params.id, "read")).org));

  serve(app, ctx, api.update, async ({ principal, params, body }) => {
    await organizationAccess(ctx, principal, params.id, "admin");
    if (body.slug) {
      const clash = await ctx.sql.query("SELECT 1 FROM organizations WHERE slug = $1 AND id <> $2", [body.slug, params.id]);
      if (clash.rows.length > 0) throw slugTaken(body.slug);
    }
    const { rows } = await ctx.sql.query<OrganizationRow>(
      `UPDATE organizations SET name = coalesce($2, name), slug = coalesce($3, slug), plan = coalesce($4, plan), updated_at = now()
       WHERE id = $1 RETURNING *`,
      [params.id, body.name ?? null, body.slug ?? null, body.plan ?? null],
    );
    return toOrganization(rows[0] as OrganizationRow);
  });

  // Cascades to every project of the organization and everything under them.
  serve(app, ctx, api.delete, async ({ principal, params, request }) => {
    await organizationAccess(ctx, principal, params.id, "owner");
    const { rows } = await ctx.sql.query<{ id: string }>("SELECT id FROM projects WHERE organization_id = $1", [params.id]);
    await deleteProjectsWith(ctx, request.log, rows.map((r) => r.id), async () => {
      await ctx.sql.query("DELETE FROM organizations WHERE id = $1", [params.id]);
    });
  });

  serve(app, ctx, api.listMembers, async ({ principal, params, query }) => {
    await organizationAccess(ctx, principal, params.id, "read");
    return queryPage(ctx.sql, { fromWhere: "FROM memberships WHERE organization_id = $1", orderBy: "created_at, id", params: [params.id] }, query, toMember);
  });

  // A user whose email is verified joins at once. Otherwise the invitation stays pending, and only the token mailed to
  // the address makes it a membership: whoever registers the address first gains nothing by it.
  serve(app, ctx, api.inviteMember, async ({ principal, params, body }) => {
    const { role } = await organizationAccess(ctx, principal, params.id, "admin");
    if (body.role === "owner" && role !== "owner") throw new ApiError(403, "forbidden", "Only an owner can invite another owner");
    const user = await findUserByEmail(ctx.sql, body.email);
    const joinsNow = user?.email_verified_at ? user : undefined;
    const token = joinsNow ? undefined : newSecret("linv_");
    const expires = token ? new Date(ctx.options.now().getTime() + INVITATION_TTL_MS) : null;
    const { rows } = await ctx.sql.query<MemberRow>(
      `INSERT INTO memberships (id, organization_id, user_id, email, role, invite_token_hash, invite_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (organization_id, email) DO NOTHING RETURNING *`,
      [newId("mem"), params.id, joinsNow?.id ?? null, body.email, body.role, token ? sha256(token) : null, expires],
    );
    const member = rows[0];
    if (!member) throw conflict("already_member", `${body.email} is already a member or invited; change the role with PATCH instead`, { field: "email" });
    if (token) {
      const org = (await ctx.sql.query<OrganizationRow>("SELECT * FROM organizations WHERE id = $1", [params.id])).rows[0];
      await ctx.mailer.send({
        to: body.email,
        subject: `You are invited to ${org?.name ?? params.id} on Lubes`,
        text: `You are invited to join ${org?.name ?? params.id} as ${body.role}.\n\n${dashboardLinkLine(ctx, "Accept it at", `/accept-invitation?token=${encodeURIComponent(token)}`)}Sign in (or register) with this email and accept within 7 days with POST /v1/invitations/accept: ${token}`,
        token,
      });
    }
    return toMember(member);
  });

  serve(app, ctx, api.acceptInvitation, async ({ principal, body }) => {
    if (principal.credential.kind !== "session") {
      throw badRequest("not_a_session", "An invitation is accepted signed in with /auth/login, not with an API key");
    }
    const now = ctx.options.now();
    return ctx.sql.transaction(async (tx) => {
      const { rows } = await tx.query<MemberRow>(
        "SELECT * FROM memberships WHERE invite_token_hash = $1 AND user_id IS NULL AND invite_expires_at > $2 FOR UPDATE",
        [sha256(body.token), now],
      );
      const invitation = rows[0];
      if (!invitation) throw validation("token", "valid_token", "Invitation token is invalid, expired or already used; ask for a new invitation");
      const user = await findUserById(tx, principal.userId);
      if (!user) throw notFound("User", principal.userId);
      if (user.email !== invitation.email) {
        throw new ApiError(403, "forbidden", `This invitation is for ${invitation.email}; sign in with that email to accept it`);
      }
      // The token reached the address, so its holder controls it: every pending invitation to it is accepted.
      await markEmailVerified(tx, user, now);
      return toMember((await tx.query<MemberRow>("SELECT * FROM memberships WHERE id = $1", [invitation.id])).rows[0] as MemberRow);
    });
  });

  serve(app, ctx, api.getMember, async ({ principal, params }) => {
    await organizationAccess(ctx, principal, params.id, "read");
    return toMember(await findMember(ctx.sql, params.id, params.memberId));
  });

  serve(app, ctx, api.updateMember, async ({ principal, params, body }) => {
    const { role } = await organizationAccess(ctx, principal, params.id, "admin");
    return ctx.sql.transaction(async (tx) => {
      const member = await findMember(tx, params.id, params.memberId);
      await guardOwnership(tx, params.id, role, member, body.role);
      const { rows } = await tx.query<MemberRow>("UPDATE memberships SET role = $2 WHERE id = $1 RETURNING *", [member.id, body.role]);
      return toMember(rows[0] as MemberRow);
    });
  });

  // Any member may leave; removing someone else needs admin. Either changes the organization: an all-projects key.
  serve(app, ctx, api.removeMember, async ({ principal, params }) => {
    const { role } = await organizationAccess(ctx, principal, params.id, "read");
    requireAllProjects(principal, "leaving an organization");
    const member = await findMember(ctx.sql, params.id, params.memberId);
    if (member.user_id !== principal.userId) await organizationAccess(ctx, principal, params.id, "admin");
    await ctx.sql.transaction(async (tx) => {
      await guardOwnership(tx, params.id, role, member, undefined);
      await tx.query("DELETE FROM memberships WHERE id = $1", [member.id]);
    });
  });
}
