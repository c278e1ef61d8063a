import amqplib from 'amqplib';

/**
 * Deletes every exchange and queue a notifier declared under `prefix` on the broker at `url`: each work queue named
 * in `queues` (`inbox`, `push`, ...) with its dead-letter queue and one delay queue per retry delay, then the three
 * exchanges. Stacks that share a broker (tests, the bench) give each run its own prefix and remove it at the end.
 */
export async function deletePipelineTopology(
  url: string,
  prefix: string,
  queues: Record<string, readonly number[]>,
): Promise<void> {
  const connection = await amqplib.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const [work, retryDelaysMs] of Object.entries(queues)) {
      const queue = `${prefix}.notify.${work}`;
      for (const name of [queue, `${queue}.dlq`, ...retryDelaysMs.map((ms, i) => `${queue}.retry${i + 1}.${ms}ms`)]) {
        await channel.deleteQueue(name);
      }
    }
    for (const exchange of ['events', 'work', 'dead']) await channel.deleteExchange(`${prefix}.${exchange}`);
    await channel.close();
  } finally {
    await connection.close();
  }
}
