import { round } from '../stats';

/** The servers' names in a CPU split (see infrastructureCpu.ts); everything else in it is a process of ours. */
const SERVER_NAMES = new Set(['PostgreSQL', 'Redis', 'RabbitMQ']);

/**
 * The arithmetic of a CPU split: every process's CPU ms per event added up (ours, the load generator, the servers)
 * against what the machine's cores have per event at that rate. Undefined for runs that did not measure the servers.
 */
export function cpuBudget(
  split: Record<string, number>,
  rate: number,
  cpus: unknown,
  what: string,
): string | undefined {
  if (!Object.keys(split).some((k) => SERVER_NAMES.has(k)) || typeof cpus !== 'number') return undefined;
  let ours = 0;
  let servers = 0;
  for (const [k, v] of Object.entries(split)) {
    if (SERVER_NAMES.has(k)) servers += v;
    else ours += v;
  }
  const available = (cpus * 1000) / rate;
  const all = ours + servers;
  return (
    `all processes ${round(all, 2)} CPU ms per ${what} (ours with the load generator ${round(ours, 2)}, ` +
    `${[...SERVER_NAMES].map((k) => `${k} ${round(split[k] ?? 0, 2)}`).join(', ')}), against ${round(available, 2)} ms ` +
    `that ${cpus} cores have per ${what} at this rate: ${Math.round((all / available) * 100)} % of the machine.`
  );
}
