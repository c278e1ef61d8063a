import fs from 'node:fs';
import type { StackProcess } from '@chatgraph/testing';
import { processSample } from './processSample';

/** The servers a run uses besides our processes, by the name the kernel gives their processes. */
const SERVERS: Record<string, string> = {
  postgres: 'PostgreSQL',
  'redis-server': 'Redis',
  'beam.smp': 'RabbitMQ',
};

const TICKS_PER_SECOND = 100;

/**
 * CPU seconds used so far by every PostgreSQL, Redis and RabbitMQ process on the machine (all threads), by server:
 * what a scenario costs the servers it talks to, next to what it costs our processes. Servers are shared with
 * nothing else during a run, so their use between two readings is the run's, including that of processes that
 * exited in between (a PostgreSQL backend whose connection closed, an autovacuum worker) once their parent reaped them.
 */
export function infrastructureCpuSeconds(): Record<string, number> {
  const totals: Record<string, number> = Object.fromEntries(Object.values(SERVERS).map((name) => [name, 0]));
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return totals;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone since the listing
    }
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const server = SERVERS[stat.slice(open + 1, close)];
    if (!server) continue;
    const fields = stat.slice(close + 2).split(' ');
    // Its own time and that of its children it has reaped: a PostgreSQL backend or autovacuum worker that exited
    // counts in the postmaster's (a live child is not in it yet, so nothing counts twice).
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    totals[server]! += (utime! + stime! + cutime! + cstime!) / TICKS_PER_SECOND;
  }
  return totals;
}

/** CPU seconds used so far by each of `processes` (by the name given) and by each server (see above). */
export function cpuSecondsOf(processes: Record<string, StackProcess>): Record<string, number> {
  return {
    ...Object.fromEntries(Object.entries(processes).map(([name, p]) => [name, processSample(p).cpuSeconds])),
    ...infrastructureCpuSeconds(),
  };
}
