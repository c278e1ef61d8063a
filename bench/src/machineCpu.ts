import fs from 'node:fs';

/** Busy and total jiffies per CPU, from /proc/stat. */
export type CpuTimes = Array<{ busy: number; total: number }>;

/** Reads /proc/stat (empty when unavailable). */
export function cpuTimes(): CpuTimes {
  try {
    return fs
      .readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((l) => /^cpu\d+ /.test(l))
      .map((l) => {
        const f = l.split(/\s+/).slice(1).map(Number);
        const idle = f[3]! + f[4]!;
        const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
        return { busy: total - idle, total };
      });
  } catch {
    return [];
  }
}

/**
 * How busy each CPU was between two readings (percent), whoever used it: on a shared machine this shows when other
 * work competed with the benchmark.
 */
export function busyPercent(before: CpuTimes, after: CpuTimes): number[] {
  return after.map((a, i) => {
    const b = before[i];
    if (!b || a.total === b.total) return 0;
    return Math.round(((a.busy - b.busy) * 100) / (a.total - b.total));
  });
}
