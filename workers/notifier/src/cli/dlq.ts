#!/usr/bin/env node
// `npm run dlq -- list [queue]` and `npm run dlq -- replay <queue>`: the dead-letter queues of the notification
// pipeline. <queue> is `inbox` or `push` (or a full queue name). Uses AMQP_URL and AMQP_PREFIX like the workers.
import amqplib from 'amqplib';
import { loadConfigOrExit } from '@chatgraph/config';
import { AMQP_SOCKET_OPTIONS } from '../amqp/socketOptions';
import { Topology } from '../amqp/Topology';
import { DeadLetters } from './DeadLetters';

const USAGE = 'usage: npm run dlq -- list [inbox|push] | replay <inbox|push>';

async function main(argv: string[]): Promise<number> {
  const [command, queueName] = argv;
  if ((command !== 'list' && command !== 'replay') || (command === 'replay' && !queueName)) {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  const config = loadConfigOrExit();
  const topology = new Topology({
    prefix: config.AMQP_PREFIX,
    retryDelaysMs: config.NOTIFIER_RETRY_DELAYS_MS,
    deliveryLimit: config.NOTIFIER_DELIVERY_LIMIT,
  });
  const queue = queueName === undefined ? undefined : topology.queueNamed(queueName);
  if (queueName !== undefined && !queue) {
    process.stderr.write(`unknown queue ${queueName} (known: ${topology.queues.map((q) => q.name).join(', ')})\n`);
    return 64;
  }
  const connection = await amqplib.connect(config.AMQP_URL, AMQP_SOCKET_OPTIONS);
  try {
    const channel = await connection.createConfirmChannel();
    await topology.assert(channel);
    const dead = new DeadLetters(channel, topology);
    if (command === 'replay') {
      const n = await dead.replay(queue!);
      process.stdout.write(`replayed ${n} message${n === 1 ? '' : 's'} from ${queue!.dlq} to ${queue!.name}\n`);
    } else if (!queue) {
      for (const c of await dead.counts()) process.stdout.write(`${c.dlq}\t${c.messages}\n`);
    } else {
      const letters = await dead.peek(queue, 50);
      process.stdout.write(`${queue.dlq}: ${letters.length} message${letters.length === 1 ? '' : 's'} shown\n`);
      for (const l of letters) {
        process.stdout.write(`${l.messageId ?? '-'}\tattempts=${l.attempts}\terror=${l.error ?? '-'}\n  ${l.body}\n`);
      }
    }
    await channel.close();
    return 0;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`dlq: ${err.message}\n`);
    process.exit(1);
  },
);
