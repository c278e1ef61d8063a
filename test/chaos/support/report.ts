import fs from 'node:fs';
import path from 'node:path';
import type { FaultResult } from './ChaosRun';
import type { ChaosProfile } from './profiles';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** The results as a table, one row per fault. */
export function reportTable(results: FaultResult[]): string {
  const header = [
    'fault',
    'sent',
    'delivered',
    'lost',
    'dup',
    'reordered',
    'send errors',
    'outage ms',
    'recovery ms',
    'sdk dups/gaps/reconnects',
  ];
  const rows = results.map((r) => [
    r.fault,
    String(r.sent),
    String(r.delivered),
    String(r.lost),
    String(r.duplicated),
    String(r.reordered),
    String(r.sendErrors),
    String(r.outageMs),
    r.recoveryMs === null ? 'NOT RECOVERED' : String(r.recoveryMs),
    `${r.sdk.duplicatesDropped}/${r.sdk.gapsResumed}/${r.sdk.reconnects}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * Writes the results as JSON (to `CHAOS_REPORT`, else `.data/chaos/<profile>.json`, which git ignores) and returns the
 * path.
 */
export function writeReport(profile: ChaosProfile, results: FaultResult[], problems: string[]): string {
  const file = process.env.CHAOS_REPORT ?? path.join(repoRoot, '.data', 'chaos', `${profile.name}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ profile, at: new Date().toISOString(), results, problems }, null, 2)}\n`);
  return file;
}
