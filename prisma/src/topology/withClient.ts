import { Client } from 'pg';

/**
 * Runs `work` on a connection of its own to `url` (the control database, or a shard during a move), closed after
 * whatever happens; a connection dropping meanwhile is reported through the query that used it, never the process.
 */
export async function withClient<T>(
  url: string,
  work: (client: Client) => Promise<T>,
  applicationName = 'chatgraph-topology',
): Promise<T> {
  const client = new Client({ connectionString: url, application_name: applicationName });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
