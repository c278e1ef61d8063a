import { bodyDigest, IDENTITY_HEADER, IdentitySigner } from '@chatgraph/auth';
import { graphqlRequest } from '@chatgraph/testing';
import { SIGN_UP, startUsers, type AuthData, type StartedUsers } from './startUsers';

const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id username displayName } } }';

describe('users subgraph: only requests signed by the gateway are answered', () => {
  let users: StartedUsers;
  let userId: string;
  beforeAll(async () => {
    users = await startUsers();
    const res = await users.request<{ signUp: AuthData }>(SIGN_UP, {
      username: 'target',
      password: 'secret-pass',
      displayName: 'Target',
    });
    userId = res.data!.signUp.user.id;
  });
  afterAll(() => users.close());

  /** Each forger makes the headers of a request from the exact body it goes with. */
  const forgers: Array<[string, (body: string) => Record<string, string>, string]> = [
    ['no identity header', () => ({}), 'identity_missing'],
    [
      'a header signed with another secret',
      (body) => ({ [IDENTITY_HEADER]: new IdentitySigner({ secret: 'x'.repeat(40) }).sign({ userId }, body) }),
      'identity_bad_signature',
    ],
    [
      'a header whose user id was swapped after signing',
      (body) => {
        const [v, , mac] = new IdentitySigner({ secret: users.config.GATEWAY_IDENTITY_SECRET })
          .sign({ userId: '1' }, body)
          .split('.');
        const payload = { sub: userId, iat: Date.now(), bd: bodyDigest(body) };
        return { [IDENTITY_HEADER]: `${v}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}` };
      },
      'identity_bad_signature',
    ],
    [
      'a stale header (signed 10 minutes ago)',
      (body) => ({
        [IDENTITY_HEADER]: new IdentitySigner({
          secret: users.config.GATEWAY_IDENTITY_SECRET,
          now: () => Date.now() - 600_000,
        }).sign({ userId }, body),
      }),
      'identity_stale',
    ],
    [
      'a fresh header captured from another request of the user (signed for another body)',
      () => ({
        [IDENTITY_HEADER]: new IdentitySigner({ secret: users.config.GATEWAY_IDENTITY_SECRET }).sign(
          { userId },
          JSON.stringify({ query: '{ me { id } }', variables: {} }),
        ),
      }),
      'identity_body_mismatch',
    ],
    ['a garbage header', () => ({ [IDENTITY_HEADER]: 'trust-me' }), 'identity_malformed'],
    [
      'a user id header as a plain value',
      () => ({ [IDENTITY_HEADER]: userId, 'x-user-id': userId }),
      'identity_malformed',
    ],
  ];

  describe.each(forgers)('%s', (_name, headers, reason) => {
    it.each([
      ['me', '{ me { id username } }', {}],
      ['_entities', ENTITIES, { r: [{ __typename: 'User', id: userId }] }],
      ['updateProfile', 'mutation { updateProfile(displayName: "Hacked") { id } }', {}],
      ['_service', '{ _service { sdl } }', {}],
    ])('%s is refused with 401 UNAUTHENTICATED and no data', async (_op, query, variables) => {
      const res = await graphqlRequest(users.url, query, { variables, signedHeaders: headers });
      expect(res.status).toBe(401);
      expect(res.data ?? null).toBeNull();
      expect(res.errors).toHaveLength(1);
      expect(res.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason });
    });
  });

  it('nothing was changed by the refused requests', async () => {
    const res = await users.request(ENTITIES, { r: [{ __typename: 'User', id: userId }] });
    expect(res.data).toEqual({ _entities: [{ id: userId, username: 'target', displayName: 'Target' }] });
  });

  it('/health and /ready answer without a signature', async () => {
    const base = users.url.replace(/\/graphql$/, '');
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', service: 'users' });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', service: 'users' });
  });
});
