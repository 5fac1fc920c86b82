// Outgoing mail: through SMTP (LUBES_SMTP_URL), or kept in the dev outbox (LUBES_DEV=1) for tests to read; with
// neither, only the fact that a mail was due is logged (never the token it carries).
import nodemailer from "nodemailer";
import type { Queryable } from "../db/sql";

export interface Mail {
  to: string;
  subject: string;
  text: string;
  /** The one-time token the mail carries, kept apart so the dev outbox can hand it to tests. */
  token?: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

export const devOutboxMailer = (db: Queryable): Mailer => ({
  async send(mail) {
    await db.query("INSERT INTO dev_outbox (recipient, subject, body, token) VALUES ($1, $2, $3, $4)", [mail.to, mail.subject, mail.text, mail.token ?? null]);
  },
});

export const logOnlyMailer = (log: (message: string) => void): Mailer => ({
  send(mail) {
    log(`mail "${mail.subject}" for ${mail.to} not sent: lubes-server has no mail transport (set LUBES_SMTP_URL, or LUBES_DEV=1 for the dev outbox)`);
    return Promise.resolve();
  },
});

/**
 * Sends through an SMTP server. A mail that cannot be sent is logged (never its token) and the request goes on: an
 * invitation stays pending, a reset can be asked for again, and no answer reveals whether an address exists.
 */
export function smtpMailer(smtp: { url: string; from: string }, log: (message: string) => void): Mailer {
  const transport = nodemailer.createTransport(smtp.url);
  return {
    async send(mail) {
      try {
        await transport.sendMail({ from: smtp.from, to: mail.to, subject: mail.subject, text: mail.text });
      } catch (error) {
        log(`mail "${mail.subject}" for ${mail.to} not sent: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}
