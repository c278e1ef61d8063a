import type { ConfirmChannel, GetMessage } from 'amqplib';
import { ATTEMPTS_HEADER, ERROR_HEADER } from '../amqp/QueueConsumer';
import type { Topology, WorkQueue } from '../amqp/Topology';

/** One dead-lettered message as listed. */
export interface DeadLetter {
  messageId: string | null;
  attempts: number;
  error: string | null;
  body: string;
}

/** The dead-letter queues of the pipeline: listing them and replaying their messages into their work queues. */
export class DeadLetters {
  constructor(
    private readonly channel: ConfirmChannel,
    private readonly topology: Topology,
  ) {}

  /** Messages waiting in each dead-letter queue. */
  async counts(): Promise<Array<{ queue: string; dlq: string; messages: number }>> {
    const out = [];
    for (const q of this.topology.queues) {
      const { messageCount } = await this.channel.checkQueue(q.dlq);
      out.push({ queue: q.name, dlq: q.dlq, messages: messageCount });
    }
    return out;
  }

  /**
   * Up to `limit` messages of a queue's DLQ, oldest first, left in place: they are taken unacknowledged and returned
   * when the channel closes (the caller closes it).
   */
  async peek(queue: WorkQueue, limit: number): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    while (out.length < limit) {
      const msg = await this.channel.get(queue.dlq, { noAck: false });
      if (!msg) break;
      out.push(describe(msg));
    }
    return out;
  }

  /**
   * Moves every message now in a queue's DLQ back to the work queue with its attempts reset, each acknowledged only
   * after the broker confirmed its copy (a crash in between duplicates, never loses: consumers are idempotent).
   * Messages that land in the DLQ meanwhile wait for the next replay. Returns how many were replayed.
   */
  async replay(queue: WorkQueue): Promise<number> {
    const { messageCount } = await this.channel.checkQueue(queue.dlq);
    let replayed = 0;
    while (replayed < messageCount) {
      const msg = await this.channel.get(queue.dlq, { noAck: false });
      if (!msg) break;
      const headers = { ...msg.properties.headers };
      delete headers[ATTEMPTS_HEADER];
      delete headers['x-death'];
      delete headers['x-first-death-exchange'];
      delete headers['x-first-death-queue'];
      delete headers['x-first-death-reason'];
      this.channel.publish(this.topology.workExchange, queue.name, msg.content, {
        ...msg.properties,
        headers: { ...headers, 'x-chatgraph-replayed-error': headers[ERROR_HEADER] ?? null },
        persistent: true,
      });
      await this.channel.waitForConfirms();
      this.channel.ack(msg);
      replayed++;
    }
    return replayed;
  }
}

function describe(msg: GetMessage): DeadLetter {
  const headers = msg.properties.headers ?? {};
  const body = msg.content.toString('utf8');
  return {
    messageId: typeof msg.properties.messageId === 'string' ? msg.properties.messageId : null,
    attempts: Number(headers[ATTEMPTS_HEADER] ?? 0),
    error: typeof headers[ERROR_HEADER] === 'string' ? headers[ERROR_HEADER] : null,
    body: body.length > 300 ? `${body.slice(0, 300)}…` : body,
  };
}
