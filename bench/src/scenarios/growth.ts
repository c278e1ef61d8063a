import { randomInt } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { subgraphRequester } from '@chatgraph/testing';
import type { BenchStack } from '../BenchStack';
import { GrowthSeed } from '../growthSeed';
import { postGraphQL } from '../load/postGraphQL';
import { distribution, ratio, round, summarize, type LatencySummary } from '../stats';

/** Options of scenario 5. */
export interface GrowthOptions {
  /** History sizes: one chat per size with this many messages, none read by the viewer. */
  messages: number[];
  /** Chat list sizes: one viewer per size with this many chats. */
  chats: number[];
  /** Rounds; each measures every operation at every size `requests` times, one request of each in turn. */
  rounds: number;
  /** Measured requests per operation, size and round (and as many unmeasured ones before the first round). */
  requests: number;
}

/** One operation at one size: latency through the gateway, sequential requests. */
export interface GrowthPoint {
  size: number;
  latency: LatencySummary;
  distribution: number[];
}

/** What scenario 5 measures, at each size. */
export interface GrowthResult {
  options: GrowthOptions;
  seedSeconds: number;
  /** By operation: `unreadCount`, `historyPage`, `send` (by history size), `myChats` (by chat list size). */
  operations: Record<GrowthOperation, GrowthPoint[]>;
  /** By operation: p50 at the largest size ÷ p50 at the smallest (1 = flat). */
  ratios: Record<GrowthOperation, number>;
  /**
   * For comparison, by history size: the statement an unread count used to be (counting the messages after the
   * marker), run directly on the chat's shard; p50 of a few runs.
   */
  countingReference: Array<{ size: number; p50: number }>;
}

/** The operations scenario 5 measures. */
export type GrowthOperation = 'unreadCount' | 'myChats' | 'historyPage' | 'send';

const UNREAD = 'query($c: ID!) { chat(id: $c) { unreadCount } }';
const HISTORY = 'query($c: ID!) { chat(id: $c) { messages(last: 50) { nodes { id seq text author { id } } } } }';
const SEND = 'mutation($c: ID!, $k: String!) { sendMessage(chatId: $c, text: "growth", clientMessageId: $k) { seq } }';
// A page of 10: the smallest list's size, so that every size returns a full page of the same length.
const PAGE = 10;
const MY_CHATS = `{ myChats(first: ${PAGE}) {
  nodes { id title lastActivityAt unreadCount lastMessage { id text createdAt author { id } } }
  pageInfo { hasNextPage endCursor } } }`;

/** What the checks after seeding read. */
interface CheckResponse {
  data?: {
    chat?: { unreadCount: number };
    myChats?: { nodes: Array<{ unreadCount: number; lastActivityAt: string }> };
  };
  errors?: unknown;
}

interface Probe {
  op: GrowthOperation;
  size: number;
  token: string;
  body: () => string;
}

/**
 * Scenario 5: cost against data size. Chats with 1k … 1M messages (none read by the viewer) and viewers with 10 …
 * 10k chats, written in bulk exactly as the service writes them (`GrowthSeed`) and checked through the gateway; then
 * `unreadCount`, a `myChats` page (with unread counts and newest messages), and for reference a history page and a
 * send, each measured through one gateway with sequential requests, one request of every operation and size in turn
 * (so that the machine's noise falls on all sizes alike).
 */
export async function growth(
  stack: BenchStack,
  options: GrowthOptions,
  log: (line: string) => void,
): Promise<GrowthResult> {
  const users = subgraphRequester(stack.config, stack.subgraphUrl('users'));
  const chats = subgraphRequester(stack.config, stack.subgraphUrl('chats'));
  const run = Date.now().toString(36);
  const signUp = async (name: string) => {
    const res = await users<{ signUp: { token: string; user: { id: string } } }>(
      'mutation($u: String!) { signUp(username: $u, password: "bench password 1", displayName: $u) { token user { id } } }',
      { u: `g${run}_${name}` },
    );
    if (!res.data) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
    return { id: res.data.signUp.user.id, token: res.data.signUp.token };
  };
  const t0 = performance.now();
  const seed = new GrowthSeed(stack.dbs.chats);
  const reader = await signUp('reader');
  const authors = [await signUp('author_a'), await signUp('author_b')] as const;
  const histories = new Map<number, string>();
  for (const size of options.messages) {
    const res = await chats<{ createGroupChat: { id: string } }>(
      'mutation($t: String!, $m: [ID!]!) { createGroupChat(title: $t, memberIds: $m) { id } }',
      { t: `growth ${size}`, m: authors.map((a) => a.id) },
      reader.id,
    );
    if (!res.data) throw new Error(`createGroupChat failed: ${JSON.stringify(res.errors)}`);
    const chatId = res.data.createGroupChat.id;
    await seed.appendMessages(BigInt(chatId), [BigInt(authors[0].id), BigInt(authors[1].id)], size);
    histories.set(size, chatId);
    log(`  chat with ${size} messages`);
  }
  const owner = await signUp('owner');
  const listers = new Map<number, { id: string; token: string }>();
  for (const size of options.chats) {
    const viewer = await signUp(`lister_${size}`);
    await seed.createChats(BigInt(owner.id), BigInt(viewer.id), size, 3);
    listers.set(size, viewer);
    log(`  viewer with ${size} chats`);
  }
  await seed.analyze();
  const seedSeconds = round((performance.now() - t0) / 1000, 1);

  const gateway = await stack.startGateway('chatgraph', 'growth');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(gateway.url);
  const call = async (token: string, body: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    return (await res.json()) as CheckResponse;
  };
  try {
    // The bulk rows read back as the service's own: every message unread, every list in activity order.
    for (const [size, chatId] of histories) {
      const res = await call(reader.token, JSON.stringify({ query: UNREAD, variables: { c: chatId } }));
      if (res.data?.chat?.unreadCount !== size)
        throw new Error(`chat of ${size}: unreadCount ${JSON.stringify(res)} after seeding`);
    }
    for (const [size, viewer] of listers) {
      const res = await call(viewer.token, JSON.stringify({ query: MY_CHATS }));
      const nodes = res.data?.myChats?.nodes ?? [];
      const sorted = nodes.every((n, i) => i === 0 || nodes[i - 1]!.lastActivityAt >= n.lastActivityAt);
      if (nodes.length !== Math.min(PAGE, size) || !sorted || nodes.some((n) => n.unreadCount !== 3))
        throw new Error(`viewer of ${size} chats: myChats ${JSON.stringify(res).slice(0, 500)} after seeding`);
    }

    const countingReference: GrowthResult['countingReference'] = [];
    for (const [size, chatId] of histories) {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await stack.dbs.chats.clientFor(BigInt(chatId)).$queryRaw`
          SELECT count(*)::int FROM messages x
           WHERE x.chat_id = ${BigInt(chatId)} AND x.seq > 0 AND x.author_id <> ${BigInt(reader.id)}
             AND x.deleted_at IS NULL`;
        runs.push(performance.now() - started);
      }
      countingReference.push({ size, p50: round(summarize(runs).p50, 3) });
    }

    let sends = 0;
    const probes: Probe[] = [
      ...[...histories].flatMap(([size, c]): Probe[] => [
        {
          op: 'unreadCount',
          size,
          token: reader.token,
          body: () => JSON.stringify({ query: UNREAD, variables: { c } }),
        },
        {
          op: 'historyPage',
          size,
          token: reader.token,
          body: () => JSON.stringify({ query: HISTORY, variables: { c } }),
        },
        {
          op: 'send',
          size,
          token: reader.token,
          body: () => JSON.stringify({ query: SEND, variables: { c, k: `growth-${run}-${sends++}` } }),
        },
      ]),
      ...[...listers].map(([size, viewer]): Probe => ({
        op: 'myChats',
        size,
        token: viewer.token,
        body: () => JSON.stringify({ query: MY_CHATS }),
      })),
    ];
    const samples = new Map<Probe, number[]>(probes.map((p) => [p, []]));
    const headers = (token: string) => ({ authorization: `Bearer ${token}` });
    const once = async (probe: Probe) => {
      const started = performance.now();
      const failed = await postGraphQL(agent, url, headers(probe.token), probe.body());
      if (failed) throw new Error(`${probe.op} at ${probe.size}: ${failed}`);
      return performance.now() - started;
    };
    for (const probe of probes) for (let i = 0; i < options.requests; i++) await once(probe); // warm-up
    // One request of each probe in turn, so that the machine's noise falls on every size alike, in a new random
    // order each time, so that no size always follows the same operation (a send leaves work behind it).
    for (let round = 0; round < options.rounds; round++) {
      for (let i = 0; i < options.requests; i++)
        for (const probe of shuffled(probes)) samples.get(probe)!.push(await once(probe));
    }
    const operations = { unreadCount: [], myChats: [], historyPage: [], send: [] } as Record<
      GrowthOperation,
      GrowthPoint[]
    >;
    for (const [probe, values] of samples)
      operations[probe.op].push({ size: probe.size, latency: summarize(values), distribution: distribution(values) });
    const ratios = {} as Record<GrowthOperation, number>;
    for (const [op, points] of Object.entries(operations) as Array<[GrowthOperation, GrowthPoint[]]>) {
      points.sort((a, b) => a.size - b.size);
      ratios[op] = ratio(points[points.length - 1]!.latency.p50, points[0]!.latency.p50);
      log(`  ${op}: ${points.map((p) => `${p.size} → p50 ${round(p.latency.p50, 2)} ms`).join(', ')} (${ratios[op]}×)`);
    }
    return { options, seedSeconds, operations, ratios, countingReference };
  } finally {
    agent.destroy();
    await stack.stopGateway(gateway);
  }
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
