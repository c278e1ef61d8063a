import { PermanentFailure } from '../amqp/PermanentFailure';

/** One delivery to send: what the delivery queue carries (the secret never travels; workers look it up). */
export interface DeliveryJob {
  deliveryId: string;
  webhookId: string;
  /** The exact body to POST. */
  payload: string;
}

const ID = /^[1-9]\d{0,18}$/;

/** Reads a delivery job; anything else can never be handled. */
export function parseDeliveryJob(content: Buffer): DeliveryJob {
  let job: Partial<DeliveryJob> | null;
  try {
    job = JSON.parse(content.toString('utf8')) as Partial<DeliveryJob> | null;
  } catch {
    throw new PermanentFailure('not JSON');
  }
  if (
    !job ||
    typeof job.deliveryId !== 'string' ||
    !ID.test(job.deliveryId) ||
    typeof job.webhookId !== 'string' ||
    !ID.test(job.webhookId) ||
    typeof job.payload !== 'string'
  )
    throw new PermanentFailure('not a delivery job');
  return { deliveryId: job.deliveryId, webhookId: job.webhookId, payload: job.payload };
}
