// Mail on a shared server (no dev outbox): invitations, verifications and resets leave through SMTP, so the token
// reaches only the address's inbox. A real SMTP server (smtp-server) stands in for the mail provider.
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createOrg, expectEnvelope, startTestServer, type TestServer } from "../support/server";

interface Received {
  to: string[];
  subject: string;
  text: string;
}

const inbox: Received[] = [];
let smtp: SMTPServer;
let server: TestServer;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const subject = /^Subject: (.*)$/m.exec(raw)?.[1] ?? "";
        const body = raw.slice(raw.indexOf("\r\n\r\n") + 4);
        inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), subject, text: body });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const address = smtp.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  server = await startTestServer("pglite", { dev: false, smtp: { url: `smtp://127.0.0.1:${port}`, from: "Lubes <no-reply@lubes.test>" } });
});
afterAll(async () => {
  await server.close();
  await new Promise<void>((resolve) => smtp.close(resolve));
});

/** Waits for the mail to arrive (SMTP delivery finishes before the API answers, but the receiver parses after). */
async function mailFor(address: string, subject: RegExp): Promise<Received> {
  for (;;) {
    const mail = inbox.find((m) => m.to.includes(address) && subject.test(m.subject));
    if (mail) return mail;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const tokenIn = (mail: Received, prefix: string) => new RegExp(`${prefix}[A-Za-z0-9_-]{20,}`).exec(mail.text.replace(/=\r\n/g, ""))?.[0] ?? "";

it("mails an invitation's token to the invited address only, and it makes the membership", async () => {
  const owner = await server.api.post("/auth/register", { body: { email: "owner@corp.test", password: "owner-password" } });
  const org = await createOrg(server.api, owner.body.access_token, { name: "Corp" });
  expectEnvelope(await server.api.get("/dev/outbox?email=owner%40corp.test"), 404);
  const invite = await server.api.post(`/organizations/${org.id}/members`, { token: owner.body.access_token, body: { email: "new.hire@corp.test", role: "admin" } });
  expect(invite.body).toMatchObject({ status: "pending" });

  const mail = await mailFor("new.hire@corp.test", /invited to Corp/);
  const token = tokenIn(mail, "linv_");
  expect(token).not.toBe("");
  const hire = await server.api.post("/auth/register", { body: { email: "new.hire@corp.test", password: "hire-password" } });
  expect(tokenIn(await mailFor("new.hire@corp.test", /Verify/), "lev_")).not.toBe("");
  const accepted = await server.api.post("/invitations/accept", { token: hire.body.access_token, body: { token } });
  expect(accepted.body).toMatchObject({ status: "active", role: "admin" });
});

it("answers as usual when the mail server is down: the invitation stays pending, registration and resets still answer", async () => {
  const down = await startTestServer("pglite", { dev: false, smtp: { url: "smtp://127.0.0.1:1", from: "Lubes <no-reply@lubes.test>" } });
  try {
    const owner = await down.api.post("/auth/register", { body: { email: "owner@down.test", password: "owner-password" } });
    expect(owner.status).toBe(201);
    const org = await createOrg(down.api, owner.body.access_token, { name: "Down" });
    const invite = await down.api.post(`/organizations/${org.id}/members`, { token: owner.body.access_token, body: { email: "someone@down.test" } });
    expect(invite.status).toBe(201);
    expect(invite.body.status).toBe("pending");
    expect((await down.api.post("/auth/forgot-password", { body: { email: "owner@down.test" } })).status).toBe(200);
  } finally {
    await down.close();
  }
});
