import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CPU } from './BenchStack';
import { canPin } from './pinning';
import { PEERS_DIR, REPO_ROOT } from './paths';

/** What a result file records about where it ran: package versions, the machine, the commit. */

/** The installed version of `pkg`, as Node would resolve it from `from`. */
export function versionOf(pkg: string, from = REPO_ROOT): string {
  // Walk up node_modules folders like Node does (package.json may be hidden by an exports map).
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'node_modules', pkg, 'package.json');
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
    if (path.dirname(dir) === dir) return 'not installed';
  }
}

/** The machine: CPUs, memory, OS, Node, Postgres and Redis versions, CPU pinning. */
export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  let postgres = 'unknown';
  try {
    postgres = execFileSync('psql', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // psql missing: the version stays unknown
  }
  let redis = 'unknown';
  try {
    redis = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // idem
  }
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres,
    redis,
    pinning: canPin()
      ? `taskset: gateways on CPU ${CPU.sut}; load generators and subgraphs on CPU ${CPU.load}`
      : 'none (taskset missing)',
  };
}

/** The commit measured, and how many files differ from it (the bench runs the working tree as built). */
export function gitState(): { commit: string; changedFiles: number } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    return { commit, changedFiles: status.split('\n').filter(Boolean).length };
  } catch {
    return { commit: 'unknown', changedFiles: -1 };
  }
}

/** Installs the peers package on first use (its own lockfile; never part of the project's npm ci). */
export function ensurePeers(log: (line: string) => void): void {
  if (fs.existsSync(path.join(PEERS_DIR, 'node_modules', '@graphql-hive', 'gateway', 'package.json'))) return;
  log('installing bench peers (npm ci --prefix bench/peers) ...');
  execFileSync('npm', ['ci', '--prefix', PEERS_DIR, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
