// The root key outside the database (issue 12). Before, a copy of the control plane held the root secret: a reader
// decrypted every sensitive value and signed a year-long access token that /auth/me accepted.
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createOrg, createProject, expectEnvelope, signUp, startTestServer, type TestServer, type TestUser } from "../support/server";

const dataDir = mkdtempSync(path.join(os.tmpdir(), "lubes-root-key-"));
const keyFile = path.join(dataDir, "secret.key");
let server: TestServer;
let user: TestUser;
let projectId: string;

/** An access token for `user`'s session, signed as an attacker holding `root` would sign it. */
async function forgeToken(root: string, lifetimeSeconds: number): Promise<string> {
  const me = JSON.parse(Buffer.from(user.token.split(".")[1] ?? "", "base64url").toString()) as { sid: string };
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: me.sid }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setSubject(user.id).setIssuer("lubes")
    .setIssuedAt(now).setExpirationTime(now + lifetimeSeconds).sign(createHmac("sha256", root).update("access-token").digest());
}

const secretsInDatabase = async (s: TestServer) => (await s.app.lubes.sql.query<{ name: string; value: string }>("SELECT name, value FROM server_secrets")).rows;

beforeAll(async () => {
  server = await startTestServer("pglite", { dataDir });
  user = await signUp(server.api, "keyholder");
  projectId = (await createProject(server.api, user.token, (await createOrg(server.api, user.token)).id)).id;
  await server.api.post(`/projects/${projectId}/env`, { token: user.token, body: { key: "PLAIN", value: "readable" } });
});
afterAll(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it("keeps the root key in a file of its own (mode 0600), and nothing in the database signs a token", async () => {
  expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  const root = readFileSync(keyFile, "utf8").trim();
  const stored = await secretsInDatabase(server);
  expect(stored.map((s) => s.name)).toEqual(["root-fingerprint"]);
  for (const { value } of stored) {
    expect(value).not.toContain(root);
    expectEnvelope(await server.api.get("/auth/me", { token: await forgeToken(value, 600) }), 401, "invalid_token");
  }
  // The key itself signs, within the lifetime the server gives its tokens, but never a year-long token.
  expect((await server.api.get("/auth/me", { token: await forgeToken(root, 600) })).status).toBe(200);
  expectEnvelope(await server.api.get("/auth/me", { token: await forgeToken(root, 365 * 86_400) }), 401, "invalid_token");
});

it("checks on every use that the access token's session is within its lifetime", async () => {
  const session = await server.api.post("/auth/login", { body: { email: user.email, password: user.password } });
  await server.app.lubes.sql.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND revoked_at IS NULL AND id = (SELECT id FROM sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1)", [user.id]);
  expectEnvelope(await server.api.get("/auth/me", { token: session.body.access_token }), 401, "token_expired");
});

it("starts again with its key file, refuses a different or lost key saying why, and moves a key kept in the database out", async () => {
  const root = readFileSync(keyFile, "utf8").trim();
  await server.close();
  await expect(startTestServer("pglite", { dataDir, secretKey: "a-different-key-of-at-least-32-characters" })).rejects.toThrow(/not the one this database was started with/);
  rmSync(keyFile);
  await expect(startTestServer("pglite", { dataDir })).rejects.toThrow(/secret\.key is missing/);

  // A database from before this change: the key inside it, no fingerprint, no key file.
  server = await startTestServer("pglite", { dataDir, secretKey: root });
  await server.app.lubes.sql.query("DELETE FROM server_secrets");
  await server.app.lubes.sql.query("INSERT INTO server_secrets (name, value) VALUES ('root', $1)", [root]);
  await server.close();
  server = await startTestServer("pglite", { dataDir });
  expect(readFileSync(keyFile, "utf8").trim()).toBe(root);
  expect((await secretsInDatabase(server)).map((s) => s.name)).toEqual(["root-fingerprint"]);
  const login = await server.api.post("/auth/login", { body: { email: user.email, password: user.password } });
  const plain = (await server.api.get(`/projects/${projectId}/env`, { token: login.body.access_token })).body.data.find((v: { key: string }) => v.key === "PLAIN");
  expect(plain.value).toBe("readable");

  // An older lubes-server started on this database afterwards writes a key of its own into it: that stray is not the
  // database's key; the next start keeps the real one and drops the stray.
  await server.app.lubes.sql.query("INSERT INTO server_secrets (name, value) VALUES ('root', 'a-stray-key-an-older-server-made-up-0000')");
  await server.close();
  server = await startTestServer("pglite", { dataDir });
  expect(readFileSync(keyFile, "utf8").trim()).toBe(root);
  expect((await secretsInDatabase(server)).map((s) => s.name)).toEqual(["root-fingerprint"]);
});
