import fs from 'node:fs';
import os from 'node:os';

let tasksetAvailable: boolean | undefined;

/**
 * Whether `taskset` can pin processes here (it exists and at least two CPUs are usable), and may: `BENCH_PIN=off`
 * leaves every process to the scheduler, to see what the layout itself does to a scenario's latency.
 */
export function canPin(): boolean {
  if (tasksetAvailable === undefined) {
    tasksetAvailable =
      process.env.BENCH_PIN !== 'off' &&
      (fs.existsSync('/usr/bin/taskset') || fs.existsSync('/bin/taskset')) &&
      os.availableParallelism() >= 2;
  }
  return tasksetAvailable;
}

/**
 * The wrapper command (ProcessStack's `wrapper`) that pins a process to `cpu`; none when pinning is not possible or
 * `cpu` is null. taskset execs node, so the process id, its IPC channel and its /proc entries are node's.
 */
export function pinTo(cpu: number | null): string[] | undefined {
  return cpu !== null && canPin() ? ['taskset', '-c', String(cpu)] : undefined;
}
