// Outgoing mail. The reference server has no SMTP: the dev outbox (LUBES_DEV=1) keeps mail for tests to read,
// otherwise only the fact that a mail was due is logged (never the token it carries).
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
    log(`mail "${mail.subject}" for ${mail.to} not sent: lubes-server has no mail transport (set LUBES_DEV=1 to use the dev outbox)`);
    return Promise.resolve();
  },
});
