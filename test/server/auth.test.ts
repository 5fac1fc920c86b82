// Authentication over real HTTP: sessions, refresh rotation, logout, password reset.
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines";
import { sha256 } from "../../server/services/crypto";
import { sweepExpiredSessions } from "../../server/store/sessions";
import { expectEnvelope, signUp, startTestServer, type TestServer } from "../support/server";

describeEachEngine("authentication", (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine, { accessTokenTtlSeconds: 60 });
  });
  afterAll(() => server.close());

  it("registers a user and returns a session with snake_case fields", async () => {
    const res = await server.api.post("/auth/register", { body: { email: "Ada@Example.com", password: "lovelace-1815", name: "Ada" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ token_type: "Bearer", expires_in: 60, user: { email: "ada@example.com", name: "Ada" } });
    expect(res.body.access_token).toMatch(/^ey/);
    expect(res.body.refresh_token).toMatch(/^lrt_/);
    expect(res.body.user.id).toMatch(/^usr_/);
    expect(res.body.user).not.toHaveProperty("password_hash");
  });

  it("refuses a second registration of the same email, whatever its case", async () => {
    await server.api.post("/auth/register", { body: { email: "twice@example.com", password: "password-one" } });
    const res = await server.api.post("/auth/register", { body: { email: "TWICE@example.com", password: "password-two" } });
    expectEnvelope(res, 409, "email_taken");
  });

  it("validates email and password with field and constraint", async () => {
    const bad = await server.api.post("/auth/register", { body: { email: "not-an-email", password: "long-enough" } });
    expectEnvelope(bad, 422, "validation_error");
    expect(bad.body.error.details).toMatchObject({ field: "email", constraint: "email" });
    const short = await server.api.post("/auth/register", { body: { email: "short@example.com", password: "short" } });
    expect(short.body.error.details).toMatchObject({ field: "password", constraint: "min_length" });
  });

  it("logs in with the right password only, with one message for unknown email and wrong password", async () => {
    const user = await signUp(server.api, "login");
    const ok = await server.api.post("/auth/login", { body: { email: user.email, password: user.password } });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(user.id);
    const wrong = await server.api.post("/auth/login", { body: { email: user.email, password: "wrong password" } });
    const unknown = await server.api.post("/auth/login", { body: { email: "nobody@example.com", password: "wrong password" } });
    expectEnvelope(wrong, 401, "invalid_credentials");
    expectEnvelope(unknown, 401, "invalid_credentials");
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
  });

  it("answers /auth/me for an access token", async () => {
    const user = await signUp(server.api, "me");
    const res = await server.api.get("/auth/me", { token: user.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, email: user.email });
  });

  it("rotates refresh tokens and refuses a used one, revoking the session", async () => {
    const user = await signUp(server.api, "rotate");
    const first = await server.api.post("/auth/refresh", { body: { refresh_token: user.refreshToken } });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(user.refreshToken);
    expect((await server.api.get("/auth/me", { token: first.body.access_token })).status).toBe(200);

    const replay = await server.api.post("/auth/refresh", { body: { refresh_token: user.refreshToken } });
    expectEnvelope(replay, 401, "refresh_token_reused");
    // Reuse means the token leaked: the whole session, including the newest tokens, is gone.
    expectEnvelope(await server.api.get("/auth/me", { token: first.body.access_token }), 401, "token_revoked");
    expectEnvelope(await server.api.post("/auth/refresh", { body: { refresh_token: first.body.refresh_token } }), 401, "session_revoked");
  });

  it("refuses an unknown refresh token", async () => {
    expectEnvelope(await server.api.post("/auth/refresh", { body: { refresh_token: "lrt_made_up" } }), 401, "invalid_refresh_token");
  });

  it("logout revokes the access token and the refresh token", async () => {
    const user = await signUp(server.api, "logout");
    const res = await server.api.post("/auth/logout", { token: user.token });
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expectEnvelope(await server.api.get("/auth/me", { token: user.token }), 401, "token_revoked");
    expectEnvelope(await server.api.post("/auth/refresh", { body: { refresh_token: user.refreshToken } }), 401, "session_revoked");
  });

  it("expires access tokens after their lifetime", async () => {
    const user = await signUp(server.api, "expiry");
    server.advanceClock(61_000);
    try {
      expectEnvelope(await server.api.get("/auth/me", { token: user.token }), 401, "token_expired");
      // The refresh token still works and yields a fresh access token.
      const refreshed = await server.api.post("/auth/refresh", { body: { refresh_token: user.refreshToken } });
      expect((await server.api.get("/auth/me", { token: refreshed.body.access_token })).status).toBe(200);
    } finally {
      server.advanceClock(-61_000);
    }
  });

  it("forgot-password answers the same for known and unknown emails, and mails a token only to a known one", async () => {
    const user = await signUp(server.api, "forgot");
    const known = await server.api.post("/auth/forgot-password", { body: { email: user.email } });
    const unknown = await server.api.post("/auth/forgot-password", { body: { email: "ghost@example.com" } });
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    expect(known.body).toEqual(unknown.body);
    const outbox = await server.api.get(`/dev/outbox?email=${encodeURIComponent(user.email)}`);
    // Newest first: the reset, then the verification mailed at registration.
    expect(outbox.body.data.map((mail: { token: string }) => mail.token.slice(0, 4))).toEqual(["lpr_", "lev_"]);
    expect((await server.api.get("/dev/outbox?email=ghost%40example.com")).body.data).toHaveLength(0);
  });

  it("resets the password with a single-use token and logs every session out", async () => {
    const user = await signUp(server.api, "reset");
    await server.api.post("/auth/forgot-password", { body: { email: user.email } });
    const token = (await server.api.get(`/dev/outbox?email=${encodeURIComponent(user.email)}`)).body.data[0].token as string;

    const reset = await server.api.post("/auth/reset-password", { body: { token, password: "a brand new password" } });
    expect(reset.status).toBe(200);
    expectEnvelope(await server.api.get("/auth/me", { token: user.token }), 401, "token_revoked");
    expectEnvelope(await server.api.post("/auth/login", { body: { email: user.email, password: user.password } }), 401);
    expect((await server.api.post("/auth/login", { body: { email: user.email, password: "a brand new password" } })).status).toBe(200);

    const again = await server.api.post("/auth/reset-password", { body: { token, password: "yet another password" } });
    expectEnvelope(again, 422, "validation_error");
    expect(again.body.error.details).toMatchObject({ field: "token" });
  });

  it("mails a verification token at registration, good once", async () => {
    const email = `verify-once-${Date.now()}@example.com`;
    const session = (await server.api.post("/auth/register", { body: { email, password: "verify-once-password" } })).body.access_token as string;
    const token = (await server.api.get(`/dev/outbox?email=${encodeURIComponent(email)}`)).body.data[0].token as string;
    expect(token).toMatch(/^lev_/);
    expectEnvelope(await server.api.post("/auth/verify-email", { token: session, body: { token: "lev_wrong" } }), 422, "validation_error");
    // The token alone is not enough: it verifies only the account it was mailed for, signed in.
    expectEnvelope(await server.api.post("/auth/verify-email", { body: { token } }), 401);
    const other = await signUp(server.api, "other-account");
    expectEnvelope(await server.api.post("/auth/verify-email", { token: other.token, body: { token } }), 422, "validation_error");
    expect((await server.api.post("/auth/verify-email", { token: session, body: { token } })).body.message).toBe(`Email ${email} verified.`);
    expectEnvelope(await server.api.post("/auth/verify-email", { token: session, body: { token } }), 422, "validation_error");
  });

  it("drops sessions past their end with their refresh tokens, and keeps live ones", async () => {
    const gone = await signUp(server.api, "sweep-gone");
    const count = async (refreshToken: string) => Number((await server.app.lubes.sql.query<{ n: string }>(
      "SELECT count(*) AS n FROM refresh_tokens WHERE session_id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1)",
      [sha256(refreshToken)],
    )).rows[0]?.n);
    const rotated = (await server.api.post("/auth/refresh", { body: { refresh_token: gone.refreshToken } })).body.refresh_token as string;
    expect(await count(rotated)).toBe(2);
    server.advanceClock(31 * 86_400_000);
    try {
      const fresh = await signUp(server.api, "sweep-kept");
      await sweepExpiredSessions(server.app.lubes);
      expect(await count(rotated)).toBe(0);
      expect(await count(fresh.refreshToken)).toBe(1);
      expectEnvelope(await server.api.post("/auth/refresh", { body: { refresh_token: rotated } }), 401, "invalid_refresh_token");
      expect((await server.api.post("/auth/refresh", { body: { refresh_token: fresh.refreshToken } })).status).toBe(200);
    } finally {
      server.advanceClock(-31 * 86_400_000);
    }
  });

  it("refuses an expired reset token", async () => {
    const user = await signUp(server.api, "reset-expired");
    await server.api.post("/auth/forgot-password", { body: { email: user.email } });
    const token = (await server.api.get(`/dev/outbox?email=${encodeURIComponent(user.email)}`)).body.data[0].token as string;
    server.advanceClock(61 * 60_000);
    try {
      expectEnvelope(await server.api.post("/auth/reset-password", { body: { token, password: "too late password" } }), 422);
    } finally {
      server.advanceClock(-61 * 60_000);
    }
  });
});

describeEachEngine("mail's links to the dashboard", (engine) => {
  it("link to the reset and invitation pages only at LUBES_PUBLIC_URL, never at the Host a request names", async () => {
    const withoutPublic = await startTestServer(engine);
    const withPublic = await startTestServer(engine, { publicUrl: "https://lubes.example.com/v1" });
    try {
      const mailsOf = async (server: TestServer) => {
        const user = await signUp(server.api, "link");
        const headers = { host: "evil.example" };
        await server.api.post("/auth/forgot-password", { body: { email: user.email }, headers });
        const org = await server.api.post("/organizations", { token: user.token, body: { name: "Links" }, headers });
        const invited = `invited-${org.body.id}@example.com`;
        await server.api.post(`/organizations/${org.body.id}/members`, { token: user.token, body: { email: invited }, headers });
        const newest = async (email: string) => (await server.api.get(`/dev/outbox?email=${encodeURIComponent(email)}`)).body.data[0] as { body: string; token: string };
        return { reset: await newest(user.email), invitation: await newest(invited) };
      };
      const plain = await mailsOf(withoutPublic);
      for (const mail of [plain.reset, plain.invitation]) {
        expect(mail.body).not.toContain("evil.example");
        expect(mail.body).not.toContain("http");
      }
      const linked = await mailsOf(withPublic);
      expect(linked.reset.body).toContain(`https://lubes.example.com/reset-password?token=${linked.reset.token}`);
      expect(linked.invitation.body).toContain(`https://lubes.example.com/accept-invitation?token=${linked.invitation.token}`);
    } finally {
      await withoutPublic.close();
      await withPublic.close();
    }
  });
});
