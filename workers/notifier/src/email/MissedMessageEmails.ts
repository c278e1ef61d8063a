import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import type { Logger } from '@chatgraph/logging';
import type {
  ClaimedBatch,
  EmailLinks,
  MissedMessageBatches,
  NotificationKind,
  PreferenceStore,
} from '@chatgraph/notifications';
import type { BlockList, MuteList } from '../inbox/RecipientFilters';
import { ChatContent } from './ChatContent';
import type { EmailRecipientSource } from './EmailRecipients';
import type { EmailTemplates, MissedItem } from './EmailTemplates';
import type { Mailer, OutgoingEmail } from './Mailer';
import { stillWorthEmailing } from './missedMessageRules';

/** Options of {@link MissedMessageEmails}. */
export interface MissedMessageEmailsOptions {
  batches: MissedMessageBatches;
  preferences: PreferenceStore;
  chats: ShardedDatabase<ChatsClient>;
  recipients: EmailRecipientSource;
  blocks: BlockList;
  mutes: MuteList;
  links: EmailLinks;
  templates: EmailTemplates;
  mailer: Mailer;
  logger: Logger;
  /** How many notifications shards there are (each is scanned). */
  shards: number;
  /** How long a notification stays unread before it is emailed (`EMAIL_DELAY_MS`). */
  delayMs: number;
  /** How long a claim lasts before another notifier takes the email over (`EMAIL_CLAIM_LEASE_MS`). */
  leaseMs: number;
  /** How long finished batches are kept (`EMAIL_LOG_RETENTION_DAYS`). */
  retentionDays: number;
}

/** What the emails came to, for /metrics. */
export interface MissedMessageStats {
  sent: number;
  skipped: number;
  /** Emails that were only logged (no SMTP server configured). */
  logged: number;
  /** Attempts that failed (the email is tried again once its claim expires). */
  failed: number;
}

/** Most recipients (and expired claims) taken from one shard per scan. */
const PER_SCAN = 50;
/** Old batches are deleted once in this many scans (a minute at the default pace), at most this many per shard. */
const PRUNE_EVERY_SCANS = 60;
const PRUNE_LIMIT = 1000;

const KIND_NAMES: Partial<Record<NotificationKind, string>> = {
  DIRECT_MESSAGE: 'direct messages',
  MENTION: 'mentions',
};

/**
 * Sends missed-message emails. Each scan, per notifications shard: batches whose notifier died are claimed again,
 * then recipients whose oldest pending DIRECT_MESSAGE or MENTION waited the delay get a new batch (see
 * MissedMessageBatches). A batch is checked again just before sending (`stillWorthEmailing`, the verified address),
 * sent as one email with the batch's Message-ID, and recorded SENT or SKIPPED. A failure leaves it claimed: another
 * attempt comes when the claim expires.
 */
export class MissedMessageEmails {
  readonly stats: MissedMessageStats = { sent: 0, skipped: 0, logged: 0, failed: 0 };
  private readonly content: ChatContent;
  private scans = 0;

  constructor(private readonly options: MissedMessageEmailsOptions) {
    this.content = new ChatContent(options.chats);
  }

  /** One pass over every shard. Never rejects (failures are logged and retried later). */
  async scan(): Promise<void> {
    const { batches, shards, delayMs, leaseMs, retentionDays, logger } = this.options;
    const prune = this.scans++ % PRUNE_EVERY_SCANS === 0;
    for (let shard = 0; shard < shards; shard++) {
      try {
        if (prune) await batches.prune(shard, retentionDays, PRUNE_LIMIT);
        for (const batch of await batches.reclaimExpired(shard, PER_SCAN, leaseMs)) await this.deliver(batch);
        for (const recipientId of await batches.dueRecipients(shard, delayMs, PER_SCAN)) {
          const batch = await batches.claim(recipientId, delayMs, leaseMs);
          if (batch) await this.deliver(batch);
        }
      } catch (err) {
        logger.warn({ shard, err: (err as Error).message }, 'missed-message scan failed; trying again later');
      }
    }
  }

  /** Checks a claimed batch again and sends it or skips it; a failure leaves it claimed (retried after the lease). */
  async deliver(batch: ClaimedBatch): Promise<void> {
    const { batches, mailer, logger } = this.options;
    try {
      const email = await this.compose(batch);
      if (typeof email === 'string') {
        await batches.finish(batch, { status: 'SKIPPED', reason: email });
        this.stats.skipped++;
        return;
      }
      const outcome = await mailer.send(email);
      if (outcome === 'logged') {
        await batches.finish(batch, { status: 'SKIPPED', reason: 'not sent: SMTP_URL is not set (logged)' });
        this.stats.logged++;
        return;
      }
      await batches.finish(batch, { status: 'SENT' });
      this.stats.sent++;
    } catch (err) {
      this.stats.failed++;
      logger.warn(
        { batchId: batch.id.toString(), attempt: batch.attempts, err: (err as Error).message },
        'missed-message email failed; it is tried again when its claim expires',
      );
    }
  }

  /** The email of a batch, or why there is none. */
  private async compose(batch: ClaimedBatch): Promise<OutgoingEmail | string> {
    const { batches, preferences, recipients, blocks, mutes, links, templates } = this.options;
    const recipientId = batch.recipientId;
    const notifications = await batches.notificationsOf(batch);
    const now = new Date();
    const settings = await preferences.settingsOf(recipientId, now);
    const actors = [...new Set(notifications.map((n) => n.actorId))];
    const chats = [...new Set(notifications.map((n) => n.chatId))];
    const [people, messages, blockedActors, mutedChats] = await Promise.all([
      recipients.lookUp([recipientId, ...actors.filter((a) => a !== recipientId)]),
      this.content.messagesFor(recipientId, notifications),
      Promise.all(actors.map(async (a) => ((await blocks.blockedBy(a, [recipientId])).has(recipientId) ? a : null))),
      Promise.all(chats.map(async (c) => ((await mutes.mutedBy(c, [recipientId])).has(recipientId) ? c : null))),
    ]);
    const recipient = people.get(recipientId);
    if (!recipient?.verifiedEmail) return 'no verified address';
    const kept = stillWorthEmailing({
      notifications,
      settings,
      now,
      messages,
      blockedActors: new Set(blockedActors.filter((a): a is bigint => a !== null)),
      mutedChats: new Set(mutedChats.filter((c): c is bigint => c !== null)),
    });
    if (kept.length === 0) return 'read, deleted or not wanted any more';
    // In the order the messages were sent (inbox order is the order events were handled, which may differ).
    kept.sort((a, b) => {
      const x = messages.get(a.messageId!)!;
      const y = messages.get(b.messageId!)!;
      return x.createdAt.getTime() - y.createdAt.getTime() || x.seq - y.seq;
    });
    const items: MissedItem[] = kept.map((n) => {
      const message = messages.get(n.messageId!)!;
      const actor = people.get(n.actorId)?.displayName ?? 'Someone';
      const heading =
        n.kind === 'MENTION'
          ? `${actor} mentioned you in ${message.chatTitle ?? 'a chat'}`
          : `${actor} sent you a direct message`;
      return { heading, text: message.text };
    });
    const kinds = [...new Set(kept.map((n) => n.kind))];
    const userId = recipientId.toString();
    const rendered = templates.missedMessages({
      recipientName: recipient.displayName,
      items,
      unsubscribe: kinds.map((k) => ({ name: KIND_NAMES[k] ?? k, url: links.unsubscribeUrl(userId, [k]) })),
    });
    return {
      to: { name: recipient.displayName, address: recipient.verifiedEmail },
      ...rendered,
      messageId: batch.messageId,
      unsubscribeUrl: links.unsubscribeUrl(userId, kinds),
    };
  }
}
