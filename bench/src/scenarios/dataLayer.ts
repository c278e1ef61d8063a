import { performance } from 'node:perf_hooks';
import type { Pool, QueryConfig } from 'pg';
import { identitySignerFromConfig } from '@chatgraph/auth';
import { createChatsServer, createChatsStores, EVERY_USER_EXISTS, type MessageStore } from '@chatgraph/chats';
import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import { createLogger } from '@chatgraph/logging';
import { RateLimits } from '@chatgraph/ratelimit';
import { createFailFastRedis } from '@chatgraph/pubsub';
import { subgraphRequester } from '@chatgraph/testing';
import { createUsersServer } from '@chatgraph/users';
import type { BenchStack } from '../BenchStack';
import type { Seed } from '../seed';
import { distribution, median, ratio, round, summarize, type LatencySummary } from '../stats';

/** Options of scenario 4. */
export interface DataLayerOptions {
  concurrencies: number[];
  runMs: number;
  rounds: number;
}

/** One implementation at one concurrency: medians over rounds. */
export interface SendPathResult {
  impl: 'storage' | 'raw-pg';
  concurrency: number;
  opsPerSecond: number;
  p50: number;
  p99: number;
  runs: Array<{ opsPerSecond: number; latency: LatencySummary; distribution: number[] }>;
}

/** Shards touched by one operation. */
export interface ShardTouch {
  operation: string;
  /** Physical shards that ran at least one statement. */
  shardsTouched: number;
  statements: number;
  /** Statements per physical shard. */
  perShard: number[];
  note?: string;
}

/** Result of scenario 4. */
export interface DataLayerResult {
  chatsShards: number;
  usersShards: number;
  send: SendPathResult[];
  /** storage / raw pg throughput at each concurrency (1 = as fast). */
  ratios: Record<string, number>;
  shards: ShardTouch[];
}

const silent = createLogger('bench', 'silent');

/** Captures the statement (text and parameters) MessageStore.send runs, by watching the shard's pool once. */
async function captureSendStatement(
  db: ShardedDatabase<ChatsClient>,
  messages: MessageStore,
  chatId: bigint,
  authorId: bigint,
): Promise<{ text: string; values: unknown[]; shard: number }> {
  const shard = db.shardFor(chatId).index;
  const pool = db.poolAt(shard);
  const original = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  let captured: { text: string; values: unknown[] } | undefined;
  (pool as { query: unknown }).query = (...args: unknown[]) => {
    const config = args[0] as QueryConfig | string;
    if (!captured && typeof config === 'object' && config.text.includes('INSERT INTO messages'))
      captured = { text: config.text, values: [...(config.values ?? [])] };
    return original(...args);
  };
  try {
    await messages.send(chatId, authorId, 'capture text', 'capture-cmid');
  } finally {
    (pool as { query: unknown }).query = original;
  }
  if (!captured) throw new Error('could not capture the send statement');
  return { ...captured, shard };
}

async function timed(concurrency: number, durationMs: number, op: (worker: number, i: number) => Promise<void>) {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        await op(worker, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - started;
  return {
    opsPerSecond: (latencies.length * 1000) / elapsed,
    latency: summarize(latencies),
    distribution: distribution(latencies),
  };
}

function delta(before: number[], after: number[]): number[] {
  return after.map((n, i) => n - before[i]!);
}

function touch(operation: string, perShard: number[], note?: string): ShardTouch {
  return {
    operation,
    shardsTouched: perShard.filter((n) => n > 0).length,
    statements: perShard.reduce((a, b) => a + b, 0),
    perShard,
    note,
  };
}

/**
 * Scenario 4: the send path through chatgraph's storage code (MessageStore.send: Prisma 7 with the pg adapter) against
 * raw `pg` running the very statement MessageStore sends (captured from the pool, same parameters, same pool, prepared
 * as MessageStore prepares it),
 * interleaved, at each concurrency (one chat per worker); then the physical shards touched by send, history, myChats,
 * the membership check and the authors' entity lookup, from `ShardedDatabase.statementCounts()`.
 */
export async function dataLayer(
  stack: BenchStack,
  seed: Seed,
  options: DataLayerOptions,
  log: (line: string) => void,
): Promise<DataLayerResult> {
  const db = stack.dbs.chats;
  const stores = createChatsStores({
    db,
    bus: { publish: async () => true },
    logger: silent,
    users: EVERY_USER_EXISTS,
  });
  const workers = Math.max(...options.concurrencies);
  const chats = seed.chats
    .slice(1, 1 + workers)
    .map((c) => ({ chatId: BigInt(c.id), authorId: BigInt(c.members[0]!.id) }));
  if (chats.length < workers) throw new Error(`need ${workers} chats for the data layer scenario`);
  // One at a time: each capture swaps the pool's query for its own while its send runs, so concurrent captures would
  // wrap each other and could take another chat's statement (raw workers sharing a chat wait on its row lock).
  const statements: Array<Awaited<ReturnType<typeof captureSendStatement>>> = [];
  for (const c of chats) statements.push(await captureSendStatement(db, stores.messages, c.chatId, c.authorId));
  const capturedChats = new Set(statements.map((s) => String(s.values.find((v) => typeof v === 'bigint'))));
  if (capturedChats.size !== chats.length) throw new Error('the captured send statements do not name one chat each');
  const template = statements[0]!;
  const textIndexes = template.values.flatMap((v, i) => (v === 'capture text' ? [i] : []));
  const cmidIndexes = template.values.flatMap((v, i) => (v === 'capture-cmid' ? [i] : []));
  if (textIndexes.length !== 1 || cmidIndexes.length !== 1)
    throw new Error('could not locate text and clientMessageId among the send parameters');
  let sequence = 0;
  const impls: Record<SendPathResult['impl'], (worker: number) => Promise<void>> = {
    storage: async (worker) => {
      const c = chats[worker]!;
      await stores.messages.send(c.chatId, c.authorId, 'a bench message of ordinary length', `s${sequence++}`);
    },
    'raw-pg': async (worker) => {
      const s = statements[worker]!;
      const values = [...s.values];
      values[textIndexes[0]!] = 'a bench message of ordinary length';
      values[cmidIndexes[0]!] = `p${sequence++}`;
      const pool: Pool = db.poolAt(s.shard);
      // Prepared, as MessageStore's own send statement is (`/* prepared: send_message */`): the same statement on
      // the same footing, so the ratio is what Prisma's client adds.
      const res = await pool.query({ name: 'raw_send_message', text: s.text, values });
      if (res.rowCount !== 1) throw new Error('raw send wrote nothing');
    },
  };
  const runs = new Map<string, SendPathResult['runs']>();
  // Warm-up: JIT, pool connections, plan caches.
  for (const impl of Object.keys(impls) as Array<SendPathResult['impl']>)
    await timed(workers, Math.min(1000, options.runMs), impls[impl]);
  for (let r = 0; r < options.rounds; r++) {
    for (const concurrency of options.concurrencies) {
      const order = (r % 2 === 0 ? ['storage', 'raw-pg'] : ['raw-pg', 'storage']) as Array<SendPathResult['impl']>;
      for (const impl of order) {
        const result = await timed(concurrency, options.runMs, impls[impl]);
        const key = `${impl}@${concurrency}`;
        if (!runs.has(key)) runs.set(key, []);
        runs.get(key)!.push(result);
        log(
          `  round ${r + 1} ${impl} x${concurrency}: ${round(result.opsPerSecond, 0)} sends/s, p50 ${round(result.latency.p50)} p99 ${round(result.latency.p99)} ms`,
        );
      }
    }
  }
  const send: SendPathResult[] = [];
  const ratios: Record<string, number> = {};
  for (const concurrency of options.concurrencies) {
    for (const impl of ['storage', 'raw-pg'] as const) {
      const list = runs.get(`${impl}@${concurrency}`)!;
      send.push({
        impl,
        concurrency,
        opsPerSecond: round(median(list.map((x) => x.opsPerSecond)), 1),
        p50: round(median(list.map((x) => x.latency.p50)), 3),
        p99: round(median(list.map((x) => x.latency.p99)), 3),
        runs: list,
      });
    }
    const ours = send.find((s) => s.impl === 'storage' && s.concurrency === concurrency)!;
    const raw = send.find((s) => s.impl === 'raw-pg' && s.concurrency === concurrency)!;
    ratios[`concurrency ${concurrency}`] = ratio(ours.opsPerSecond, raw.opsPerSecond);
  }

  // Shards touched: the real subgraph code in this process, on the same databases, over HTTP like the gateway.
  const identity = identitySignerFromConfig(stack.config);
  const limits = RateLimits.fromConfig(stack.config, silent);
  const chatsServer = createChatsServer({
    db,
    bus: { publish: async () => true },
    identity,
    limits,
    logger: silent,
    users: EVERY_USER_EXISTS,
  });
  const usersRedis = createFailFastRedis(stack.config.REDIS_URL, silent, { name: 'bench-users' });
  const usersServer = createUsersServer({
    config: stack.config,
    db: stack.dbs.users,
    redis: usersRedis,
    logger: silent,
  });
  const chatsUrl = await chatsServer.server.listen(0);
  const usersUrl = await usersServer.listen(0);
  const shards: ShardTouch[] = [];
  try {
    const callChats = subgraphRequester(stack.config, chatsUrl);
    const callUsers = subgraphRequester(stack.config, usersUrl);
    const history = seed.historyChat;
    const viewer = history.members[0]!;
    // The viewer of myChats gets chats spread over several shards.
    for (let i = 0; i < 7; i++) {
      const res = await callChats(
        'mutation($t: String!, $m: [ID!]!) { createGroupChat(title: $t, memberIds: $m) { id } }',
        { t: `spread ${i}`, m: [history.members[1]!.id] },
        viewer.id,
      );
      if (!res.data) throw new Error(`createGroupChat failed: ${JSON.stringify(res.errors)}`);
    }
    const measure = async (operation: string, run: () => Promise<unknown>, counts: () => number[], note?: string) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await run(); // warm (DataLoader code paths, prepared plans)
          const before = counts();
          await run();
          shards.push(touch(operation, delta(before, counts()), note));
          return;
        } catch (err) {
          // A shard that could not be reached (on a shared server, usually out of connections) says nothing about
          // how many shards the operation touches: measure once more.
          if (attempt >= 2) throw err;
          log(`  ${operation}: ${(err as Error).message.slice(0, 160)}; measuring again`);
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    };
    const ok = async (p: Promise<{ data?: unknown; errors?: unknown }>) => {
      const res = await p;
      if (!res.data || res.errors) throw new Error(JSON.stringify(res.errors).slice(0, 500));
    };
    const c0 = chats[0]!;
    await measure(
      'send (MessageStore.send)',
      () => stores.messages.send(c0.chatId, c0.authorId, 'shard count', `shard-${sequence++}`),
      () => db.statementCounts(),
    );
    await measure(
      `sendMessage through the API (chat of ${history.members.length} members)`,
      () =>
        ok(
          callChats(
            'mutation($c: ID!, $k: String!) { sendMessage(chatId: $c, text: "shard count", clientMessageId: $k) { seq } }',
            { c: history.id, k: `api-${sequence++}` },
            viewer.id,
          ),
        ),
      () => db.statementCounts(),
      "the send statement; after the commit, one update per other shard holding members' chat lists, then one on the chat's shard for its members' rows and the outbox row's delete",
    );
    await measure(
      'history page (chat → 50 messages)',
      () =>
        ok(
          callChats(
            'query($c: ID!) { chat(id: $c) { id messages(last: 50) { nodes { id seq text author { id } } } } }',
            { c: history.id },
            viewer.id,
          ),
        ),
      () => db.statementCounts(),
    );
    const myChatsRun = () =>
      ok(callChats('{ myChats(first: 20) { nodes { id title lastSeq unreadCount } } }', {}, viewer.id));
    await measure(
      'myChats (viewer in 8 chats)',
      myChatsRun,
      () => db.statementCounts(),
      "index read on the viewer's shard, then one batch per shard holding the chats",
    );
    await measure(
      'membership check (canReadChat)',
      () => ok(callChats('query($c: ID!) { canReadChat(chatId: $c) }', { c: history.id }, viewer.id)),
      () => db.statementCounts(),
    );
    const authors = [...new Set(history.members.map((m) => m.id))];
    await measure(
      `history authors (users _entities, ${authors.length} users)`,
      () =>
        ok(
          callUsers('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id displayName } } }', {
            r: Array.from({ length: 50 }, (_, i) => ({ __typename: 'User', id: authors[i % authors.length] })),
          }),
        ),
      () => stack.dbs.users.statementCounts(),
      'users database: one batch per users shard holding an author',
    );
    for (const s of shards)
      log(`  ${s.operation}: ${s.shardsTouched} shard(s), ${s.statements} statement(s) [${s.perShard.join(' ')}]`);
  } finally {
    await chatsServer.server.close();
    await limits.close();
    await usersServer.close();
    usersRedis.disconnect();
  }
  return { chatsShards: db.size, usersShards: stack.dbs.users.size, send, ratios, shards };
}
