// Sessions: a signed short-lived access token plus a single-use refresh token that rotates on every refresh.
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import type { z } from "zod";
import type { Session } from "../../contract";
import type { ServerContext } from "../context";
import type { Queryable } from "../db/sql";
import { unauthorized } from "../errors";
import { newId, newSecret, sha256 } from "../services/crypto";
import { toUser, type UserRow } from "./users";

const SESSION_DAYS = 30;
const ISSUER = "lubes";
const DAY_MS = 86_400_000;

async function signAccessToken(ctx: ServerContext, userId: string, sessionId: string): Promise<string> {
  const now = Math.floor(ctx.options.now().getTime() / 1000);
  return new SignJWT({ sid: sessionId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(userId)
    .setIssuer(ISSUER)
    .setIssuedAt(now)
    .setExpirationTime(now + ctx.options.accessTokenTtlSeconds)
    .sign(ctx.keys.jwt);
}

async function newRefreshToken(ctx: ServerContext, db: Queryable, sessionId: string): Promise<string> {
  const token = newSecret("lrt_");
  const expires = new Date(ctx.options.now().getTime() + SESSION_DAYS * DAY_MS);
  await db.query("INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)", [sha256(token), sessionId, expires]);
  return token;
}

async function sessionBody(ctx: ServerContext, db: Queryable, user: UserRow, sessionId: string): Promise<z.input<typeof Session>> {
  return {
    access_token: await signAccessToken(ctx, user.id, sessionId),
    refresh_token: await newRefreshToken(ctx, db, sessionId),
    token_type: "Bearer",
    expires_in: ctx.options.accessTokenTtlSeconds,
    user: toUser(user),
  };
}

export async function startSession(ctx: ServerContext, db: Queryable, user: UserRow): Promise<z.input<typeof Session>> {
  const sessionId = newId("ses");
  const expires = new Date(ctx.options.now().getTime() + SESSION_DAYS * DAY_MS);
  await db.query("INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, $3)", [sessionId, user.id, expires]);
  return sessionBody(ctx, db, user, sessionId);
}

/**
 * Trades a refresh token for a new pair. A token is good once: presenting a used one means it was copied, so the
 * whole session is revoked (OAuth 2.0 Security BCP, refresh token rotation with reuse detection).
 */
export async function rotateSession(ctx: ServerContext, refreshToken: string): Promise<z.input<typeof Session>> {
  const outcome = await ctx.sql.transaction(async (tx) => {
    const { rows } = await tx.query<{ session_id: string; used_at: Date | null; expires_at: Date; revoked_at: Date | null; session_expires_at: Date; user_id: string }>(
      `SELECT rt.session_id, rt.used_at, rt.expires_at, s.revoked_at, s.expires_at AS session_expires_at, s.user_id
         FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
        WHERE rt.token_hash = $1 FOR UPDATE`,
      [sha256(refreshToken)],
    );
    const row = rows[0];
    const now = ctx.options.now();
    if (!row) return { error: unauthorized("invalid_refresh_token", "Refresh token is not valid") };
    if (row.revoked_at) return { error: unauthorized("session_revoked", "This session has been logged out; log in again") };
    if (row.used_at) {
      await tx.query("UPDATE sessions SET revoked_at = $2 WHERE id = $1", [row.session_id, now]);
      return { error: unauthorized("refresh_token_reused", "Refresh token was already used; the session has been revoked for safety, log in again") };
    }
    if (new Date(row.expires_at) <= now || new Date(row.session_expires_at) <= now) {
      return { error: unauthorized("refresh_token_expired", "Refresh token has expired; log in again") };
    }
    await tx.query("UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1", [sha256(refreshToken), now]);
    const user = (await tx.query<UserRow>("SELECT * FROM users WHERE id = $1", [row.user_id])).rows[0];
    if (!user) return { error: unauthorized("invalid_refresh_token", "Refresh token is not valid") };
    return { session: await sessionBody(ctx, tx, user, row.session_id) };
  });
  // The revocation above must commit, so the error is thrown only after the transaction.
  if ("error" in outcome) throw outcome.error;
  return outcome.session;
}

/**
 * Drops sessions past their end, with their refresh tokens (used ones are kept until then, to catch a copied token
 * being replayed): nothing can use them any more, and a server whose clients refresh all day would otherwise keep a
 * row per refresh for good.
 */
export async function sweepExpiredSessions(ctx: ServerContext): Promise<void> {
  await ctx.sql.query("DELETE FROM sessions WHERE expires_at < $1", [ctx.options.now()]);
}

export async function revokeSession(ctx: ServerContext, sessionId: string): Promise<void> {
  await ctx.sql.query("UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", [sessionId, ctx.options.now()]);
}

export async function revokeUserSessions(db: Queryable, userId: string, now: Date): Promise<void> {
  await db.query("UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL", [userId, now]);
}

/** Checks signature, issuer and expiry of an access token; the session's revocation is checked by the caller. */
export async function verifyAccessToken(ctx: ServerContext, token: string): Promise<{ userId: string; sessionId: string }> {
  try {
    const { payload } = await jwtVerify(token, ctx.keys.jwt, { algorithms: ["HS256"], issuer: ISSUER, currentDate: ctx.options.now(), requiredClaims: ["iat", "exp"] });
    if (typeof payload.sub !== "string" || typeof payload["sid"] !== "string") throw unauthorized("invalid_token", "Access token is malformed");
    // We never sign a token that lives longer than the configured lifetime: one that does was not made by us.
    if ((payload.exp ?? 0) - (payload.iat ?? 0) > ctx.options.accessTokenTtlSeconds) throw unauthorized("invalid_token", "Bearer token is not a valid API key or access token");
    return { userId: payload.sub, sessionId: payload["sid"] };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw unauthorized("token_expired", "Access token has expired; refresh it with POST /v1/auth/refresh");
    throw unauthorized("invalid_token", "Bearer token is not a valid API key or access token");
  }
}
