import type { Logger } from '@chatgraph/logging';
import type { EmailLinks } from '@chatgraph/notifications';
import type { EmailRecipientSource } from './EmailRecipients';
import type { EmailTemplates } from './EmailTemplates';
import type { Mailer } from './Mailer';
import type { VerificationQueue, VerificationToSend } from './VerificationQueue';

/** Options of {@link VerificationEmails}. */
export interface VerificationEmailsOptions {
  queue: VerificationQueue;
  recipients: EmailRecipientSource;
  links: EmailLinks;
  templates: EmailTemplates;
  mailer: Mailer;
  logger: Logger;
  leaseMs: number;
  /** How long a link works (`EMAIL_VERIFY_TTL_HOURS`). */
  ttlHours: number;
  /** The domain of Message-IDs. */
  messageIdDomain: string;
}

/** Most verification emails taken from one shard per scan. */
const PER_SCAN = 50;

/**
 * Sends the verification emails users asked for (through the same mailer as every email): claimed per shard, sent,
 * marked sent. The link and the Message-ID derive from the request (user, time), so a resend after a notifier died is
 * the same email.
 */
export class VerificationEmails {
  readonly stats = { sent: 0, logged: 0, failed: 0 };

  constructor(private readonly options: VerificationEmailsOptions) {}

  /** One pass over every shard. Never rejects. */
  async scan(): Promise<void> {
    const { queue, leaseMs, logger } = this.options;
    for (let shard = 0; shard < queue.shards; shard++) {
      try {
        for (const item of await queue.claimDue(shard, PER_SCAN, leaseMs)) await this.send(item);
      } catch (err) {
        logger.warn({ shard, err: (err as Error).message }, 'verification email scan failed; trying again later');
      }
    }
  }

  private async send(item: VerificationToSend): Promise<void> {
    const { queue, recipients, links, templates, mailer, logger, ttlHours, messageIdDomain } = this.options;
    try {
      const user = (await recipients.lookUp([item.userId])).get(item.userId);
      const expiresAt = item.requestedAt.getTime() + ttlHours * 3600_000;
      const rendered = templates.verificationEmail({
        recipientName: user?.displayName ?? 'there',
        verifyUrl: links.verifyUrl(item.userId.toString(), item.email, expiresAt),
        hours: ttlHours,
      });
      const outcome = await mailer.send({
        to: { name: user?.displayName ?? '', address: item.email },
        ...rendered,
        messageId: `<verify.${item.userId}.${item.requestedAt.getTime()}@${messageIdDomain}>`,
      });
      await queue.markSent(item);
      this.stats[outcome]++;
    } catch (err) {
      this.stats.failed++;
      logger.warn(
        { userId: item.userId.toString(), err: (err as Error).message },
        'verification email failed; it is tried again when its claim expires',
      );
    }
  }
}
