/**
 * End to end: what the gateway exposes and to whom, over real processes (three subgraphs, two gateways, Postgres,
 * Redis). `open` runs with the defaults of a development machine; `locked` as production would: introspection off,
 * trusted documents required, one allowed browser origin. Admin endpoints live on admin ports only; browsers of other
 * origins are refused (CORS, WebSocket upgrades); presence is visible to chat partners only.
 */
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import {
  createTestDatabases,
  gatewayRequest,
  liveClient,
  ProcessStack,
  signUp,
  subscribe,
  testConfig,
  waitUntil,
  type TestDatabases,
  type TestUser,
} from '@chatgraph/testing';

const APP_ORIGIN = 'https://app.example.com';
const MANIFEST = path.resolve(__dirname, '../../client-sdk/src/generated/persisted-documents.json');

/** An operation of the SDK's trusted-documents manifest, by operation name. */
function sdkDocument(name: string): { hash: string; text: string } {
  const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
  const found = Object.entries(manifest).find(([, text]) =>
    new RegExp(`^(query|mutation|subscription) ${name}\\b`).test(text),
  );
  if (!found) throw new Error(`no SDK operation ${name}`);
  return { hash: found[0], text: found[1] };
}

const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

/** POSTs a raw GraphQL body (JSON) with optional headers; returns status, headers and the parsed body. */
async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

/** Tries a browser-like WebSocket upgrade; resolves with the HTTP status of a refusal, or 101 when it opened. */
function upgradeStatus(wsUrl: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws', { headers: { origin } });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.close();
    });
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

describe('exposure surface', () => {
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  const config = testConfig();
  const open = () => stack.url('open');
  const locked = () => stack.url('locked');
  let aliceStatus = 'ONLINE';
  /** Alice changes status (one heartbeat: they are rate-limited), which watchers of her presence are told. */
  const aliceToggles = async () => {
    aliceStatus = aliceStatus === 'ONLINE' ? 'AWAY' : 'ONLINE';
    const res = await gatewayRequest(open(), alice.token, `mutation { heartbeat(status: ${aliceStatus}) { status } }`);
    expect(res.errors).toBeUndefined();
  };
  /** Resolves once a gateway process has `n` live (authorized and attached) subscriptions (its admin /stats). */
  const liveOn = (gateway: string, n: number) =>
    waitUntil(`${n} live subscriptions on ${gateway}`, async () => {
      const metrics = (await (await fetch(stack.adminUrl(gateway))).json()) as {
        subscriptions: { liveSubscriptions: number };
      };
      return metrics.subscriptions.liveSubscriptions >= n;
    });

  beforeAll(async () => {
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config));
    await stack.startSubgraphs();
    await Promise.all([
      stack.start('open', 'gateway'),
      stack.start('locked', 'gateway', undefined, {
        INTROSPECTION: 'false',
        TRUSTED_DOCUMENTS: 'require',
        CORS_ORIGINS: APP_ORIGIN,
      }),
    ]);
    [alice, bob, carol] = await Promise.all([signUp(open(), 'Alice'), signUp(open(), 'Bob'), signUp(open(), 'Carol')]);
    const chat = await gatewayRequest(
      open(),
      alice.token,
      'mutation($u: ID!) { createDirectChat(userId: $u) { id } }',
      {
        u: bob.id,
      },
    );
    expect(chat.errors).toBeUndefined();
    expect((await gatewayRequest(open(), alice.token, 'mutation { heartbeat { status } }')).errors).toBeUndefined();
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await dbs?.drop();
  });

  describe('admin port', () => {
    it('serves /metrics and /stats on the admin port only; /graphql, /health and /ready stay public', async () => {
      const base = open().replace(/\/graphql$/, '');
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
      expect((await fetch(`${base}/stats`)).status).toBe(404);
      expect(await (await fetch(stack.adminUrl('open', '/metrics'))).text()).toContain(
        'http_server_request_duration_seconds',
      );
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      const metrics = await fetch(stack.adminUrl('open'));
      expect(metrics.status).toBe(200);
      expect(await metrics.json()).toMatchObject({ service: 'gateway', subscriptions: expect.any(Object) });
      expect((await fetch(stack.adminUrl('open', '/ready'))).status).toBe(200);
      for (const name of ['users', 'chats', 'presence']) {
        expect((await fetch(stack.url(name).replace(/\/graphql$/, '/metrics'))).status).toBe(404);
        expect((await fetch(stack.url(name).replace(/\/graphql$/, '/stats'))).status).toBe(404);
        expect(await (await fetch(stack.adminUrl(name))).json()).toMatchObject({ service: name });
        expect((await fetch(stack.adminUrl(name, '/health'))).status).toBe(200);
      }
    });
  });

  describe('browsers (CORS)', () => {
    const preflight = (url: string, origin: string) =>
      fetch(url, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });

    it('answers a preflight from an allowed origin with its origin, methods and headers', async () => {
      const res = await preflight(locked(), APP_ORIGIN);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
      expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
      expect(res.headers.get('vary')).toMatch(/Origin/);
    });

    it('refuses a preflight from another origin: no CORS headers, 403', async () => {
      const res = await preflight(locked(), 'https://evil.example');
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      // the development default allows the local web client, not other pages
      expect((await preflight(open(), 'http://localhost:3000')).headers.get('access-control-allow-origin')).toBe(
        'http://localhost:3000',
      );
      expect((await preflight(open(), 'https://evil.example')).status).toBe(403);
    });

    it('lets an allowed page read responses (POST, and GET with apollo-require-preflight)', async () => {
      const me = sdkDocument('Me');
      const viaPost = await post(
        locked(),
        { query: me.text },
        { origin: APP_ORIGIN, authorization: `Bearer ${alice.token}` },
      );
      expect(viaPost.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(viaPost.body.data.me.id).toBe(alice.id);
      // urql and Apollo Client send GET queries only with a header that forces a preflight
      const get = (headers: Record<string, string>) =>
        fetch(`${open()}?query=${encodeURIComponent('{ me { id } }')}`, {
          headers: { origin: 'http://localhost:3000', authorization: `Bearer ${alice.token}`, ...headers },
        });
      expect((await get({})).status).toBe(400);
      const allowed = await get({ 'apollo-require-preflight': 'true' });
      expect(allowed.status).toBe(200);
      expect(((await allowed.json()) as { data: { me: { id: string } } }).data.me.id).toBe(alice.id);
    });

    it('refuses a WebSocket upgrade from a page of another origin with 403', async () => {
      const wsUrl = stack.wsUrl('locked');
      expect(await upgradeStatus(wsUrl, 'https://evil.example')).toBe(403);
      expect(await upgradeStatus(wsUrl, APP_ORIGIN)).toBe(101);
    });
  });

  describe('trusted documents (require)', () => {
    it('refuses an ad-hoc query before parsing it, and runs an SDK operation sent by hash', async () => {
      const adHoc = await gatewayRequest(locked(), alice.token, '{ me { id username } }');
      expect(adHoc.status).toBe(400);
      expect(adHoc.errors?.[0]?.extensions?.code).toBe('OPERATION_NOT_TRUSTED');
      const me = sdkDocument('Me');
      const byHash = await post(
        locked(),
        { operationName: 'Me', extensions: persisted(me.hash) },
        { authorization: `Bearer ${alice.token}` },
      );
      expect(byHash.status).toBe(200);
      expect(byHash.body.data.me.id).toBe(alice.id);
      const unknown = await post(locked(), { extensions: persisted('0'.repeat(64)) });
      expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      // the open gateway runs anything
      expect((await gatewayRequest(open(), alice.token, '{ me { id username } }')).errors).toBeUndefined();
    });

    it('over WebSocket: refuses an ad-hoc subscription, accepts an SDK subscription by hash', async () => {
      const client = liveClient(stack.wsUrl('locked'), bob.token);
      try {
        const adHoc = subscribe(client, 'subscription($u: [ID!]!) { presenceChanged(userIds: $u) { status } }', {
          u: [alice.id],
        });
        await expect(adHoc.waitFor(() => false)).rejects.toThrow(/OPERATION_NOT_TRUSTED/);

        const doc = sdkDocument('PresenceChanged');
        const received: unknown[] = [];
        const failed: unknown[] = [];
        const stop = client.subscribe(
          { query: '', variables: { userIds: [alice.id] }, extensions: persisted(doc.hash) },
          { next: (r) => received.push(r), error: (e) => failed.push(e), complete: () => undefined },
        );
        await liveOn('locked', 1);
        await aliceToggles();
        await waitUntil('the presence change arrives', () => received.length > 0 || failed.length > 0);
        stop();
        expect(failed).toEqual([]);
        expect(received[0]).toMatchObject({
          data: { presenceChanged: { user: { id: alice.id }, status: aliceStatus } },
        });
      } finally {
        await client.dispose();
      }
    });
  });

  describe('errors that reveal nothing and crash nothing', () => {
    it('answers a subscription POSTed over HTTP with 400 BAD_REQUEST', async () => {
      const res = await gatewayRequest(open(), alice.token, 'subscription { myChatActivity { seq } }');
      expect(res.status).toBe(400);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
      expect(res.errors?.[0]?.message).toMatch(/WebSocket/);
    });

    it('hides "Did you mean" suggestions when introspection is off, on HTTP and WebSocket', async () => {
      const typo = '{ mee { id } }';
      const shown = await gatewayRequest(open(), alice.token, typo);
      expect(shown.errors?.[0]?.message).toMatch(/Did you mean "me"/);
      // the locked gateway runs trusted documents only, so the typo is checked on a gateway with introspection off
      const hiddenStack = await stack.start('hidden', 'gateway', undefined, { INTROSPECTION: 'false' });
      try {
        const hidden = await gatewayRequest(stack.url('hidden'), alice.token, typo);
        expect(hidden.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
        expect(hidden.errors?.[0]?.message).not.toMatch(/Did you mean/);
        const client = liveClient(stack.wsUrl('hidden'), alice.token);
        try {
          const sub = subscribe(client, 'subscription { myChatActivty { seq } }');
          const error = await sub
            .waitFor(() => false)
            .then(
              () => '',
              (err: Error) => err.message,
            );
          expect(error).toMatch(/GRAPHQL_VALIDATION_FAILED/);
          expect(error).not.toMatch(/Did you mean/);
        } finally {
          await client.dispose();
        }
      } finally {
        await stack.stop(hiddenStack.name);
      }
    });
  });

  describe('presence', () => {
    const PRESENCE = 'query($id: ID!) { user(id: $id) { id presence { status lastSeenAt } } }';
    const presenceAs = async (token: string | null) => {
      const res = await gatewayRequest<{ user: { presence: { status: string; lastSeenAt: string } | null } }>(
        open(),
        token,
        PRESENCE,
        { id: alice.id },
      );
      expect(res.errors).toBeUndefined();
      return res.data!.user.presence;
    };

    it('shows a user their own presence and their chat partners, not strangers nor anonymous callers', async () => {
      expect(await presenceAs(alice.token)).toMatchObject({ lastSeenAt: expect.any(String) });
      expect(await presenceAs(bob.token)).toMatchObject({ lastSeenAt: expect.any(String) });
      expect(await presenceAs(carol.token)).toBeNull();
      expect(await presenceAs(null)).toBeNull();
    });

    it("refuses to let a stranger watch someone's presence (FORBIDDEN); a chat partner may", async () => {
      const query = 'subscription($u: [ID!]!) { presenceChanged(userIds: $u) { status } }';
      const stranger = liveClient(stack.wsUrl('open'), carol.token);
      const partner = liveClient(stack.wsUrl('open'), bob.token);
      try {
        const refused = subscribe(stranger, query, { u: [alice.id] });
        await expect(refused.waitFor(() => false)).rejects.toThrow(/FORBIDDEN/);
        const allowed = subscribe(partner, query, { u: [alice.id] });
        await liveOn('open', 1);
        await aliceToggles();
        await allowed.waitFor((results) => results.length > 0);
        expect(allowed.results[0]?.data).toEqual({ presenceChanged: { status: aliceStatus } });
      } finally {
        await Promise.all([stranger.dispose(), partner.dispose()]);
      }
    });
  });
});
