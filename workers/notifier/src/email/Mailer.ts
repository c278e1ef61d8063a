import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '@chatgraph/config';
import type { Logger } from '@chatgraph/logging';

/** An email ready to go. */
export interface OutgoingEmail {
  to: { name: string; address: string };
  subject: string;
  text: string;
  html: string;
  /** The Message-ID header (`<…@domain>`): the same for every attempt at the same email, so copies can be told apart. */
  messageId: string;
  /** One-click unsubscribe (RFC 8058): the List-Unsubscribe URL. */
  unsubscribeUrl?: string;
}

/** What became of an email. */
export type MailOutcome = 'sent' | 'logged';

/** Sends emails. */
export interface Mailer {
  /** Resolves once the SMTP server accepted the email (or it was logged); rejects when it was not accepted. */
  send(email: OutgoingEmail): Promise<MailOutcome>;
  close(): void;
}

/**
 * The mailer of the configuration: SMTP through nodemailer when `SMTP_URL` is set, otherwise a mailer that logs each
 * email, clearly marked as not sent, so that a development stack runs without a mail server.
 */
export function mailerFromConfig(config: Config, logger: Logger): Mailer {
  if (config.SMTP_URL === undefined) {
    logger.info('SMTP_URL not set: emails are logged, not sent');
    // Message texts stay out of production logs.
    return new LoggingMailer(logger, config.NODE_ENV !== 'production');
  }
  // nodemailer waits minutes by default; a stuck server must not hold a claim past its lease, nor a shutdown past its
  // grace period (options in the URL's query string still win).
  const transport = nodemailer.createTransport({
    url: config.SMTP_URL,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return new SmtpMailer(transport, config.EMAIL_FROM);
}

/** SMTP through nodemailer (one connection per email; addresses and headers are encoded by nodemailer). */
export class SmtpMailer implements Mailer {
  constructor(
    private readonly transport: Transporter,
    private readonly from: string,
  ) {}

  async send(email: OutgoingEmail): Promise<MailOutcome> {
    await this.transport.sendMail({
      from: this.from,
      to: { name: email.to.name, address: email.to.address },
      subject: email.subject,
      text: email.text,
      html: email.html,
      messageId: email.messageId,
      ...(email.unsubscribeUrl
        ? {
            list: { unsubscribe: { url: email.unsubscribeUrl, comment: 'Unsubscribe' } },
            headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
          }
        : {}),
    });
    return 'sent';
  }

  close(): void {
    this.transport.close();
  }
}

/** Logs emails instead of sending them (no SMTP server configured). */
export class LoggingMailer implements Mailer {
  constructor(
    private readonly logger: Logger,
    /** Log the text body too (development: read the email, open its links). */
    private readonly withText: boolean,
  ) {}

  send(email: OutgoingEmail): Promise<MailOutcome> {
    const text = this.withText ? email.text : undefined;
    this.logger.info(
      { sent: false, to: email.to.address, subject: email.subject, messageId: email.messageId, text },
      'email NOT sent (SMTP_URL is not set)',
    );
    return Promise.resolve('logged');
  }

  close(): void {}
}
