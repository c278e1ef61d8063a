import fs from 'node:fs';

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
 * nothing else during a run, so their use between two readings is the run's. A process that exits in between (a
 * PostgreSQL backend whose connection closed) takes its time with it, so the figure is a floor.
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
    totals[server]! += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  }
  return totals;
}
