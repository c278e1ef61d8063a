// `node bench/dist/tools/publishBatch.js [--members=10,100] [--batches=3000]`: what announcing one change to many
// channels costs the publisher, side by side on the machine's Redis. A change's activity goes to each member's channel
// with the same payload: `RedisEventBus.publishMany` sends it as one command with the payload once (see
// PUBLISH_BATCH_LUA), against one publish per channel through the same bus (its breaker, time limit and stats each).
// Prints CPU microseconds per change of this process and of the Redis server (its INFO cpu), and the wall time,
// alternating the two for three rounds.
import { createLogger } from '@chatgraph/logging';
import { RedisEventBus, type Publication } from '@chatgraph/pubsub';
import { round } from '../stats';

function flag(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

/** CPU seconds the Redis server has used so far (user and system, all its threads). */
async function redisCpuSeconds(bus: RedisEventBus): Promise<number> {
  const info = String(await bus.publisher.info('cpu'));
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

async function main(): Promise<void> {
  const bus = new RedisEventBus({
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    logger: createLogger('bench', 'silent'),
  });
  while (bus.publisher.status !== 'ready') await new Promise((resolve) => setTimeout(resolve, 20));
  const batches = Number(flag('batches', '3000'));
  try {
    for (const members of flag('members', '10,100').split(',').map(Number)) {
      // The shape of a ChatActivity announcement (EventPublisher), on channels nobody listens to.
      const payload = {
        __typename: 'ChatActivity',
        chat: { __typename: 'Chat', id: '253352220547764226' },
        seq: 19,
        type: 'MESSAGE_ADDED',
        at: new Date().toISOString(),
        actor: { __typename: 'User', id: '253352209585661009' },
        _meta: { committedAt: Date.now(), traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      };
      const messages: Publication[] = Array.from({ length: members }, (_, i) => ({
        topic: `bench-activity:${process.pid}:${i}`,
        payload,
      }));
      const variants: Record<string, () => Promise<unknown>> = {
        'one publish per channel': () => Promise.all(messages.map((m) => bus.publish(m.topic, m.payload))),
        publishMany: () => bus.publishMany(messages),
      };
      for (let r = 1; r <= 3; r++) {
        for (const [name, announce] of Object.entries(variants)) {
          const redis0 = await redisCpuSeconds(bus);
          const cpu = process.cpuUsage();
          const started = performance.now();
          // Two changes in flight at a time, as concurrent sends have.
          for (let i = 0; i < batches / 2; i++) await Promise.all([announce(), announce()]);
          const used = process.cpuUsage(cpu);
          const wall = performance.now() - started;
          const redis = ((await redisCpuSeconds(bus)) - redis0) * 1e6;
          console.log(
            `${members} channels, round ${r}, ${name}: ${round((used.user + used.system) / batches, 1)} µs CPU per ` +
              `change here, ${round(redis / batches, 1)} µs in Redis, ${round(wall)} ms for ${batches}`,
          );
        }
      }
    }
  } finally {
    await bus.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
