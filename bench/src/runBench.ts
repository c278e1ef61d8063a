import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchStack, CPU, type GatewayKind } from './BenchStack';
import { canPin } from './pinning';
import { BENCH_ROOT, PEERS_DIR, REPO_ROOT } from './paths';
import { federatedQuery, type FederatedQueryResult } from './scenarios/federatedQuery';
import { dataLayer, type DataLayerResult } from './scenarios/dataLayer';
import { fanout, type FanoutResult } from './scenarios/fanout';
import { liveLatency, type LiveLatencyResult } from './scenarios/liveLatency';
import { profile, type ProfileResult } from './scenarios/profile';
import { seed as seedData, type SeedSize } from './seed';
import { renderMarkdown } from './report/markdown';
import { renderSvg, type Panel } from './report/svg';

/** A full run (with the build before it) must finish within 5 minutes; the suite itself gets this much. */
const FULL_RUN_BUDGET_MS = 270_000;
/** About how long the profiles take in a full run. */
const PROFILE_TIME_MS = 25_000;

/** Command-line switches. */
export interface BenchFlags {
  quick: boolean;
  smoke: boolean;
  docs: boolean;
  /** CPU profiles of our gateway; default: on for a full run, off otherwise. */
  profile?: boolean;
  outDir?: string;
  only?: string[];
  /** Re-render the report of this result file instead of running. */
  render?: string;
}

/** The JSON written to bench/results/<timestamp>.json. */
export interface BenchResult {
  schema: 'chatgraph-bench/1';
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  mode: 'full' | 'quick' | 'smoke';
  command: string;
  machine: Record<string, unknown>;
  versions: Record<string, string>;
  settings: Record<string, unknown>;
  scenarios: {
    federatedQuery?: FederatedQueryResult;
    liveLatency?: LiveLatencyResult;
    fanout?: FanoutResult;
    dataLayer?: DataLayerResult;
  };
  /** `--profile`: where our gateway's CPU time goes under each load. */
  profiles?: ProfileResult;
  errors: Record<string, string>;
}

function versionOf(pkg: string, from = REPO_ROOT): string {
  // Walk up node_modules folders like Node does (package.json may be hidden by an exports map).
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'node_modules', pkg, 'package.json');
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
    if (path.dirname(dir) === dir) return 'not installed';
  }
}

function machine(): Record<string, unknown> {
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
function gitState(): { commit: string; changedFiles: number } {
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
function ensurePeers(log: (line: string) => void): void {
  if (fs.existsSync(path.join(PEERS_DIR, 'node_modules', '@graphql-hive', 'gateway', 'package.json'))) return;
  log('installing bench peers (npm ci --prefix bench/peers) ...');
  execFileSync('npm', ['ci', '--prefix', PEERS_DIR, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}

/** Runs the suite and writes the result file; returns its path. */
export async function runBench(flags: BenchFlags): Promise<string> {
  const startedAt = new Date();
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const mode: BenchResult['mode'] = flags.smoke ? 'smoke' : flags.quick ? 'quick' : 'full';
  const wants = (name: string) => !flags.only || flags.only.includes(name);
  const peers: GatewayKind[] = flags.quick ? [] : ['apollo', 'hive'];
  if (peers.includes('hive')) ensurePeers(log);

  const size: SeedSize = flags.smoke
    ? { chats: 4, membersPerChat: 5, historyMessages: 50 }
    : flags.quick
      ? { chats: 20, membersPerChat: 10, historyMessages: 60 }
      : { chats: 100, membersPerChat: 10, historyMessages: 60 };
  const result: BenchResult = {
    schema: 'chatgraph-bench/1',
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    durationSeconds: 0,
    mode,
    command: `npm run bench${flags.quick ? ' -- --quick' : ''}${flags.smoke ? ' --smoke' : ''}`,
    machine: machine(),
    versions: {
      node: process.version,
      '@apollo/gateway': versionOf('@apollo/gateway'),
      '@apollo/server': versionOf('@apollo/server'),
      graphql: versionOf('graphql'),
      '@graphql-hive/gateway': peers.includes('hive') ? versionOf('@graphql-hive/gateway', PEERS_DIR) : 'not run',
      '@prisma/client': versionOf('@prisma/client', path.join(REPO_ROOT, 'prisma')),
      pg: versionOf('pg'),
      ioredis: versionOf('ioredis'),
      'graphql-ws': versionOf('graphql-ws', path.join(REPO_ROOT, 'gateway')),
    },
    settings: { seed: size, git: gitState() },
    scenarios: {},
    errors: {},
  };

  log(`chatgraph bench (${mode}) — ${os.cpus().length} CPUs, node ${process.version}`);
  const stack = await BenchStack.start();
  log(`databases ${stack.config.DB_NAME_PREFIX}_*, Redis ${stack.config.REDIS_URL} (removed at the end)`);
  // Interrupted (Ctrl-C, a CI timeout): stop every process and drop the databases before going.
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the bench's processes and dropping its databases`);
    void stack.close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    log(`seeding ${size.chats * size.membersPerChat} users, ${size.chats} chats ...`);
    const seed = await seedData(stack, size);

    const scenario = async <K extends keyof BenchResult['scenarios']>(
      key: K,
      title: string,
      run: () => Promise<NonNullable<BenchResult['scenarios'][K]>>,
    ) => {
      if (!wants(key)) return;
      log(title);
      const t0 = Date.now();
      try {
        result.scenarios[key] = await run();
      } catch (err) {
        result.errors[key] = (err as Error).message;
        log(`  failed: ${(err as Error).stack ?? (err as Error).message}`);
      }
      log(`  (${Math.round((Date.now() - t0) / 1000)} s)`);
    };
    await scenario('federatedQuery', '1. federated query', () =>
      federatedQuery(
        stack,
        seed,
        flags.smoke
          ? { gateways: ['chatgraph'], concurrency: 2, warmupMs: 300, runMs: 700, rounds: 1, rateFraction: 0.5 }
          : flags.quick
            ? { gateways: ['chatgraph'], concurrency: 8, warmupMs: 1000, runMs: 2000, rounds: 2, rateFraction: 0.5 }
            : {
                gateways: ['chatgraph', ...peers],
                concurrency: 16,
                warmupMs: 2000,
                runMs: 2500,
                rounds: 4,
                rateFraction: 0.5,
              },
        log,
      ),
    );
    await scenario('liveLatency', '2. live event latency', () =>
      liveLatency(
        stack,
        seed,
        flags.smoke
          ? { chats: size.chats, rates: [20], warmupMs: 300, runMs: 700, rounds: 1 }
          : flags.quick
            ? { chats: size.chats, rates: [50, 200], warmupMs: 1000, runMs: 2000, rounds: 1 }
            : {
                chats: 100,
                rates: [50, 200],
                warmupMs: 2000,
                runMs: 3000,
                rounds: 2,
                withHive: peers.includes('hive'),
              },
        log,
      ),
    );
    await scenario('fanout', '3. fan-out and memory', () =>
      fanout(
        stack,
        seed,
        flags.smoke
          ? {
              steps: [20, 40],
              chats: 4,
              rate: 20,
              runMs: 700,
              subscriptionsPerConnection: 10,
              p99LimitMs: 500,
              idleOnePerConnection: 20,
            }
          : flags.quick
            ? {
                steps: [1000, 2000],
                chats: 10,
                rate: 100,
                runMs: 2000,
                subscriptionsPerConnection: 50,
                p99LimitMs: 500,
                idleOnePerConnection: 300,
              }
            : {
                steps: [1000, 2500, 4000, 5000, 6000, 7000, 8000, 10000],
                chats: 10,
                rate: 100,
                runMs: 2500,
                subscriptionsPerConnection: 50,
                p99LimitMs: 500,
                idleOnePerConnection: 2000,
              },
        log,
      ),
    );
    await scenario('dataLayer', '4. data layer', () =>
      dataLayer(
        stack,
        seed,
        flags.smoke
          ? { concurrencies: [1, 2], runMs: 300, rounds: 1 }
          : flags.quick
            ? { concurrencies: [1, 8], runMs: 1000, rounds: 1 }
            : { concurrencies: [1, 8], runMs: 1500, rounds: 2 },
        log,
      ),
    );
    const budgetLeft = FULL_RUN_BUDGET_MS - (Date.now() - startedAt.getTime());
    if (flags.profile === undefined && mode === 'full' && !flags.only && budgetLeft < PROFILE_TIME_MS) {
      // The whole suite must stay within 5 minutes on this machine; profiles are the part that can go.
      result.errors.profiles = `skipped: ${Math.round(budgetLeft / 1000)} s left of the run's time budget`;
      log(`profiles skipped (${result.errors.profiles})`);
    } else if (flags.profile ?? (mode === 'full' && !flags.only)) {
      log('profiles (node --cpu-prof)');
      const dir = path.join(
        flags.outDir ?? path.join(BENCH_ROOT, 'results'),
        `profiles-${startedAt.toISOString().replace(/[:.]/g, '-')}`,
      );
      try {
        result.profiles = await profile(
          stack,
          seed,
          dir,
          flags.quick
            ? { durationMs: 2000, subscriptions: 500, rate: 50 }
            : { durationMs: 3000, subscriptions: 5000, rate: 100 },
          log,
        );
      } catch (err) {
        result.errors.profiles = (err as Error).message;
        log(`  failed: ${(err as Error).stack ?? (err as Error).message}`);
      }
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await stack.close();
  }
  const finishedAt = new Date();
  result.finishedAt = finishedAt.toISOString();
  result.durationSeconds = Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000);
  const outDir = flags.outDir ?? path.join(BENCH_ROOT, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
  renderReport(file, result, flags.docs && mode === 'full' && !flags.only, log);
  return file;
}

/**
 * Writes the chart next to a result file and, when asked, the generated part of docs/benchmarks.md. `--render=<file>`
 * runs just this on an existing result (the report is a pure function of the result file).
 */
export function renderReport(file: string, result: BenchResult, docs: boolean, log: (line: string) => void): void {
  const svgFile = file.replace(/\.json$/, '.svg');
  fs.writeFileSync(svgFile, renderSvg(`chatgraph bench ${result.startedAt} (${result.mode})`, chartPanels(result)));
  if (docs) {
    const doc = path.join(REPO_ROOT, 'docs', 'benchmarks.md');
    const rel = (f: string) => path.relative(path.dirname(doc), f);
    writeGeneratedSection(doc, renderMarkdown(result, rel(file), rel(svgFile)));
    log(`docs/benchmarks.md updated`);
  }
  log(`chart: ${svgFile}`);
}

const BEGIN = '<!-- bench:begin (generated by npm run bench; edits here are overwritten) -->';
const END = '<!-- bench:end -->';

/** Replaces the generated part of docs/benchmarks.md (between the markers), keeping the hand-written rest. */
function writeGeneratedSection(file: string, generated: string): void {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${current.slice(0, start + BEGIN.length)}\n${generated}\n${current.slice(end)}`
      : `${current.trimEnd()}\n\n${BEGIN}\n${generated}\n${END}\n`;
  fs.writeFileSync(file, next);
}

/** The latency distributions of a run, one panel per scenario. */
function chartPanels(result: BenchResult): Panel[] {
  const panels: Panel[] = [];
  const { federatedQuery: q, liveLatency: live, fanout: f, dataLayer: d } = result.scenarios;
  if (q) {
    panels.push({
      title: `1. Federated query, concurrency ${q.concurrency}`,
      series: q.gateways.map((g) => ({ label: g.kind, values: g.distribution })),
    });
    panels.push({
      title: `1. Federated query at ${q.fixedRate} req/s`,
      series: q.gateways.map((g) => ({ label: g.kind, values: g.fixedRateDistribution })),
    });
  }
  if (live) {
    panels.push({
      title: `2. Live: send → receipt, ${live.subscribers} subscribers`,
      series: [
        ...live.rates.map((r) => ({ label: `chatgraph ${r.rate} events/s`, values: r.distribution })),
        ...Object.entries(live.peers ?? {}).flatMap(([kind, p]) =>
          p.rates.map((r) => ({ label: `${kind} ${r.rate} events/s`, values: r.distribution })),
        ),
      ],
    });
  }
  if (f) {
    panels.push({
      title: `3. Fan-out: send → receipt at ${f.rate} events/s`,
      series: f.steps.map((s) => ({ label: `${s.subscriptions} subscriptions`, values: s.run.distribution })),
    });
  }
  if (d) {
    panels.push({
      title: '4. Send path (one statement)',
      series: d.send.map((s) => {
        const mid = [...s.runs].sort((a, b) => a.opsPerSecond - b.opsPerSecond)[s.runs.length >> 1]!;
        return { label: `${s.impl} x${s.concurrency}`, values: mid.distribution };
      }),
    });
  }
  return panels;
}
