/**
 * The API-token column of the authorization matrix: every operation of the API tried again by the stranger, the
 * member and the owner, each acting through an API token instead of a session. With a token holding exactly the
 * scope the gateway's table names for the operation (any scope for `ANY`), the outcome is the session's; with a
 * token holding every other scope, it is FORBIDDEN; operations for sessions only are FORBIDDEN to any token.
 */
import { TOKEN_SCOPES, type TokenScope } from '@chatgraph/auth';
import { gatewayRequest, LOAD_RATE_LIMITS } from '@chatgraph/testing';
import { ROOT_FIELD_SCOPES } from '../../gateway/src/scopes/scopeTable';
import { MATRIX, type Role, type World } from './support/authorizationCases';
import { startMatrixWorld, type MatrixWorld } from './support/matrixWorld';

type TokenRole = Exclude<Role, 'anonymous'>;
const TOKEN_ROLES: readonly TokenRole[] = ['stranger', 'member', 'admin', 'owner'];
/** One value per role. */
const byRole = (value: (role: TokenRole) => string) =>
  Object.fromEntries(TOKEN_ROLES.map((r) => [r, value(r)])) as Record<TokenRole, string>;

/** Makes an API token of the user with `accessToken`, with `scopes`. */
async function tokenOf(world: World, accessToken: string, scopes: readonly TokenScope[]): Promise<string> {
  const res = await gatewayRequest<{ createApiToken: { token: string } }>(
    world.url,
    accessToken,
    'mutation($s: [TokenScope!]!) { createApiToken(name: "column", scopes: $s) { token } }',
    { s: scopes },
  );
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.createApiToken.token;
}

/** The world as seen through API tokens: each role's requests and sockets carry `tokens[role]`. */
function throughTokens(base: World, tokens: Record<TokenRole, string>, scopes: readonly TokenScope[]): World {
  const tokenOfRole = (role: Role) => (role === 'anonymous' ? null : tokens[role]);
  return {
    ...base,
    tokenOf: tokenOfRole,
    request: (role, query, variables = {}) => gatewayRequest(base.url, tokenOfRole(role), query, variables),
    credentialFor: (accessToken) => tokenOf(base, accessToken, scopes),
  };
}

describe('authorization matrix: the API-token column', () => {
  let running: MatrixWorld;
  /** Per role: a token per single scope, and a token per "every scope but one". */
  const only = {} as Record<TokenRole, Record<TokenScope, string>>;
  const allBut = {} as Record<TokenRole, Record<TokenScope, string>>;

  beforeAll(async () => {
    // Fixtures make many groups (one per attempt of a changing case): measured here are scopes, not limits.
    running = await startMatrixWorld({ ...LOAD_RATE_LIMITS });
    const { world } = running;
    for (const role of TOKEN_ROLES) {
      only[role] = {} as Record<TokenScope, string>;
      allBut[role] = {} as Record<TokenScope, string>;
      for (const scope of TOKEN_SCOPES) {
        only[role][scope] = await tokenOf(world, world.users[role].token, [scope]);
        allBut[role][scope] = await tokenOf(
          world,
          world.users[role].token,
          TOKEN_SCOPES.filter((s) => s !== scope),
        );
      }
    }
  }, 180_000);

  afterAll(() => running?.close());

  it.each(Object.keys(MATRIX).sort())('%s', async (name) => {
    const row = MATRIX[name]!;
    const rule = ROOT_FIELD_SCOPES[name];
    const got: Record<string, string> = {};
    const expected: Record<string, string> = {};
    if (rule === undefined) {
      const world = throughTokens(
        running.world,
        byRole((r) => only[r].CHATS_READ),
        TOKEN_SCOPES,
      );
      for (const role of TOKEN_ROLES) {
        got[role] = await row.attempt(world, role);
        expected[role] = 'FORBIDDEN';
      }
    } else {
      const scope: TokenScope = rule === 'ANY' ? 'CHATS_READ' : rule;
      const exact = throughTokens(
        running.world,
        byRole((r) => only[r][scope]),
        [scope],
      );
      for (const role of TOKEN_ROLES) {
        got[`${role} with ${scope}`] = await row.attempt(exact, role);
        expected[`${role} with ${scope}`] = row.expect[role];
      }
      if (rule !== 'ANY') {
        const without = throughTokens(
          running.world,
          byRole((r) => allBut[r][scope]),
          TOKEN_SCOPES.filter((s) => s !== scope),
        );
        got[`member without ${scope}`] = await row.attempt(without, 'member');
        expected[`member without ${scope}`] = 'FORBIDDEN';
      }
    }
    expect(got).toEqual(expected);
  });
});
