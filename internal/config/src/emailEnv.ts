import { z } from 'zod';
import { positiveInt } from './schemaParts';

/**
 * The variables of email: the SMTP server, the sender, the missed-message delay and the signed links (verification,
 * unsubscribe) that the notifications service answers. Without `SMTP_URL` nothing is sent: emails are logged,
 * marked as not sent, so that `npm start` works on a bare machine.
 */
export const emailEnv = {
  /**
   * The SMTP server (`smtp://user:pass@host:587`, `smtps://host:465`; nodemailer's URL options such as
   * `?tls.rejectUnauthorized=false` work too). Unset: emails are logged instead of sent.
   */
  SMTP_URL: z
    .string()
    .refine((v) => {
      try {
        return ['smtp:', 'smtps:'].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, 'must be a URL starting with smtp:// or smtps://')
    .optional(),
  /** The From of every email: an address, or `Name <address>`. */
  EMAIL_FROM: z
    .string()
    .regex(/^[^\r\n]{3,200}$/, 'must be one line of 3-200 characters')
    .default('chatgraph <no-reply@chatgraph.invalid>'),
  /** The domain of every Message-ID (`<email-batch.123@domain>`). */
  EMAIL_MESSAGE_ID_DOMAIN: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a domain name')
    .default('chatgraph.invalid'),
  /** How long a DIRECT_MESSAGE or MENTION stays unread before a missed-message email is sent (and the window it batches). */
  EMAIL_DELAY_MS: positiveInt(120_000),
  /** How often a notifier looks for emails that are due (and for claims a dead notifier left). */
  EMAIL_SCAN_MS: positiveInt(1_000),
  /**
   * How long a notifier may take to send an email it claimed; after that another notifier sends it again (with the
   * same Message-ID). Longer than an SMTP transaction ever takes; every further attempt waits one lease longer.
   */
  EMAIL_CLAIM_LEASE_MS: positiveInt(60_000),
  /**
   * Signs verification and unsubscribe links (HMAC-SHA256); at least 32 characters. Unset: a key derived from
   * GATEWAY_IDENTITY_SECRET (which every service already shares); set it to rotate link keys on their own.
   */
  EMAIL_LINK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /**
   * Where people's browsers and mail clients reach the notifications service's `/email/...` routes, e.g.
   * `https://chat.example.com` when a proxy forwards `/email/` to it. Unset: the notifications service on loopback.
   */
  EMAIL_LINK_BASE_URL: z
    .string()
    .refine((v) => {
      try {
        return ['http:', 'https:'].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, 'must be a URL starting with http:// or https://')
    .optional(),
  /** How long the record of each missed-message email (sent, or skipped and why) is kept. */
  EMAIL_LOG_RETENTION_DAYS: positiveInt(30),
  /** How long a verification link works. */
  EMAIL_VERIFY_TTL_HOURS: positiveInt(48),
};
