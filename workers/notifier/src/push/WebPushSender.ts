import https from 'node:https';
import webpush, { WebPushError } from 'web-push';
import type { EgressGuard } from '@chatgraph/egress';
import type { PushSubscriptionRecord } from '@chatgraph/notifications';

/** Options of {@link WebPushSender}: the VAPID key pair (RFC 8292) and limits. */
export interface WebPushSenderOptions {
  publicKey: string;
  privateKey: string;
  /** `mailto:` or `https:` contact for push services. */
  subject: string;
  timeoutMs: number;
  /** How long a push service keeps an undelivered message, in seconds. @default 86400 */
  ttlSeconds?: number;
  /** Where pushes may go (endpoints are URLs users registered): its https agent checks every address connected to. */
  egress: EgressGuard;
}

/**
 * Sends one encrypted Web Push message (RFC 8030 delivery, RFC 8291 `aes128gcm` encryption, VAPID authentication)
 * through `web-push`. Resolves `sent`, or `gone` when the push service says the subscription no longer exists
 * (404/410: the caller removes it); throws for anything worth retrying (5xx, 429, network).
 */
export class WebPushSender {
  constructor(private readonly options: WebPushSenderOptions) {}

  async send(subscription: PushSubscriptionRecord, payload: string, topic: string): Promise<'sent' | 'gone'> {
    const { egress } = this.options;
    // Throws for a refused literal address; names are checked when the agent connects.
    egress.assertUrl(new URL(subscription.endpoint));
    const agent = egress.agent('https:');
    try {
      await webpush.sendNotification(
        { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
        payload,
        {
          vapidDetails: {
            subject: this.options.subject,
            publicKey: this.options.publicKey,
            privateKey: this.options.privateKey,
          },
          TTL: this.options.ttlSeconds ?? 86_400,
          timeout: this.options.timeoutMs,
          contentEncoding: 'aes128gcm',
          // A push service replaces a still-undelivered message with the same topic: a retried push is not shown twice.
          topic,
          ...(agent instanceof https.Agent ? { agent } : {}),
        },
      );
      return 'sent';
    } catch (err) {
      if (err instanceof WebPushError && (err.statusCode === 404 || err.statusCode === 410)) return 'gone';
      if (err instanceof WebPushError) throw new Error(`push service answered ${err.statusCode}: ${err.body}`);
      throw err;
    }
  }
}
