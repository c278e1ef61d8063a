import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '@chatgraph/config';

/**
 * A configuration for a test: defaults of this machine, a database prefix of its own (so test files running in
 * parallel never share a database) and quiet logs.
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DB_NAME_PREFIX: `t${randomBytes(5).toString('hex')}`,
    DB_POOL_SIZE: '5',
    // One notifications database is enough for tests that do not look at notifications (fewer databases to create).
    NOTIFICATIONS_SHARDS: '1',
    ...overrides,
  });
}
