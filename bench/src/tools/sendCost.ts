// `node bench/dist/tools/sendCost.js [--rate=150] [--seconds=20] [--warmup=8] [--rounds=1] [--profile=chats]
// [--subscribe] [--heap]`: the send path alone, at a steady rate. Members of 20 group chats of 10 send `sendMessage` through one
// gateway of ours (nobody subscribed, or with `--subscribe` every member subscribed to their chat's `chatEvents` on that
// gateway, frames counted but not parsed), and each round prints the CPU milliseconds per send of every process (gateway, each subgraph, the
// load generator itself) with sendMessage's p50 and p99, and the transactions the chats shards committed per send. With `--profile=<process>` the last round also profiles that
// process (the inspector's sampling profiler, opened with SIGUSR1, one sample per 200 µs) for the measured window
// only, written to /tmp/sendCost-<process>.cpuprofile: start-up, seeding and warm-up do not dilute it. With `--heap` too,
// instead of CPU it samples the allocations that outlived a young-generation collection (the objects that fill the
// old space and make its mark-compact pauses), written to /tmp/sendCost-<process>.heapprofile.
import http from 'node:http';
import fs from 'node:fs';
import { Client } from 'pg';
import { WebSocket } from 'ws';
import { databaseUrl, shardMapFor } from '@chatgraph/db';
import type { StackProcess } from '@chatgraph/testing';
import { BenchStack } from '../BenchStack';
import { seed } from '../seed';
import { postGraphQL } from '../load/postGraphQL';
import { processSample } from '../processSample';
import { busyPercent, cpuTimes } from '../machineCpu';
import { percentile, round } from '../stats';
import { EVENTS_SUBSCRIPTION } from '../scenarios/liveCommon';

const SEND =
  'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { seq } }';

function flag(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

interface InspectorSession {
  call(method: string, params?: object): Promise<unknown>;
  close(): void;
}

/** A CDP session on a process whose inspector SIGUSR1 opened (127.0.0.1:9229). */
async function inspect(proc: StackProcess): Promise<InspectorSession> {
  process.kill(proc.child.pid!, 'SIGUSR1');
  let target: { webSocketDebuggerUrl: string } | undefined;
  for (let i = 0; i < 50 && !target; i++) {
    await new Promise((r) => setTimeout(r, 100));
    target = await fetch('http://127.0.0.1:9229/json/list')
      .then(async (res) => ((await res.json()) as Array<{ webSocketDebuggerUrl: string }>)[0])
      .catch(() => undefined);
  }
  if (!target) throw new Error('the inspector did not open on 127.0.0.1:9229');
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let next = 1;
  const pending = new Map<number, (result: unknown) => void>();
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (message.id) pending.get(message.id)?.(message.result);
  });
  return {
    call: (method, params = {}) =>
      new Promise((resolve) => {
        const id = next++;
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** A graphql-transport-ws connection subscribed to one chat's events; `onFrame` for every frame after the ack. */
async function openSubscriber(url: string, token: string, chatId: string, onFrame: () => void): Promise<WebSocket> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await new Promise<void>((resolve) => socket.once('message', () => resolve()));
  socket.on('message', onFrame);
  socket.send(
    JSON.stringify({ id: '1', type: 'subscribe', payload: { query: EVENTS_SUBSCRIPTION, variables: { chatId } } }),
  );
  return socket;
}

async function main(): Promise<void> {
  const rate = Number(flag('rate', '150'));
  const seconds = Number(flag('seconds', '20'));
  const warmup = Number(flag('warmup', '8'));
  const rounds = Number(flag('rounds', '1'));
  const profileOf = flag('profile', '');
  const subscribe = process.argv.includes('--subscribe');
  const heapProfile = process.argv.includes('--heap');
  const stack = await BenchStack.start();
  try {
    const data = await seed(stack, { chats: 20, membersPerChat: 10, historyMessages: 0 });
    const gateway = await stack.startGateway('chatgraph');
    const url = new URL(gateway.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const senders = data.chats.flatMap((chat) => chat.members.map((member) => ({ chat, member })));
    let frames = 0;
    const sockets = subscribe
      ? await Promise.all(
          senders.map(({ chat, member }) => openSubscriber(gateway.wsUrl, member.token, chat.id, () => frames++)),
        )
      : [];
    let n = 0;
    const sendFor = async (ms: number, latencies: number[], errors: string[]) => {
      const start = performance.now();
      const inFlight: Promise<void>[] = [];
      for (let i = 0; performance.now() - start < ms; i++) {
        const due = start + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const { chat, member } = senders[n++ % senders.length]!;
        const body = JSON.stringify({ query: SEND, variables: { c: chat.id, t: `cost ${n}`, m: `c${n}` } });
        inFlight.push(
          postGraphQL(agent, url, { authorization: `Bearer ${member.token}` }, body).then((err) => {
            latencies.push(performance.now() - due);
            if (err) errors.push(err);
          }),
        );
      }
      await Promise.all(inFlight);
    };
    const processes: Array<[string, StackProcess]> = [['gateway', gateway.process], ...stack.subgraphs];
    // Statements on the chats shards, from PostgreSQL's own count (each runs as its own transaction; backends report
    // their counts at most a second late, so a round's figure is close, not exact).
    const admin = new Client({ connectionString: databaseUrl(stack.config.DATABASE_URL, 'postgres') });
    await admin.connect();
    const chatsDatabases = shardMapFor(stack.config, 'chats').shards.map((shard) => shard.database);
    const chatsTransactions = async () =>
      Number(
        (
          await admin.query<{ n: string }>(
            'SELECT sum(xact_commit + xact_rollback) AS n FROM pg_stat_database WHERE datname = ANY($1)',
            [chatsDatabases],
          )
        ).rows[0]!.n,
      );
    await sendFor(warmup * 1000, [], []);
    for (let r = 1; r <= rounds; r++) {
      const profiling = r === rounds && profileOf ? processes.find(([name]) => name === profileOf)?.[1] : undefined;
      const session = profiling ? await inspect(profiling) : undefined;
      if (session && heapProfile) {
        // Objects that outlived a scavenge (what old-space growth and its mark-compacts are made of), by allocation site.
        await session.call('HeapProfiler.enable');
        await session.call('HeapProfiler.startSampling', {
          samplingInterval: 4096,
          includeObjectsCollectedByMinorGC: false,
          includeObjectsCollectedByMajorGC: true,
        });
      } else if (session) {
        await session.call('Profiler.enable');
        await session.call('Profiler.setSamplingInterval', { interval: 200 });
        await session.call('Profiler.start');
      }
      const cpu0 = processes.map(([, proc]) => processSample(proc).cpuSeconds);
      const self0 = process.cpuUsage();
      const machine0 = cpuTimes();
      const transactions0 = await chatsTransactions();
      const frames0 = frames;
      const latencies: number[] = [];
      const errors: string[] = [];
      await sendFor(seconds * 1000, latencies, errors);
      const sends = latencies.length;
      const perSend = processes.map(
        ([name, proc], i) => `${name} ${round(((processSample(proc).cpuSeconds - cpu0[i]!) * 1000) / sends, 2)}`,
      );
      const self = process.cpuUsage(self0);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const statements = round(((await chatsTransactions()) - transactions0) / sends, 2);
      perSend.push(`load generator ${round((self.user + self.system) / 1000 / sends, 2)}`);
      console.log(
        `round ${r}: ${sends} sends at ${rate}/s, p50 ${round(percentile(latencies, 50), 2)} ms, p90 ` +
          `${round(percentile(latencies, 90), 2)} ms, p99 ${round(percentile(latencies, 99), 2)} ms, max ` +
          `${round(Math.max(...latencies), 2)} ms, ${errors.length} errors${errors[0] ? ` (${errors[0]})` : ''}; ` +
          `chats shards ${statements} transactions per send; ` +
          (subscribe ? `${round((frames - frames0) / sends, 1)} frames received per send; ` : '') +
          `CPU ms per send: ${perSend.join(', ')}; machine CPUs busy ${busyPercent(machine0, cpuTimes()).join('/')}%`,
      );
      if (session && heapProfile) {
        const { profile } = (await session.call('HeapProfiler.stopSampling')) as { profile: object };
        session.close();
        const file = `/tmp/sendCost-${profileOf}.heapprofile`;
        fs.writeFileSync(file, JSON.stringify(profile));
        console.log(`heap profile of ${profileOf} (objects that outlived a scavenge): ${file}`);
      } else if (session) {
        const { profile } = (await session.call('Profiler.stop')) as { profile: object };
        session.close();
        const file = `/tmp/sendCost-${profileOf}.cpuprofile`;
        fs.writeFileSync(file, JSON.stringify(profile));
        console.log(`profile of ${profileOf}: ${file}`);
      }
    }
    agent.destroy();
    for (const socket of sockets) socket.terminate();
    await admin.end();
  } finally {
    await stack.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
