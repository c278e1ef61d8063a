// `node bench/dist/tools/amqpLatency.js [--messages=1000] [--gap-ms=5]`: the broker hop of the notification pipeline
// alone, side by side. Publishes persistent messages with confirms, one every `gap-ms`, to a quorum and to a classic
// queue on the machine's RabbitMQ, each over a connection with Nagle's algorithm on (amqplib's default) and off (what
// the notifier uses, `AMQP_SOCKET_OPTIONS`), and prints publish → consumer and publish → confirm, p50 and p99.
import amqplib from 'amqplib';
import { randomBytes } from 'node:crypto';
import { loadConfigOrExit } from '@chatgraph/config';
import { round } from '../stats';

interface Variant {
  queueType: 'quorum' | 'classic';
  noDelay: boolean;
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? NaN;

async function measure(url: string, variant: Variant, messages: number, gapMs: number) {
  const connection = await amqplib.connect(url, { noDelay: variant.noDelay });
  const queue = `bench-amqp-latency-${randomBytes(4).toString('hex')}`;
  const publisher = await connection.createConfirmChannel();
  const consumer = await connection.createChannel();
  try {
    await publisher.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': variant.queueType } });
    await consumer.prefetch(256);
    const delivered: number[] = [];
    const confirmed: number[] = [];
    await consumer.consume(queue, (msg) => {
      if (!msg) return;
      delivered.push(performance.now() - Number(msg.content.toString()));
      consumer.ack(msg);
    });
    for (let i = 0; i < messages; i++) {
      const sent = performance.now();
      publisher.sendToQueue(queue, Buffer.from(String(sent)), { persistent: true }, (err) => {
        if (!err) confirmed.push(performance.now() - sent);
      });
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    await publisher.waitForConfirms();
    const deadline = Date.now() + 5_000;
    while (delivered.length < messages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return { delivered, confirmed };
  } finally {
    await publisher.deleteQueue(queue).catch(() => undefined);
    await connection.close();
  }
}

async function main(): Promise<void> {
  const options = { messages: 1000, gapMs: 5 };
  for (const arg of process.argv.slice(2)) {
    const [key, value] = arg.split('=');
    if (key === '--messages') options.messages = Number(value);
    else if (key === '--gap-ms') options.gapMs = Number(value);
  }
  const config = loadConfigOrExit();
  const variants: Variant[] = [
    { queueType: 'quorum', noDelay: false },
    { queueType: 'quorum', noDelay: true },
    { queueType: 'classic', noDelay: false },
    { queueType: 'classic', noDelay: true },
  ];
  process.stdout.write(`${options.messages} persistent messages, one every ${options.gapMs} ms, with confirms\n`);
  for (const variant of variants) {
    const { delivered, confirmed } = await measure(config.AMQP_URL, variant, options.messages, options.gapMs);
    const line = [
      `${variant.queueType.padEnd(7)} Nagle ${variant.noDelay ? 'off' : 'on '}`,
      `publish → consumer p50 ${round(percentile(delivered, 0.5))} ms p99 ${round(percentile(delivered, 0.99))} ms`,
      `publish → confirm p50 ${round(percentile(confirmed, 0.5))} ms p99 ${round(percentile(confirmed, 0.99))} ms`,
      `(${delivered.length}/${options.messages} delivered)`,
    ];
    process.stdout.write(`${line.join(', ')}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
