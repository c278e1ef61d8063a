import { LRUCache } from 'lru-cache';
import { Webhook as Signer } from 'standardwebhooks';
import { decomposeId } from '@chatgraph/ids';
import type { WebhookRecord, WebhookStore } from '@chatgraph/notifications';

/** What a worker needs of a webhook to send to it. */
export interface WebhookTarget {
  record: WebhookRecord;
  /** Signs with the webhook's secret (Standard Webhooks). */
  signer: Signer;
}

/**
 * How old a webhook id must be before a missing webhook is taken for a deleted one: `createWebhook` writes the routing
 * rows a moment before the webhook itself, and an event routed in between must neither drop them nor remember the
 * webhook as missing.
 */
export const SETTLED_MS = 60_000;

/** True when the webhook with this id was created (or its creation given up) more than {@link SETTLED_MS} ago. */
export function isSettled(webhookId: bigint, now = Date.now()): boolean {
  return now - decomposeId(webhookId).timeMs > SETTLED_MS;
}

/**
 * Webhooks' settings (URL, secret, disabled) by id, kept for `ttlMs` so a burst of deliveries to one endpoint reads
 * the database once (the deliveries asking while it is being read wait for that one read): a deleted or disabled
 * webhook may still get deliveries for that long.
 */
export class WebhookSettings {
  private readonly cache: LRUCache<string, WebhookTarget | 'none'>;

  constructor(
    private readonly store: WebhookStore,
    ttlMs: number,
  ) {
    this.cache = new LRUCache({ max: 10_000, ttl: ttlMs, fetchMethod: (key) => this.read(BigInt(key)) });
  }

  /** The webhook, or null when it does not exist (deleted). */
  async get(id: bigint): Promise<WebhookTarget | null> {
    const target = await this.cache.fetch(id.toString());
    return target === undefined || target === 'none' ? null : target;
  }

  /** Forgets a webhook (this worker just disabled it). */
  forget(id: bigint): void {
    this.cache.delete(id.toString());
  }

  /** Reads a webhook; a missing one is kept as missing only once its id is settled (undefined: not kept). */
  private async read(id: bigint): Promise<WebhookTarget | 'none' | undefined> {
    const record = await this.store.byId(id);
    if (record) return { record, signer: new Signer(record.secret) };
    return isSettled(id) ? 'none' : undefined;
  }
}
