/**
 * The chaos suite: the stack of its own (test/chaos/support/ChaosStack.ts: Redis behind a proxy that can freeze, a
 * throwaway PostgreSQL cluster, two processes of every subgraph, two gateways behind real HAProxy), SDK clients
 * sending and following chats throughout, and faults one after another: gateways killed and stopped, Redis killed and
 * frozen, subgraph processes killed, PostgreSQL stopped, a shard refusing connections, a stalled client socket, a
 * gateway restarted under many subscribers. Per fault it reports what the apps noticed (sent, delivered, lost,
 * duplicated, reordered, recovery time) as a table and as JSON, and fails on any loss, duplicate or reordering.
 *
 * The default profile (`ci`) is short; `npm run chaos` runs the `full` one (CHAOS_PROFILE=full: more chats, longer
 * outages, 1,000 subscribers). See docs/operations.md, "Chaos suite".
 */
import { haproxyInstalled, sleep, TcpProxy } from '@chatgraph/testing';
import { ChaosRun, type Fault, type FaultResult } from './support/ChaosRun';
import { ChaosStack } from './support/ChaosStack';
import { chosenProfile } from './support/profiles';
import { reportTable, writeReport } from './support/report';
import { ClientFactory } from './support/Traffic';

if (!haproxyInstalled)
  console.warn('haproxy is not installed: the chaos suite is SKIPPED (apt-get install -y haproxy)');
const describeWithHaproxy = haproxyInstalled ? describe : describe.skip;

const profile = chosenProfile();
/** Subscribers of the crowd that connect together. */
const CROWD_WAVE = 50;

describeWithHaproxy(`chaos suite (${profile.name} profile)`, () => {
  let stack: ChaosStack;
  let clients: ClientFactory;
  let stallProxy: TcpProxy;
  let run: ChaosRun;

  beforeAll(async () => {
    stack = await ChaosStack.start();
    clients = new ClientFactory(stack.haproxy.url, stack.haproxy.wsUrl);
    run = new ChaosRun(clients, profile);
    await run.setUp();
    // One more follower of the first chat, whose socket passes through a proxy that can stall it.
    stallProxy = await TcpProxy.start(stack.haproxy.port);
    const stalled = run.bystanders[0]!;
    const stalledClient = clients.client(() => stalled.token, {
      wsUrl: `ws://127.0.0.1:${stallProxy.port}/graphql`,
      // Gives up on a socket that stops answering within seconds (the SDK's defaults: 10 s + 5 s).
      keepAliveMs: 1000,
      pongTimeoutMs: 2000,
    });
    run.follow(run.chats[0]!, stalledClient);
    await run.untilLive();
  }, 180_000);

  afterAll(async () => {
    await run?.stopTraffic();
    await clients?.closeAll();
    await stallProxy?.close();
    await stack?.close();
  }, 60_000);

  const outage = () => sleep(profile.outageMs);

  /** The faults, in order. */
  const faults = (): Fault[] => [
    {
      name: 'gateway kill -9',
      inject: () => stack.kill('gatewayA'),
      restore: () => stack.restart('gatewayA'),
    },
    {
      name: 'gateway SIGTERM',
      inject: () => stack.terminate('gatewayB'),
      restore: () => stack.restart('gatewayB'),
    },
    {
      name: 'redis kill -9 (restarted empty)',
      inject: () => stack.redis.restart(),
    },
    {
      name: 'chats replica kill -9',
      inject: () => stack.kill('chats'),
      restore: () => stack.restart('chats'),
    },
    {
      name: 'presence down (both replicas)',
      inject: async () => {
        await Promise.all(stack.replicasOf('presence').map((name) => stack.kill(name)));
        await outage();
        await Promise.all(stack.replicasOf('presence').map((name) => stack.restart(name)));
      },
    },
    {
      name: 'postgres stopped and restarted',
      inject: async () => {
        await stack.postgres.stop('fast');
        await outage();
        await stack.postgres.startServer();
      },
    },
    {
      name: 'chats shard refusing connections',
      inject: async () => {
        const shard = stack.dbs.chats.map.shards[stack.chatsShardOf(run.chats[0]!.id)]!.database;
        await stack.admin(`ALTER DATABASE "${shard}" ALLOW_CONNECTIONS false`);
        await stack.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [shard]);
        await outage();
        await stack.admin(`ALTER DATABASE "${shard}" ALLOW_CONNECTIONS true`);
      },
    },
    {
      name: 'stalled client socket',
      inject: async () => {
        stallProxy.freeze();
        // Longer than the client's ping and pong timeouts: it gives up on the socket while nothing answers.
        await sleep(Math.max(profile.outageMs, 4000));
        stallProxy.thaw();
      },
    },
    {
      name: 'a replica of every subgraph kill -9',
      inject: async () => {
        await Promise.all(['users-2', 'chats-2', 'presence-2', 'notifications-2'].map((name) => stack.kill(name)));
      },
      restore: async () => {
        await Promise.all(['users-2', 'chats-2', 'presence-2', 'notifications-2'].map((name) => stack.restart(name)));
      },
    },
    {
      name: 'redis frozen (proxy stops answering)',
      inject: async () => {
        stack.redisProxy.freeze();
        await outage();
        stack.redisProxy.thaw();
      },
    },
    {
      name: `gateway restart under ${profile.crowd} subscribers`,
      prepare: async () => {
        // The crowd arrives in waves (as app users would, not in one instant), each wave live before the next.
        const chat = run.chats[0]!;
        for (let i = 0; i < profile.crowd; i++) {
          const user = run.bystanders[i % run.bystanders.length]!;
          run.follow(
            chat,
            clients.client(() => user.token),
            true,
          );
          if ((i + 1) % CROWD_WAVE === 0 || i + 1 === profile.crowd) await run.untilLive();
        }
      },
      inject: async () => {
        await stack.terminate('gatewayA');
        await stack.restart('gatewayA');
      },
    },
  ];

  it('loses, duplicates and reorders nothing through every fault, and recovers from each', async () => {
    const results: FaultResult[] = [];
    run.startTraffic();
    let problems: string[] = [];
    const diagnostics: string[] = [];
    try {
      for (const fault of faults()) {
        const result = await run.measure(fault);
        results.push(result);
        process.stdout.write(`chaos: ${fault.name}: ${JSON.stringify(result)}\n`);
        if (result.failure) {
          diagnostics.push(stack.gatewayOutput());
          break;
        }
      }
    } catch (err) {
      diagnostics.push(`${String(err)}\n${stack.gatewayOutput()}`);
      throw err;
    } finally {
      await run.stopTraffic();
      problems = [...(await run.verifyEnd()), ...stack.problems, ...diagnostics];
      run.dropExtraFollowers();
      process.stdout.write(`\nchaos suite, ${profile.name} profile\n${reportTable(results)}\n`);
      process.stdout.write(`processes: ${stack.notes.join('; ')}\n`);
      if (problems.length) process.stdout.write(`problems:\n${problems.join('\n')}\n`);
      process.stdout.write(`report: ${writeReport(profile, results, problems)}\n`);
    }
    expect(results.map((r) => r.fault)).toEqual(faults().map((f) => f.name));
    const broken = results.filter((r) => r.lost || r.duplicated || r.reordered || r.failure);
    expect(broken).toEqual([]);
    expect(problems).toEqual([]);
    // Every fault saw traffic and was measured.
    for (const r of results) {
      expect(r.sent).toBeGreaterThan(0);
      expect(r.recoveryMs).not.toBeNull();
    }
  }, 1_800_000);
});
