#!/usr/bin/env node
// `npm run shards:move -- --service chats --range 1024-2047 --to <server name | postgresql://host:port>`:
// moves one physical shard to another Postgres server while the services run (see ShardMover). Run it again after
// an interruption to resume.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@chatgraph/config';
import { createLogger } from '@chatgraph/logging';
import { ChannelSubscriber, createRedis, publishOn, redisLocation } from '@chatgraph/pubsub';
import { ShardMover } from '../topology/ShardMover';
import type { ShardedService } from '../topology/Topology';
import { TopologyStore } from '../topology/TopologyStore';

const USAGE =
  'usage: npm run shards:move -- --service users|chats|notifications --range <from>-<to> --to <server | postgresql://…>\n' +
  '       [--drop-source-after-ms 30000] [--drain-ms 3000]\n';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      service: { type: 'string' },
      range: { type: 'string' },
      to: { type: 'string' },
      'drop-source-after-ms': { type: 'string' },
      'drain-ms': { type: 'string' },
    },
  });
  const range = /^(\d+)-(\d+)$/.exec(values.range ?? '');
  const service = values.service as ShardedService | undefined;
  if (!service || !['users', 'chats', 'notifications'].includes(service) || !range || !values.to) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const location = redisLocation(config);
  const publisher = createRedis(location, { name: 'shards-move', offlineQueue: true, maxRetriesPerRequest: 3 });
  publisher.on('error', () => undefined);
  const subscriberClient = createRedis(location, { name: 'shards-move-acks', subscriber: true, offlineQueue: true });
  subscriberClient.on('error', () => undefined);
  const subscriber = new ChannelSubscriber(subscriberClient, createLogger('shards-move', config));
  try {
    const mover = new ShardMover(
      new TopologyStore(config.DATABASE_URL, config.DB_NAME_PREFIX),
      { publish: (channel, message) => publishOn(publisher, channel, message) },
      config.DB_NAME_PREFIX,
      subscriber,
    );
    const report = await mover.move({
      service,
      from: Number(range[1]),
      to: Number(range[2]),
      target: values.to,
      dropSourceAfterMs: values['drop-source-after-ms'] ? Number(values['drop-source-after-ms']) : undefined,
      drainMs: values['drain-ms'] ? Number(values['drain-ms']) : undefined,
      log: (line) => process.stdout.write(`shards:move: ${line}\n`),
    });
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    subscriber.close();
    await subscriberClient.quit().catch(() => subscriberClient.disconnect());
    await publisher.quit().catch(() => publisher.disconnect());
  }
}

main().catch((err: Error) => {
  process.stderr.write(`shards:move failed: ${err.message}\n(run the same command again to resume)\n`);
  process.exit(1);
});
