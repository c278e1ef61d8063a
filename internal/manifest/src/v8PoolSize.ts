/**
 * Background threads V8 gets in each of our processes unless `V8_POOL_SIZE` says otherwise. Node's own default is 4
 * per process. A machine that runs the whole stack (ten processes or so, more with replicas) then has dozens of such
 * threads, and a process's collector (concurrent marking, parallel scavenges) wakes four of them at once: on two cores
 * they took the CPU from the processes on a live event's path for 10–40 ms at a time, which was the live latency's
 * tail (docs/benchmarks.md, "Where the live tail comes from"). One thread per process keeps collections in the
 * background and leaves the cores to the request paths; a process given cores of its own can be given more.
 */
const DEFAULT_V8_POOL_SIZE = 1;

/** The flag as Node reads it, dashes or underscores (`--v8-pool-size`, `--v8_pool_size`). */
const POOL_SIZE_FLAG = /(^|\s)--v8[-_]pool[-_]size(=|\s|$)/;

/**
 * `NODE_OPTIONS` for a process of the stack started from `env`: its `NODE_OPTIONS` with `--v8-pool-size` set to
 * `V8_POOL_SIZE` (default {@link DEFAULT_V8_POOL_SIZE}; 0 lets Node pick from the machine's cores). A `--v8-pool-size`
 * already in `NODE_OPTIONS` is kept as it is. Throws on a `V8_POOL_SIZE` that is not a whole number from 0 to 64.
 */
export function nodeOptionsFor(env: Readonly<Record<string, string | undefined>>): string {
  const current = env.NODE_OPTIONS?.trim() ?? '';
  if (POOL_SIZE_FLAG.test(current)) return current;
  const raw = env.V8_POOL_SIZE?.trim() || String(DEFAULT_V8_POOL_SIZE);
  if (!/^[0-9]{1,2}$/.test(raw) || Number(raw) > 64) {
    throw new Error(`V8_POOL_SIZE must be a whole number from 0 to 64 (got ${JSON.stringify(env.V8_POOL_SIZE)})`);
  }
  return `${current} --v8-pool-size=${Number(raw)}`.trim();
}
