import { LRUCache } from 'lru-cache';
import { Webhook as Signer } from 'standardwebhooks';
import type { WebhookRecord, WebhookStore } from '@chatgraph/notifications';

/** What a worker needs of a webhook to send to it. */
export interface WebhookTarget {
  record: WebhookRecord;
  /** Signs with the webhook's secret (Standard Webhooks). */
  signer: Signer;
}

/**
 * Webhooks' settings (URL, secret, disabled) by id, kept for `ttlMs` so a burst of deliveries to one endpoint reads
 * the database once: a deleted or disabled webhook may still get deliveries for that long.
 */
export class WebhookSettings {
  private readonly cache: LRUCache<string, WebhookTarget | 'none'>;

  constructor(
    private readonly store: WebhookStore,
    ttlMs: number,
  ) {
    this.cache = new LRUCache({ max: 10_000, ttl: ttlMs });
  }

  /** The webhook, or null when it does not exist (deleted). */
  async get(id: bigint): Promise<WebhookTarget | null> {
    const key = id.toString();
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached === 'none' ? null : cached;
    const record = await this.store.byId(id);
    const target = record ? { record, signer: new Signer(record.secret) } : null;
    this.cache.set(key, target ?? 'none');
    return target;
  }

  /** Forgets a webhook (this worker just disabled it). */
  forget(id: bigint): void {
    this.cache.delete(id.toString());
  }
}
