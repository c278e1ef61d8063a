import type { ChatsClient, ChatsPrisma } from '@chatgraph/db';
import { isRetryableTransactionError } from './dbErrors';

/** Options of {@link runTransaction}. */
export interface RunTransactionOptions {
  /** Attempts in all when Postgres aborts the transaction for a deadlock or serialization failure. @default 4 */
  attempts?: number;
  /** Longest the transaction may run. @default 15000 */
  timeoutMs?: number;
}

/**
 * Runs `work` in a READ COMMITTED transaction on one shard and retries it from the start when Postgres breaks a
 * deadlock by aborting it. Writers take their locks in one order (a member row before its chat row), so deadlocks
 * are rare (e.g. an owner leaving while the member who would inherit is being removed), but when one happens the
 * loser is simply run again.
 */
export async function runTransaction<T>(
  client: ChatsClient,
  work: (tx: ChatsPrisma.TransactionClient) => Promise<T>,
  options: RunTransactionOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.$transaction(work, { timeout: options.timeoutMs ?? 15_000, maxWait: 10_000 });
    } catch (err) {
      if (attempt >= attempts || !isRetryableTransactionError(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20 * attempt)));
    }
  }
}
