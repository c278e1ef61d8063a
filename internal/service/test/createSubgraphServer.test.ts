import { Writable } from 'node:stream';
import { parse } from 'graphql';
import pino from 'pino';
import { IDENTITY_HEADER, IdentitySigner } from '@chatgraph/auth';
import { userError } from '@chatgraph/errors';
import { createSubgraphServer, MAX_BODY_BYTES, type BaseSubgraphContext, type SubgraphServer } from '../src';

const SECRET = 'service-test-identity-secret-0123456789';
const identity = new IdentitySigner({ secret: SECRET });

const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  "Test root."
  type Query {
    "A constant."
    hello: String!
    "The viewer from the identity header."
    viewer: String
    "Fails like a bug would."
    boom: String
    "Fails like a client mistake would."
    refuse: String
    "Answers after a delay."
    slow(ms: Int!): String!
  }
`);

interface Harness {
  server: SubgraphServer;
  url: string;
  base: string;
  logs: string[];
  ready: { fail: boolean };
}

async function start(): Promise<Harness> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const ready = { fail: false };
  const server = createSubgraphServer<BaseSubgraphContext>({
    name: 'probe',
    typeDefs,
    identity,
    logger: pino({ level: 'info' }, sink),
    context: (base) => base,
    ready: async () => {
      if (ready.fail) throw new Error('database down');
    },
    resolvers: {
      Query: {
        hello: () => 'world',
        viewer: (_: unknown, __: unknown, ctx: BaseSubgraphContext) => ctx.viewerId,
        boom: () => {
          throw new Error('connection to 10.0.0.7 failed: password authentication failed for user "svc"');
        },
        refuse: () => {
          throw userError('FORBIDDEN', 'Not yours.');
        },
        slow: async (_: unknown, args: { ms: number }) => {
          await new Promise((r) => setTimeout(r, args.ms));
          return 'done';
        },
      },
    },
  });
  const url = await server.listen(0);
  return { server, url, base: url.replace(/\/graphql$/, ''), logs, ready };
}

const signed = (userId: string | null = null) => ({
  'content-type': 'application/json',
  [IDENTITY_HEADER]: identity.sign({ userId }),
});

async function post(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  return {
    status: res.status,
    body: JSON.parse(text) as {
      data?: unknown;
      errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
    },
  };
}

describe('createSubgraphServer', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  });
  afterAll(() => h.server.close());

  it('answers a signed request and passes the viewer to the context', async () => {
    const res = await post(h.url, JSON.stringify({ query: '{ hello viewer }' }), signed('77'));
    expect(res).toEqual({ status: 200, body: { data: { hello: 'world', viewer: '77' } } });
  });

  it('refuses an unsigned request with 401 UNAUTHENTICATED before any resolver runs', async () => {
    const res = await post(h.url, JSON.stringify({ query: '{ hello }' }), { 'content-type': 'application/json' });
    expect(res.status).toBe(401);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'identity_missing' });
  });

  it('answers a body that is not JSON with 400 BAD_REQUEST', async () => {
    for (const headers of [signed(), { 'content-type': 'application/json' }]) {
      const res = await post(h.url, '{"query": "{ hello }"', headers);
      expect(res.status).toBe(400);
      expect(res.body.errors![0]).toEqual({
        message: 'The request body is not valid JSON.',
        extensions: { code: 'BAD_REQUEST' },
      });
    }
  });

  it('answers a body larger than the limit with 413 BAD_REQUEST and keeps serving', async () => {
    const huge = JSON.stringify({ query: '{ hello }', variables: { pad: 'x'.repeat(MAX_BODY_BYTES + 10) } });
    const res = await post(h.url, huge, signed());
    expect(res.status).toBe(413);
    expect(res.body.errors![0]!.extensions).toEqual({ code: 'BAD_REQUEST' });
    expect((await post(h.url, JSON.stringify({ query: '{ hello }' }), signed())).status).toBe(200);
  });

  it('answers an unknown route with 404 NOT_FOUND', async () => {
    const res = await fetch(`${h.base}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ errors: [{ message: 'No route /nope', extensions: { code: 'NOT_FOUND' } }] });
  });

  it('masks an unexpected resolver error as INTERNAL_SERVER_ERROR without details, and logs it', async () => {
    const res = await post(h.url, JSON.stringify({ query: '{ hello boom }' }), signed());
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ hello: 'world', boom: null });
    expect(res.body.errors).toEqual([
      {
        message: 'Internal server error',
        locations: [{ line: 1, column: 9 }],
        path: ['boom'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    const raw = JSON.stringify(res.body);
    expect(raw).not.toContain('10.0.0.7');
    expect(raw).not.toContain('stacktrace');
    expect(h.logs.some((line) => line.includes('10.0.0.7') && line.includes('unexpected error in resolver'))).toBe(
      true,
    );
  });

  it('passes a client error with a registered code through unchanged', async () => {
    const res = await post(h.url, JSON.stringify({ query: '{ refuse }' }), signed());
    expect(res.body.errors![0]).toMatchObject({ message: 'Not yours.', extensions: { code: 'FORBIDDEN' } });
    expect(res.body.errors![0]!.extensions).not.toHaveProperty('stacktrace');
  });

  it.each([
    ['no query', '{}', 'BAD_REQUEST'],
    [
      'an operationName that is not in the document',
      '{"query":"query A { hello }","operationName":"B"}',
      'OPERATION_RESOLUTION_FAILURE',
    ],
    [
      'a variable of the wrong type',
      '{"query":"query ($ms: Int!) { slow(ms: $ms) }","variables":{"ms":"soon"}}',
      'BAD_USER_INPUT',
    ],
    ['a syntax error', '{"query":"{ hello "}', 'GRAPHQL_PARSE_FAILED'],
    ['an unknown field', '{"query":"{ nope }"}', 'GRAPHQL_VALIDATION_FAILED'],
    ['a batch (array body)', '[{"query":"{ hello }"}]', 'BAD_REQUEST'],
  ])('a request with %s gets 400 and its own code, not an internal error', async (_name, body, code) => {
    const res = await post(h.url, body, signed());
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.extensions!.code).toBe(code);
    expect(res.body.errors![0]!.message).not.toBe('Internal server error');
  });

  it('logs one line per GraphQL request: operation name and type, duration, outcome', async () => {
    const requestLines = () =>
      h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'graphql request');
    const before = requestLines().length;
    await post(h.url, JSON.stringify({ query: 'query Greeting { hello }' }), signed('7'));
    await post(h.url, JSON.stringify({ query: 'query Mine { refuse }' }), signed('7'));
    await post(h.url, JSON.stringify({ query: '{ nope }' }), signed('7'));
    await post(h.url, JSON.stringify({ query: 'query Greeting { hello }' }), { 'content-type': 'application/json' });
    await post(h.url, '{"query": ', signed('7'));
    const lines = requestLines().slice(before);
    expect(
      lines.map(({ operationName, operationType, outcome, status }) => [operationName, operationType, outcome, status]),
    ).toEqual([
      ['Greeting', 'query', 'ok', 200],
      ['Mine', 'query', 'FORBIDDEN', 200],
      [null, null, 'GRAPHQL_VALIDATION_FAILED', 400],
      [null, null, 'UNAUTHENTICATED', 401],
      [null, null, 'BAD_REQUEST', 400],
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({ level: 30, durationMs: expect.any(Number) });
      expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
    }
  });

  it('serves /health without a signature, and /ready from the readiness check', async () => {
    expect(await (await fetch(`${h.base}/health`)).json()).toEqual({ status: 'ok', service: 'probe' });
    expect((await fetch(`${h.base}/ready`)).status).toBe(200);
    h.ready.fail = true;
    try {
      const res = await fetch(`${h.base}/ready`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', service: 'probe' });
    } finally {
      h.ready.fail = false;
    }
  });
});

describe('createSubgraphServer close()', () => {
  it('lets an in-flight request finish, then stops accepting connections; closing twice is safe', async () => {
    const h = await start();
    const inFlight = post(h.url, JSON.stringify({ query: '{ slow(ms: 300) }' }), signed());
    await new Promise((r) => setTimeout(r, 50)); // the request is being served
    const closed = h.server.close();
    const again = h.server.close();
    expect(await inFlight).toEqual({ status: 200, body: { data: { slow: 'done' } } });
    await Promise.all([closed, again]);
    await expect(fetch(`${h.base}/health`)).rejects.toThrow();
  });
});
