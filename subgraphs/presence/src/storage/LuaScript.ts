import { createHash } from 'node:crypto';
import type { RedisClient } from '@chatgraph/pubsub';

/**
 * A Lua script run with EVALSHA, falling back to EVAL when the server does not know it yet (first use, or after a
 * Redis restart flushed the script cache). So the normal case is one command and one round trip.
 */
export class LuaScript {
  /** SHA-1 of the source, as Redis names the script. */
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script with `keys` (KEYS) and `args` (ARGV) and returns Redis's raw reply. */
  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        return redis.eval(this.source, keys.length, ...keys, ...args);
      }
      throw err;
    }
  }
}
