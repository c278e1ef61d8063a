import fs from 'node:fs';
import inspector from 'node:inspector';
import { createChatsStores, EVERY_USER_EXISTS } from '@chatgraph/chats';
import { createLogger } from '@chatgraph/logging';
import path from 'node:path';
import type { BenchStack, RunningGateway } from '../BenchStack';
import { ipcRequest } from '../ipcRequest';
import { HttpLoad, LiveLoad } from '../LoadWorker';
import type { LiveConnectionSpec } from '../load/protocol';
import { summarizeProfile, type ProfileSummary } from '../report/cpuProfile';
import type { Seed } from '../seed';
import { HISTORY_QUERY } from './federatedQueryDocument';
import { EVENTS_SUBSCRIPTION, untilLive, waitForSubscriptions } from './liveCommon';

/** CPU profiles of our gateway under each load, and of the send path in the bench process. */
export interface ProfileResult {
  query?: ProfileSummary;
  live?: ProfileSummary;
  sendPath?: ProfileSummary;
}

function post<T>(session: inspector.Session, method: string): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
}

/** MessageStore.send in a loop (concurrency 1) under the sampling profiler of this very process. */
async function profileSendPath(
  stack: BenchStack,
  seed: Seed,
  file: string,
  durationMs: number,
): Promise<ProfileSummary> {
  const stores = createChatsStores({
    db: stack.dbs.chats,
    bus: { publish: async () => true },
    logger: createLogger('bench', 'silent'),
    users: EVERY_USER_EXISTS,
  });
  const chat = seed.chats[seed.chats.length - 1]!;
  const chatId = BigInt(chat.id);
  const authorId = BigInt(chat.members[0]!.id);
  let n = 0;
  const loop = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline)
      await stores.messages.send(chatId, authorId, 'a bench message of ordinary length', `prof${n++}`);
  };
  await loop(Math.min(1000, durationMs)); // warm-up outside the window
  const session = new inspector.Session();
  session.connect();
  try {
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.start');
    await loop(durationMs);
    const { profile } = await post<{ profile: object }>(session, 'Profiler.stop');
    fs.writeFileSync(file, JSON.stringify(profile));
  } finally {
    session.disconnect();
  }
  return summarizeProfile(file);
}

async function profiled(
  stack: BenchStack,
  name: string,
  dir: string,
  work: (gateway: RunningGateway, window: <T>(measured: () => Promise<T>) => Promise<T>) => Promise<void>,
): Promise<ProfileSummary> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.cpuprofile`);
  const gateway = await stack.startGateway('chatgraph', `profile-${name}`);
  try {
    await work(gateway, async (measured) => {
      await ipcRequest(gateway.process, { type: 'profile-start' });
      try {
        return await measured();
      } finally {
        await ipcRequest(gateway.process, { type: 'profile-stop', file });
      }
    });
  } finally {
    await stack.stopGateway(gateway);
  }
  return summarizeProfile(file);
}

/**
 * `--profile`: CPU profiles of our gateway (V8's sampling profiler, what `node --cpu-prof` uses, started after a
 * warm-up over IPC), once under the federated query load (closed loop) and once under the fan-out load, with self
 * time summarized by package and function. Profiling slows the process: these runs give the split of the cost, not
 * numbers to compare.
 */
export async function profile(
  stack: BenchStack,
  seed: Seed,
  dir: string,
  options: { durationMs: number; subscriptions: number; rate: number },
  log: (line: string) => void,
): Promise<ProfileResult> {
  const result: ProfileResult = {};
  const viewer = seed.historyChat.members[0]!;
  result.query = await profiled(stack, 'query', dir, async ({ url }, window) => {
    const load = await HttpLoad.start(stack);
    try {
      const run = () =>
        load.run({
          url,
          headers: { authorization: `Bearer ${viewer.token}` },
          body: JSON.stringify({ query: HISTORY_QUERY, variables: { chatId: seed.historyChat.id } }),
          mode: 'closed',
          concurrency: 16,
          durationMs: options.durationMs,
        });
      await run(); // warm-up outside the window
      const r = await window(run);
      log(`  query load under the profiler: ${Math.round(r.requestsPerSecond)} req/s`);
    } finally {
      await load.close();
    }
  });
  result.live = await profiled(stack, 'live', dir, async (gateway, window) => {
    const { wsUrl } = gateway;
    const load = await LiveLoad.start(stack);
    try {
      const chats = seed.chats.slice(0, 10);
      const senders = chats.map((c) => ({ chatId: c.id, userId: c.members[0]!.id }));
      const specs: LiveConnectionSpec[] = [];
      for (let total = 0, k = 0; total < options.subscriptions; k++) {
        const chat = chats[k % chats.length]!;
        const n = Math.min(50, options.subscriptions - total);
        specs.push({
          wsUrl,
          label: 'P',
          token: chat.members[Math.floor(k / chats.length) % chat.members.length]!.token,
          chatIds: new Array<string>(n).fill(chat.id),
        });
        total += n;
      }
      await load.subscribe({ query: EVENTS_SUBSCRIPTION, connections: specs });
      await waitForSubscriptions([gateway], () => options.subscriptions);
      await untilLive(load, stack.subgraphUrl('chats'), 'subgraph', senders);
      const send = () =>
        load.send({
          url: stack.subgraphUrl('chats'),
          via: 'subgraph',
          senders,
          rate: options.rate,
          durationMs: options.durationMs,
        });
      await send(); // warm-up outside the window
      const r = await window(send);
      log(
        `  fan-out under the profiler: ${Math.round(r.deliveriesPerSecond)} deliveries/s, p99 ${Math.round(r.latency.p99)} ms`,
      );
      await load.closeConnections();
    } finally {
      await load.close();
    }
  });
  fs.mkdirSync(dir, { recursive: true });
  result.sendPath = await profileSendPath(stack, seed, path.join(dir, 'send-path.cpuprofile'), options.durationMs / 2);
  for (const [name, summary] of Object.entries(result) as Array<[string, ProfileSummary]>) {
    log(
      `  ${name}: ${summary.byPackage
        .slice(0, 8)
        .map((p) => `${p.name} ${p.percent}%`)
        .join(', ')}`,
    );
  }
  return result;
}
