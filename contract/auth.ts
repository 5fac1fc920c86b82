// Authentication: register, log in, refresh, log out, the current user, password reset.
import { z } from "zod";
import { DisplayName, Message, Timestamp, endpoint } from "./common";

export const Email = z.string().trim().toLowerCase().max(254).pipe(z.email());
/** At least 8 characters; at most 128, so hashing cost stays bounded. */
export const Password = z.string().min(8).max(128);

export const User = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  created_at: Timestamp,
});
export type User = z.infer<typeof User>;

export const RegisterBody = z.strictObject({ email: Email, password: Password, name: DisplayName.optional() });
export const LoginBody = z.strictObject({ email: Email, password: z.string().min(1).max(128) });
export const RefreshBody = z.strictObject({ refresh_token: z.string().min(1).max(512) });
export const ForgotPasswordBody = z.strictObject({ email: Email });
export const ResetPasswordBody = z.strictObject({ token: z.string().min(1).max(512), password: Password });
export const VerifyEmailBody = z.strictObject({ token: z.string().min(1).max(512) });

/** A session: a short-lived signed access token and a single-use refresh token that rotates. */
export const Session = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int().describe("Seconds until the access token expires"),
  user: User,
});

const tag = "Authentication";
export const authEndpoints = {
  register: endpoint({
    operationId: "register", method: "POST", path: "/auth/register", summary: "Register a new user", tag,
    auth: "none", body: RegisterBody, status: 201, response: Session,
  }),
  login: endpoint({
    operationId: "login", method: "POST", path: "/auth/login", summary: "Log in with email/password", tag,
    auth: "none", body: LoginBody, status: 200, response: Session, answers: { 401: "Wrong email or password" },
  }),
  logout: endpoint({
    operationId: "logout", method: "POST", path: "/auth/logout", summary: "Log out current session", tag,
    auth: "bearer", status: 204,
  }),
  refresh: endpoint({
    operationId: "refresh", method: "POST", path: "/auth/refresh", summary: "Refresh access token", tag,
    auth: "none", body: RefreshBody, status: 200, response: Session,
    answers: { 401: "The refresh token is unknown, expired or already used (a reused token also ends its session)" },
  }),
  me: endpoint({
    operationId: "getCurrentUser", method: "GET", path: "/auth/me", summary: "Get current user", tag,
    auth: "bearer", permission: "read", status: 200, response: User,
  }),
  forgotPassword: endpoint({
    operationId: "forgotPassword", method: "POST", path: "/auth/forgot-password", summary: "Request password reset", tag,
    auth: "none", body: ForgotPasswordBody, status: 200, response: Message,
  }),
  resetPassword: endpoint({
    operationId: "resetPassword", method: "POST", path: "/auth/reset-password", summary: "Reset password with token", tag,
    auth: "none", body: ResetPasswordBody, status: 200, response: Message,
  }),
  verifyEmail: endpoint({
    operationId: "verifyEmail", method: "POST", path: "/auth/verify-email",
    summary: "Verify an email with the token mailed to it at registration, signed in (a session) as that account: holding both the password and the inbox; pending invitations to that email become memberships", tag,
    extension: true, auth: "bearer", permission: "admin", body: VerifyEmailBody, status: 200, response: Message,
  }),
};
