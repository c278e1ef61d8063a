import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchStack, type GatewayKind } from './BenchStack';
import { BENCH_ROOT, PEERS_DIR, REPO_ROOT } from './paths';
import { federatedQuery, type FederatedQueryOptions, type FederatedQueryResult } from './scenarios/federatedQuery';
import { dataLayer, type DataLayerResult } from './scenarios/dataLayer';
import { growth, type GrowthResult } from './scenarios/growth';
import { pipeline, type PipelineResult } from './scenarios/pipeline';
import { fanout, type FanoutResult } from './scenarios/fanout';
import { liveLatency, type LiveLatencyResult } from './scenarios/liveLatency';
import { profile, type ProfileResult } from './scenarios/profile';
import { seed as seedData, type Seed, type SeedSize } from './seed';
import { renderReport } from './report/renderReport';
import { ensurePeers, gitState, machine, versionOf } from './environment';

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
  /** The gateways scenario 1 compares, instead of the mode's list (chatgraph first). */
  gateways?: GatewayKind[];
  /** false: full-size scenarios with ours alone (no Apollo or Hive Gateway), for side-by-side runs of two builds. */
  peers?: boolean;
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
    growth?: GrowthResult;
    pipeline?: PipelineResult;
  };
  /** `--profile`: where our gateway's CPU time goes under each load. */
  profiles?: ProfileResult;
  errors: Record<string, string>;
}

/** Runs the suite and writes the result file; returns its path. */
export async function runBench(flags: BenchFlags): Promise<string> {
  const startedAt = new Date();
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const mode: BenchResult['mode'] = flags.smoke ? 'smoke' : flags.quick ? 'quick' : 'full';
  const wants = (name: string) => !flags.only || flags.only.includes(name);
  // Only the query and live scenarios compare with peers; a run of other scenarios installs and starts none.
  const withPeers =
    !flags.quick &&
    flags.peers !== false &&
    (!flags.only || flags.only.some((s) => s === 'federatedQuery' || s === 'liveLatency'));
  const peers: GatewayKind[] = withPeers ? ['apollo', 'hive'] : [];
  if (peers.includes('hive') || flags.gateways?.some((g) => g.startsWith('hive'))) ensurePeers(log);

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
    // The shared data set, made once for the first scenario that needs it (growth makes its own).
    let seeded: Promise<Seed> | undefined;
    const seed = () => {
      if (!seeded) log(`seeding ${size.chats * size.membersPerChat} users, ${size.chats} chats ...`);
      seeded ??= seedData(stack, size);
      return seeded;
    };

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
    await scenario('federatedQuery', '1. federated query', async () => {
      const options: FederatedQueryOptions = flags.smoke
        ? { gateways: ['chatgraph'], concurrency: 2, warmupMs: 300, runMs: 700, rounds: 1, rateFraction: 0.5 }
        : flags.quick
          ? {
              gateways: ['chatgraph', 'chatgraph-uncached'],
              concurrency: 8,
              warmupMs: 1000,
              runMs: 2000,
              rounds: 2,
              rateFraction: 0.5,
            }
          : {
              // Ours without its entity cache and without shared fetches too; Hive Gateway twice: as it comes, and
              // with its response cache (the answer to our entity cache); and the floor, the query's fetches by hand
              // (what the transport alone costs).
              gateways: [
                'chatgraph',
                'chatgraph-uncached',
                'chatgraph-unshared',
                ...peers,
                ...(peers.includes('hive') ? ['hive-cached' as const] : []),
                'floor',
              ],
              concurrency: 16,
              warmupMs: 2000,
              runMs: 2500,
              rounds: 4,
              rateFraction: 0.5,
            };
      return federatedQuery(
        stack,
        await seed(),
        flags.gateways ? { ...options, gateways: flags.gateways } : options,
        log,
      );
    });
    await scenario('liveLatency', '2. live event latency', async () =>
      liveLatency(
        stack,
        await seed(),
        flags.smoke
          ? { chats: size.chats, rates: [20], warmupMs: 300, runMs: 700, rounds: 1 }
          : flags.quick
            ? { chats: size.chats, rates: [50, 200], warmupMs: 1000, runMs: 2000, rounds: 1 }
            : {
                chats: 100,
                rates: [50, 200],
                warmupMs: 6000,
                runMs: 3000,
                rounds: 2,
                withHive: peers.includes('hive'),
              },
        log,
      ),
    );
    await scenario('fanout', '3. fan-out and memory', async () =>
      fanout(
        stack,
        await seed(),
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
                steps: [1000, 2500, 4000, 5000, 6000, 7000, 8000, 10000, 12000],
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
    await scenario('dataLayer', '4. data layer', async () =>
      dataLayer(
        stack,
        await seed(),
        flags.smoke
          ? { concurrencies: [1, 2], runMs: 300, rounds: 1 }
          : flags.quick
            ? { concurrencies: [1, 8], runMs: 1000, rounds: 1 }
            : { concurrencies: [1, 8], runMs: 1500, rounds: 4 },
        log,
      ),
    );
    await scenario('pipeline', '6. notification pipeline', () =>
      pipeline(
        stack,
        flags.smoke
          ? { pairs: 2, rate: 20, durationMs: 1000, backlog: 40 }
          : flags.quick
            ? { pairs: 10, rate: 100, durationMs: 3000, backlog: 1000 }
            : { pairs: 20, rate: 200, durationMs: 5000, backlog: 4000 },
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
          await seed(),
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
    // After the profiles: its seeding (a million messages in a full run) is not part of the suite's time budget.
    await scenario('growth', '5. growth (history size, chats per user)', () =>
      growth(
        stack,
        flags.smoke
          ? { messages: [100, 1000], chats: [10, 100], rounds: 1, requests: 10 }
          : flags.quick
            ? { messages: [1000, 10_000], chats: [10, 1000], rounds: 2, requests: 25 }
            : {
                messages: [1000, 10_000, 100_000, 1_000_000],
                chats: [10, 100, 1000, 10_000],
                rounds: 4,
                requests: 50,
              },
        log,
      ),
    );
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
