/**
 * The V8 pool size every launcher of the stack (npm start, the test and bench harness) gives its processes through
 * NODE_OPTIONS; a process started that way really runs with that many V8 background threads.
 */
import { execFileSync } from 'node:child_process';
import { nodeOptionsFor } from '../src/v8PoolSize';

/** The threads of a node process started with `nodeOptions`, as it counts them itself (V8's pool starts with it). */
function threadsWith(nodeOptions: string): number {
  const out = execFileSync(
    process.execPath,
    ['-e', "console.log(require('node:fs').readdirSync('/proc/self/task').length)"],
    {
      env: { ...process.env, NODE_OPTIONS: nodeOptions },
      encoding: 'utf8',
    },
  );
  return Number(out.trim());
}

describe('nodeOptionsFor', () => {
  it('gives one V8 background thread by default, V8_POOL_SIZE when set, and keeps the other NODE_OPTIONS', () => {
    expect(nodeOptionsFor({})).toBe('--v8-pool-size=1');
    expect(nodeOptionsFor({ V8_POOL_SIZE: '3' })).toBe('--v8-pool-size=3');
    expect(nodeOptionsFor({ V8_POOL_SIZE: '0' })).toBe('--v8-pool-size=0');
    expect(nodeOptionsFor({ NODE_OPTIONS: '--max-old-space-size=512' })).toBe(
      '--max-old-space-size=512 --v8-pool-size=1',
    );
  });

  it('keeps a --v8-pool-size that NODE_OPTIONS already has', () => {
    expect(nodeOptionsFor({ NODE_OPTIONS: '--v8-pool-size=4', V8_POOL_SIZE: '2' })).toBe('--v8-pool-size=4');
    expect(nodeOptionsFor({ NODE_OPTIONS: '--v8_pool_size=4' })).toBe('--v8_pool_size=4');
    expect(nodeOptionsFor({ NODE_OPTIONS: '--trace-warnings --v8-pool-size 2' })).toBe(
      '--trace-warnings --v8-pool-size 2',
    );
  });

  it('refuses a V8_POOL_SIZE that is not a whole number from 0 to 64, naming the variable', () => {
    for (const bad of ['-1', 'two', '1.5', '65', '100000']) {
      expect(() => nodeOptionsFor({ V8_POOL_SIZE: bad })).toThrow(/V8_POOL_SIZE must be a whole number from 0 to 64/);
    }
  });

  it('starts a process with fewer threads than Node gives it by default', () => {
    const one = threadsWith(nodeOptionsFor({}));
    const four = threadsWith('--v8-pool-size=4');
    // Node's default pool is 4: three threads fewer with a pool of one.
    expect(four - one).toBe(3);
  });
});
