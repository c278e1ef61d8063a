/**
 * Identical query fetches in flight share one subgraph request (SharedFetches through SubgraphDataSource), against a
 * real HTTP subgraph on a free port that holds its answers until told: one request for many fetches, never across
 * identities, never for mutations, and never across a write this gateway knows of (a mutation's answer, an event
 * received), so a client reads, through one gateway, the writes that gateway answered or announced to it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { IdentitySigner } from '@chatgraph/auth';
import { createSubgraphDispatcher, SubgraphDataSource, type GatewayContext } from '../src/auth/SubgraphDataSource';
import { SharedFetches } from '../src/upstream/SharedFetches';
import { SubgraphUpstream } from '../src/upstream/SubgraphUpstream';

const QUERY = 'query History__chats__0($chatId:ID!){chat(id:$chatId){id title}}';
const MUTATION = 'mutation Rename__chats__0($chatId:ID!){renameChat(id:$chatId){id title}}';

/** A chats subgraph whose title is what the last mutation set; queries are answered when `release` is called. */
class HeldSubgraph {
  title = 'before';
  readonly received: Array<{ query: string }> = [];
  private held: http.ServerResponse[] = [];
  private bodies = new WeakMap<http.ServerResponse, string>();
  url = '';
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { query, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        query: string;
        variables: { chatId: string };
      };
      this.received.push({ query });
      if (query.startsWith('mutation')) {
        this.title = 'after';
        res.end(JSON.stringify({ data: { renameChat: { id: variables.chatId, title: this.title } } }));
        return;
      }
      // A query reads now and answers when released, as a slow read would.
      this.bodies.set(res, JSON.stringify({ data: { chat: { id: variables.chatId, title: this.title } } }));
      this.held.push(res);
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
    return this;
  }

  queries(): number {
    return this.received.filter((r) => r.query.startsWith('query')).length;
  }

  /** Resolves once `n` queries wait for their answer (fails after 2 s: fewer requests came than expected). */
  async waiting(n: number): Promise<void> {
    const deadline = Date.now() + 2000;
    while (this.held.length < n) {
      if (Date.now() > deadline) throw new Error(`${this.held.length} queries wait for an answer, not ${n}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  release(): void {
    const held = this.held;
    this.held = [];
    for (const res of held) res.end(this.bodies.get(res));
  }

  /** The held queries' connections break before an answer. */
  fail(): void {
    const held = this.held;
    this.held = [];
    for (const res of held) res.socket?.destroy();
  }

  close(): Promise<void> {
    this.release();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    return closed;
  }
}

const dispatcher = createSubgraphDispatcher(2000);
const identity = new IdentitySigner({ secret: 'a-test-secret-of-enough-length-0123456789' });
let subgraph: HeldSubgraph;
let shared: SharedFetches;
let source: SubgraphDataSource;

beforeEach(async () => {
  subgraph = await new HeldSubgraph().start();
  shared = new SharedFetches();
  source = new SubgraphDataSource({
    name: 'chats',
    upstream: new SubgraphUpstream({
      name: 'chats',
      urls: [subgraph.url],
      strategy: 'round-robin',
      breaker: { failures: 5, halfOpenAfterMs: 1000 },
      timeoutMs: 2000,
      maxConcurrent: 64,
      maxQueued: 64,
      dispatcher,
    }),
    identity,
    shared,
  });
});
afterEach(() => subgraph.close());
afterAll(() => dispatcher.destroy());

type Chat = { id: string; title: string };
const send = (context: GatewayContext, query = QUERY, chatId = '1') =>
  source.process({
    kind: 0,
    request: { query, variables: { chatId }, operationName: undefined },
    context,
  } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
const fetchAs = async (context: GatewayContext, query = QUERY, chatId = '1') =>
  (await send(context, query, chatId)).data as { chat?: Chat; renameChat?: Chat };
const alice: GatewayContext = { viewerId: '7', sessionId: 's1', clientAddress: '10.0.0.1' };

describe('shared in-flight fetches', () => {
  it('answers identical queries in flight with one subgraph request, each with an object of its own', async () => {
    const answers = Promise.all([fetchAs(alice), fetchAs(alice), fetchAs(alice)]);
    await subgraph.waiting(1);
    subgraph.release();
    const [a, b, c] = await answers;
    expect(subgraph.queries()).toBe(1);
    expect([a, b, c]).toEqual(new Array(3).fill({ chat: { id: '1', title: 'before' } }));
    // The executor merges into what it gets: one request's answer must not be another's.
    a!.chat!.title = 'changed by one request';
    expect(b!.chat!.title).toBe('before');
    expect(shared.stats()).toEqual({ sent: 1, joined: 2, inFlight: 0 });
    // Once answered, the next identical query is a request of its own.
    const next = fetchAs(alice);
    await subgraph.waiting(1);
    subgraph.release();
    await next;
    expect(subgraph.queries()).toBe(2);
  });

  it('never shares across identities or bodies', async () => {
    const others: GatewayContext[] = [
      { ...alice, viewerId: '8' },
      { ...alice, sessionId: 's2' },
      { ...alice, clientAddress: '10.0.0.2' },
      { ...alice, sessionId: null, apiTokenId: 't1', scopes: ['CHATS_READ'] },
      { ...alice, sessionId: null, apiTokenId: 't1', scopes: ['CHATS_READ', 'MESSAGES_WRITE'] },
      { viewerId: null, clientAddress: '10.0.0.1' },
    ];
    const answers = Promise.all([fetchAs(alice), fetchAs(alice, QUERY, '2'), ...others.map((c) => fetchAs(c))]);
    await subgraph.waiting(2 + others.length);
    subgraph.release();
    await answers;
    expect(subgraph.queries()).toBe(2 + others.length);
    expect(shared.stats().joined).toBe(0);
  });

  it('never shares a mutation', async () => {
    const results = await Promise.all([fetchAs(alice, MUTATION), fetchAs(alice, MUTATION)]);
    expect(results.map((r) => r.renameChat?.title)).toEqual(['after', 'after']);
    expect(subgraph.received.filter((r) => r.query.startsWith('mutation'))).toHaveLength(2);
  });

  it("reads a client's own write: a query after a mutation's answer does not join one sent before it", async () => {
    const early = fetchAs(alice); // reads 'before', held
    await subgraph.waiting(1);
    expect((await fetchAs(alice, MUTATION)).renameChat?.title).toBe('after');
    const late = fetchAs(alice);
    await subgraph.waiting(2);
    subgraph.release();
    expect((await early).chat?.title).toBe('before');
    expect((await late).chat?.title).toBe('after');
    expect(subgraph.queries()).toBe(2);
  });

  it('does not join a request sent before a write it heard of (an event received)', async () => {
    const early = fetchAs(alice);
    await subgraph.waiting(1);
    subgraph.title = 'changed elsewhere';
    shared.written();
    const late = fetchAs(alice);
    const later = fetchAs(alice); // joins `late`: nothing was written since it was sent
    await subgraph.waiting(2);
    subgraph.release();
    expect((await early).chat?.title).toBe('before');
    expect((await late).chat?.title).toBe('changed elsewhere');
    expect((await later).chat?.title).toBe('changed elsewhere');
    expect(shared.stats()).toEqual({ sent: 2, joined: 1, inFlight: 0 });
  });

  it('gives every fetch that shared a request the failure when the subgraph cannot answer', async () => {
    const answers = Promise.all([send(alice), send(alice)]);
    await subgraph.waiting(1);
    subgraph.fail();
    const responses = await answers;
    expect(responses.map((r) => [r.data, r.errors?.[0]?.extensions?.code])).toEqual([
      [undefined, 'SERVICE_UNAVAILABLE'],
      [undefined, 'SERVICE_UNAVAILABLE'],
    ]);
    expect(shared.stats()).toEqual({ sent: 1, joined: 1, inFlight: 0 });
  });
});
