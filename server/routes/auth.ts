// Authentication routes: register, login, logout, refresh, me, forgot-password and reset-password.
import type { FastifyInstance } from "fastify";
import { authEndpoints as api } from "../../contract";
import { dashboardLinkLine, type ServerContext } from "../context";
import { badRequest, conflict, notFound, unauthorized, validation } from "../errors";
import { hashPassword, newSecret, sha256, verifyPassword } from "../services/crypto";
import { serve } from "../http/route";
import { revokeSession, revokeUserSessions, rotateSession, startSession } from "../store/sessions";
import { findUserByEmail, findUserById, insertUser, markEmailVerified, setPassword, toUser, type UserRow } from "../store/users";

const RESET_TTL_MS = 60 * 60 * 1000;
const VERIFY_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Mails a token that proves the address is the user's: used with POST /auth/verify-email, it verifies the email. */
async function sendVerification(ctx: ServerContext, user: UserRow): Promise<void> {
  const token = newSecret("lev_");
  await ctx.sql.query("INSERT INTO email_verifications (token_hash, user_id, expires_at) VALUES ($1, $2, $3)", [sha256(token), user.id, new Date(ctx.options.now().getTime() + VERIFY_TTL_MS)]);
  await ctx.mailer.send({
    to: user.email,
    subject: "Verify your Lubes email",
    text: `Use this token with POST /v1/auth/verify-email within 7 days; pending invitations to this email are then accepted: ${token}`,
    token,
  });
}
// Compared against when the email is unknown, so a failed login takes as long either way.
let decoyHash: Promise<string> | undefined;

export function authRoutes(app: FastifyInstance, ctx: ServerContext): void {
  serve(app, ctx, api.register, async ({ body }) => {
    const passwordHash = await hashPassword(body.password);
    const { user, session } = await ctx.sql.transaction(async (tx) => {
      const user = await insertUser(tx, { email: body.email, name: body.name ?? null, passwordHash });
      if (!user) throw conflict("email_taken", `An account with email ${body.email} already exists; log in instead`, { field: "email" });
      return { user, session: await startSession(ctx, tx, user) };
    });
    await sendVerification(ctx, user);
    return session;
  });

  serve(app, ctx, api.login, async ({ body }) => {
    const user = await findUserByEmail(ctx.sql, body.email);
    const ok = await verifyPassword(body.password, user?.password_hash ?? (await (decoyHash ??= hashPassword(newSecret("")))));
    if (!user || !ok) throw unauthorized("invalid_credentials", "Email or password is incorrect");
    return startSession(ctx, ctx.sql, user);
  });

  serve(app, ctx, api.logout, async ({ principal }) => {
    if (principal.credential.kind !== "session") {
      throw badRequest("not_a_session", "Logout ends a session started with /auth/login; an API key is revoked with DELETE /v1/api-keys/:id");
    }
    await revokeSession(ctx, principal.credential.sessionId);
  });

  serve(app, ctx, api.refresh, async ({ body }) => rotateSession(ctx, body.refresh_token));

  serve(app, ctx, api.me, async ({ principal }) => {
    const user = await findUserById(ctx.sql, principal.userId);
    if (!user) throw notFound("User", principal.userId);
    return toUser(user);
  });

  // Always the same answer, whether or not the email has an account.
  serve(app, ctx, api.forgotPassword, async ({ body }) => {
    const user = await findUserByEmail(ctx.sql, body.email);
    if (user) {
      const token = newSecret("lpr_");
      await ctx.sql.query("INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, $3)", [sha256(token), user.id, new Date(ctx.options.now().getTime() + RESET_TTL_MS)]);
      await ctx.mailer.send({
        to: user.email,
        subject: "Reset your Lubes password",
        text: `${dashboardLinkLine(ctx, "Choose a new password at", `/reset-password?token=${encodeURIComponent(token)}`)}Use this token with POST /v1/auth/reset-password within one hour: ${token}`,
        token,
      });
    }
    return { message: "If an account exists for that email, a password reset link has been sent." };
  });

  serve(app, ctx, api.resetPassword, async ({ body }) => {
    const passwordHash = await hashPassword(body.password);
    const now = ctx.options.now();
    await ctx.sql.transaction(async (tx) => {
      // Single use: the token is spent by the same statement that checks it.
      const { rows } = await tx.query<{ user_id: string }>(
        "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
        [sha256(body.token), now],
      );
      const userId = rows[0]?.user_id;
      if (!userId) throw validation("token", "valid_token", "Reset token is invalid, expired or already used; request a new one");
      await setPassword(tx, userId, passwordHash);
      await revokeUserSessions(tx, userId, now);
      // The token was mailed to the address: its holder controls it. An account that was not verified may have been
      // registered by someone else with this address: its API keys go with that person's sessions.
      const user = await findUserById(tx, userId);
      if (user && !user.email_verified_at) await tx.query("UPDATE api_keys SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL", [userId, now]);
      if (user) await markEmailVerified(tx, user, now);
    });
    return { message: "Password changed. Every session has been logged out; log in with the new password." };
  });

  // The token proves the inbox, the session the password: someone who registered another's address holds only the
  // password, its owner only the inbox (a password reset gives them the account, and revokes what the other made).
  serve(app, ctx, api.verifyEmail, async ({ principal, body }) => {
    if (principal.credential.kind !== "session") throw badRequest("not_a_session", "An email is verified signed in with /auth/login, not with an API key");
    const now = ctx.options.now();
    return ctx.sql.transaction(async (tx) => {
      const { rows } = await tx.query<{ user_id: string }>(
        "UPDATE email_verifications SET used_at = $2 WHERE token_hash = $1 AND user_id = $3 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
        [sha256(body.token), now, principal.userId],
      );
      const user = rows[0] && (await findUserById(tx, rows[0].user_id));
      if (!user) throw validation("token", "valid_token", "Verification token is invalid, expired or already used");
      const joined = await markEmailVerified(tx, user, now);
      return { message: `Email ${user.email} verified${joined > 0 ? `; joined ${joined} organization${joined === 1 ? "" : "s"} it was invited to` : ""}.` };
    });
  });
}
