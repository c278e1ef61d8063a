import fs from 'node:fs';
import type { StackProcess } from '@chatgraph/testing';

/** CPU time and resident memory of a process, read from /proc. */
export interface ProcessSample {
  cpuSeconds: number;
  /** The part of `cpuSeconds` spent in the kernel on the process's behalf (system calls, the loopback network). */
  systemSeconds: number;
  rssBytes: number;
}

const TICKS_PER_SECOND = 100;

/** CPU seconds a process has used so far, and its current RSS (NaN when it is gone or /proc is missing). */
export function processSample(proc: StackProcess): ProcessSample {
  try {
    const stat = fs.readFileSync(`/proc/${proc.child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const systemSeconds = Number(fields[12]) / TICKS_PER_SECOND;
    const cpuSeconds = Number(fields[11]) / TICKS_PER_SECOND + systemSeconds;
    const status = fs.readFileSync(`/proc/${proc.child.pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuSeconds, systemSeconds, rssBytes: rssKb * 1024 };
  } catch {
    return { cpuSeconds: Number.NaN, systemSeconds: Number.NaN, rssBytes: Number.NaN };
  }
}
