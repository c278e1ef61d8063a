/**
 * Abuse limits over real processes: two users instances behind two gateways sharing one Redis, a third gateway whose
 * chats calls pass through a recorder (to capture real identity headers). Limits are lowered for the test through the
 * environment, as an operator would.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import { SERVICES } from '@chatgraph/manifest';
import {
  createTestDatabases,
  gatewayRequest,
  graphqlRequest,
  ProcessStack,
  signUp,
  testConfig,
  waitUntil,
  type GraphQLResponse,
  type TestDatabases,
  type TestUser,
} from '@chatgraph/testing';

const LOG_IN = 'mutation($u: String!, $p: String!) { logIn(username: $u, password: $p) { token } }';
const codeOf = (res: GraphQLResponse<unknown>) => res.errors?.[0]?.extensions?.code as string | undefined;
const retryAfter = (res: GraphQLResponse<unknown>) => res.errors?.[0]?.extensions?.retryAfterMs as number;

/** A POST to a gateway as if HAProxy (a trusted proxy on loopback) forwarded it for `clientAddress`. */
function forwarded(url: string, clientAddress: string, query: string, variables: Record<string, unknown>) {
  return graphqlRequest(url, query, { variables, headers: { 'x-forwarded-for': clientAddress } });
}

/** How a WebSocket connection attempt ended: acknowledged, closed with a code, or refused at the upgrade. */
type SocketOutcome = { acked: WebSocket } | { closed: number; reason: string } | { httpStatus: number };

function openSocket(wsUrl: string, token: string, clientAddress: string): Promise<SocketOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws', { headers: { 'x-forwarded-for': clientAddress } });
    ws.on('open', () =>
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
    );
    ws.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') resolve({ acked: ws });
    });
    ws.on('close', (code, reason) => resolve({ closed: code, reason: String(reason) }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ httpStatus: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('error', () => undefined);
  });
}

describe('abuse limits across instances', () => {
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let recorder: http.Server;
  const recorded: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const limits = {
    RATE_LIMIT_LOGIN_USER: '3/30s..1m',
    RATE_LIMIT_LOGIN_ADDRESS: '5/1m',
    RATE_LIMIT_SOCKET_USER: '2/1m',
    RATE_LIMIT_SOCKET_ADDRESS: '3/1m',
  };

  beforeAll(async () => {
    const config = testConfig({ USERS_SHARDS: '1', CHATS_SHARDS: '1' });
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config, limits));
    await stack.startSubgraphs();
    const users2 = await stack.start('users-2', 'users');
    // Records what the gateway sends to chats (identity header and body) and passes it on unchanged.
    recorder = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        recorded.push({ headers: req.headers, body });
        const upstream = http.request(
          stack.url('chats'),
          { method: 'POST', headers: { ...req.headers, host: `127.0.0.1:${stack.processes.get('chats')!.port}` } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}/graphql`;
    await Promise.all([
      stack.start('gateway-1', 'gateway'),
      stack.start('gateway-2', 'gateway', undefined, { USERS_URL: stack.url(users2.name) }),
      stack.start('gateway-3', 'gateway', undefined, { CHATS_URL: recorderUrl }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    recorder?.close();
    await dbs?.drop();
  });

  it('refuses a password-guessing run from many addresses, wherever the guesses arrive', async () => {
    const victim = await signUp(stack.url('gateway-1'), 'Victim');
    const gateways = [stack.url('gateway-1'), stack.url('gateway-2')];
    const answers: Array<string | undefined> = [];
    // Eight fast guesses from eight addresses (a distributed attacker), alternating between two gateways, each calling
    // its own users instance.
    for (let i = 0; i < 8; i++) {
      const res = await forwarded(gateways[i % 2]!, `203.0.113.${100 + i}`, LOG_IN, {
        u: victim.username,
        p: `guess ${i}`,
      });
      answers.push(codeOf(res));
      if (codeOf(res) === 'RATE_LIMITED') expect(retryAfter(res)).toBeGreaterThan(0);
    }
    // 3 free attempts and a 4th (which starts a 30 s wait); every other guess is refused without being checked.
    expect(answers).toEqual([
      ...Array<string>(4).fill('INVALID_CREDENTIALS'),
      ...Array<string>(4).fill('RATE_LIMITED'),
    ]);
    // The right password waits as well: the account is protected, not only the wrong guesses.
    const right = await forwarded(gateways[0]!, '203.0.113.200', LOG_IN, {
      u: victim.username,
      p: 'correct horse battery',
    });
    expect(codeOf(right)).toBe('RATE_LIMITED');
    expect(retryAfter(right)).toBeGreaterThan(20_000);
    expect(retryAfter(right)).toBeLessThanOrEqual(30_000);
  });

  it('counts logIn attempts per client address from X-Forwarded-For of a trusted proxy, shared by both gateways', async () => {
    const url = (i: number) => stack.url(i % 2 ? 'gateway-2' : 'gateway-1');
    for (let i = 0; i < 5; i++) {
      const res = await forwarded(url(i), '203.0.113.77', LOG_IN, { u: `sprayed_${i}`, p: 'guess' });
      expect(codeOf(res)).toBe('INVALID_CREDENTIALS');
    }
    const refused = await forwarded(url(5), '203.0.113.77', LOG_IN, { u: 'sprayed_5', p: 'guess' });
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    // another client behind the same proxy is not affected
    expect(codeOf(await forwarded(url(5), '203.0.113.78', LOG_IN, { u: 'sprayed_5', p: 'guess' }))).toBe(
      'INVALID_CREDENTIALS',
    );
  });

  describe('WebSocket connections', () => {
    let user: TestUser;
    const open: WebSocket[] = [];
    beforeAll(async () => {
      user = await signUp(stack.url('gateway-1'), 'Socket user');
    });
    afterAll(() => open.forEach((ws) => ws.close()));

    const keep = (outcome: SocketOutcome) => {
      if ('acked' in outcome) open.push(outcome.acked);
      return 'acked' in outcome ? 'acked' : outcome;
    };

    it('refuses a user’s connections over the limit at connection_init, across gateways, with a close code', async () => {
      const first = keep(await openSocket(stack.wsUrl('gateway-1'), user.token, '198.51.100.1'));
      const second = keep(await openSocket(stack.wsUrl('gateway-2'), user.token, '198.51.100.2'));
      const third = keep(await openSocket(stack.wsUrl('gateway-1'), user.token, '198.51.100.3'));
      expect([first, second]).toEqual(['acked', 'acked']);
      expect(third).toEqual({ closed: 4430, reason: expect.stringMatching(/^Rate limited: retry after \d+ ms$/) });
      // another user is not affected
      const other = await signUp(stack.url('gateway-1'), 'Other socket user');
      expect(keep(await openSocket(stack.wsUrl('gateway-2'), other.token, '198.51.100.4'))).toBe('acked');
    });

    it('refuses new connections from one address over the limit with HTTP 429 before the WebSocket opens', async () => {
      const users = await Promise.all([1, 2, 3, 4].map((i) => signUp(stack.url('gateway-1'), `Crowd ${i}`)));
      const outcomes = [];
      for (const [i, u] of users.entries()) {
        outcomes.push(keep(await openSocket(stack.wsUrl(i % 2 ? 'gateway-2' : 'gateway-1'), u.token, '192.0.2.9')));
      }
      expect(outcomes).toEqual(['acked', 'acked', 'acked', { httpStatus: 429 }]);
    });
  });

  it('binds the identity header to its request: a captured header is refused with another body', async () => {
    const alice = await signUp(stack.url('gateway-3'), 'Alice');
    const res = await gatewayRequest(stack.url('gateway-3'), alice.token, '{ myChats(first: 5) { nodes { id } } }');
    expect(res.errors).toBeUndefined();
    await waitUntil('the recorder saw the chats request', () => recorded.some((r) => r.body.includes('myChats')));
    const captured = recorded.find((r) => r.body.includes('myChats'))!;
    const header = String(captured.headers['x-chatgraph-identity']);
    const post = (body: string) =>
      fetch(stack.url('chats'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-chatgraph-identity': header },
        body,
      });
    // Another operation as Alice with her captured header: refused before anything runs.
    const replayed = await post(
      JSON.stringify({ query: 'mutation { createGroupChat(title: "hijack", memberIds: []) { id } }' }),
    );
    expect(replayed.status).toBe(401);
    const refusal = (await replayed.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
    expect(refusal.errors[0]!.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'identity_body_mismatch' });
    // The very same request within the window is accepted (documented in docs/architecture.md: Identity).
    expect((await post(captured.body)).status).toBe(200);
  });
});

describe('the development secrets', () => {
  const root = path.resolve(__dirname, '../..');

  it.each(SERVICES.map((s) => [s.name, s.entry]))(
    '%s refuses to start with them on a non-loopback HOST: exit 78 naming both variables',
    (_name, entry) => {
      const run = spawnSync(process.execPath, [path.join(root, entry)], {
        env: { ...process.env, NODE_ENV: 'development', HOST: '0.0.0.0', JWT_SECRET: '', GATEWAY_IDENTITY_SECRET: '' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).toBe(78);
      expect(run.stderr).toContain('JWT_SECRET: must be set when HOST (0.0.0.0) is not a loopback address');
      expect(run.stderr).toContain(
        'GATEWAY_IDENTITY_SECRET: must be set when HOST (0.0.0.0) is not a loopback address',
      );
    },
  );
});
