// Authentication routes: register, login, logout, refresh, me, forgot-password and reset-password.
import type { FastifyInstance } from "fastify";
import { authEndpoints as api } from "../../contract";
import type { ServerContext } from "../context";
import { badRequest, conflict, notFound, unauthorized, validation } from "../errors";
import { hashPassword, newSecret, sha256, verifyPassword } from "../services/crypto";
import { serve } from "../http/route";
import { revokeSession, revokeUserSessions, rotateSession, startSession } from "../store/sessions";
import { findUserByEmail, findUserById, insertUser, setPassword, toUser } from "../store/users";

const RESET_TTL_MS = 60 * 60 * 1000;
// Compared against when the email is unknown, so a failed login takes as long either way.
let decoyHash: Promise<string> | undefined;

export function authRoutes(app: FastifyInstance, ctx: ServerContext): void {
  serve(app, ctx, api.register, async ({ body }) => {
    const passwordHash = await hashPassword(body.password);
    return ctx.sql.transaction(async (tx) => {
      const user = await insertUser(tx, { email: body.email, name: body.name ?? null, passwordHash });
      if (!user) throw conflict("email_taken", `An account with email ${body.email} already exists; log in instead`, { field: "email" });
      return startSession(ctx, tx, user);
    });
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
        text: `Use this token with POST /v1/auth/reset-password within one hour: ${token}`,
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
    });
    return { message: "Password changed. Every session has been logged out; log in with the new password." };
  });
}
