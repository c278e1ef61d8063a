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

/** Headers of a request signed (like the gateway does) for `body`. */
const signed = (body: string, userId: string | null = null) => ({
  'content-type': 'application/json',
  [IDENTITY_HEADER]: identity.sign({ userId }, body),
});

/** POSTs `body` signed for itself. */
const postSigned = (url: string, body: string, userId: string | null = null) => post(url, body, signed(body, userId));

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
    const res = await postSigned(h.url, JSON.stringify({ query: '{ hello viewer }' }), '77');
    expect(res).toEqual({ status: 200, body: { data: { hello: 'world', viewer: '77' } } });
  });

  it('refuses a captured header sent with another body (401), and accepts it again with its own body', async () => {
    const original = JSON.stringify({ query: '{ viewer }' });
    const headers = signed(original, '77');
    const replayed = await post(h.url, JSON.stringify({ query: '{ viewer hello }' }), headers);
    expect(replayed.status).toBe(401);
    expect(replayed.body.data ?? null).toBeNull();
    expect(replayed.body.errors![0]!.extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'identity_body_mismatch',
    });
    // Other variables are another body too.
    const query = 'query ($ms: Int!) { slow(ms: $ms) }';
    const withVariables = signed(JSON.stringify({ query, variables: { ms: 1 } }), '77');
    const changed = await post(h.url, JSON.stringify({ query, variables: { ms: 2 } }), withVariables);
    expect(changed.status).toBe(401);
    // Within the window, the exact same request is accepted again (see docs/architecture.md: Identity).
    expect(await post(h.url, original, headers)).toEqual({ status: 200, body: { data: { viewer: '77' } } });
  });

  it('binds a GET request to its query string', async () => {
    const search = `?query=${encodeURIComponent('{ viewer }')}`;
    const headers = { [IDENTITY_HEADER]: identity.sign({ userId: '5' }, search), 'apollo-require-preflight': 'x' };
    expect((await fetch(`${h.url}${search}`, { headers })).status).toBe(200);
    const other = `?query=${encodeURIComponent('{ hello }')}`;
    expect((await fetch(`${h.url}${other}`, { headers })).status).toBe(401);
  });

  it('refuses an unsigned request with 401 UNAUTHENTICATED before any resolver runs', async () => {
    const res = await post(h.url, JSON.stringify({ query: '{ hello }' }), { 'content-type': 'application/json' });
    expect(res.status).toBe(401);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'identity_missing' });
  });

  it('answers a signed body that is not JSON with 400 BAD_REQUEST, an unsigned one with 401 before parsing', async () => {
    const broken = '{"query": "{ hello }"';
    const res = await postSigned(h.url, broken);
    expect(res.status).toBe(400);
    expect(res.body.errors![0]).toEqual({
      message: 'The request body is not valid JSON.',
      extensions: { code: 'BAD_REQUEST' },
    });
    const unsigned = await post(h.url, broken, { 'content-type': 'application/json' });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.errors![0]!.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'identity_missing' });
  });

  it('answers a body larger than the limit with 413 BAD_REQUEST and keeps serving', async () => {
    const huge = JSON.stringify({ query: '{ hello }', variables: { pad: 'x'.repeat(MAX_BODY_BYTES + 10) } });
    const res = await postSigned(h.url, huge);
    expect(res.status).toBe(413);
    expect(res.body.errors![0]!.extensions).toEqual({ code: 'BAD_REQUEST' });
    expect((await postSigned(h.url, JSON.stringify({ query: '{ hello }' }))).status).toBe(200);
  });

  it('answers an unknown route with 404 NOT_FOUND', async () => {
    const res = await fetch(`${h.base}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ errors: [{ message: 'No route /nope', extensions: { code: 'NOT_FOUND' } }] });
  });

  it('masks an unexpected resolver error as INTERNAL_SERVER_ERROR without details, and logs it', async () => {
    const res = await postSigned(h.url, JSON.stringify({ query: '{ hello boom }' }));
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
    const res = await postSigned(h.url, JSON.stringify({ query: '{ refuse }' }));
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
    const res = await postSigned(h.url, body);
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.extensions!.code).toBe(code);
    expect(res.body.errors![0]!.message).not.toBe('Internal server error');
  });

  it('logs one line per GraphQL request: operation name and type, duration, outcome', async () => {
    const requestLines = () =>
      h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'graphql request');
    const before = requestLines().length;
    await postSigned(h.url, JSON.stringify({ query: 'query Greeting { hello }' }), '7');
    await postSigned(h.url, JSON.stringify({ query: 'query Mine { refuse }' }), '7');
    await postSigned(h.url, JSON.stringify({ query: '{ nope }' }), '7');
    await post(h.url, JSON.stringify({ query: 'query Greeting { hello }' }), { 'content-type': 'application/json' });
    await postSigned(h.url, '{"query": ', '7');
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
    const inFlight = postSigned(h.url, JSON.stringify({ query: '{ slow(ms: 300) }' }));
    await new Promise((r) => setTimeout(r, 50)); // the request is being served
    const closed = h.server.close();
    const again = h.server.close();
    expect(await inFlight).toEqual({ status: 200, body: { data: { slow: 'done' } } });
    await Promise.all([closed, again]);
    await expect(fetch(`${h.base}/health`)).rejects.toThrow();
  });
});
