import { SignJWT } from 'jose';
import { loadConfig } from '@chatgraph/config';
import { bearerToken, TokenError, TokenService, tokenServiceFromConfig, type TokenRejection } from '../src';

const SECRET = 'a-current-secret-of-at-least-32-chars!!';
const OLD_SECRET = 'the-previous-secret-also-32-chars-long!';
const T0 = Date.parse('2026-03-01T12:00:00Z');

function service(overrides: Partial<ConstructorParameters<typeof TokenService>[0]> = {}, now = () => T0): TokenService {
  return new TokenService({
    current: { id: 'k2', secret: SECRET },
    issuer: 'chatgraph',
    audience: 'chatgraph-api',
    ttlSeconds: 3600,
    now,
    ...overrides,
  });
}

async function refusal(promise: Promise<unknown>): Promise<TokenRejection> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TokenError) return err.reason;
    throw err;
  }
  throw new Error('the token was accepted');
}

/** Re-encodes a token's payload without re-signing it. */
function withPayload(token: string, change: (p: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  change(claims);
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

describe('TokenService', () => {
  it('signs a token that verifies to the same user and expiry, with kid, iss and aud', async () => {
    const tokens = service();
    const { token, expiresAt } = await tokens.sign('1234567890123', '987654321');
    expect(expiresAt.toISOString()).toBe('2026-03-01T13:00:00.000Z');
    expect(await tokens.verify(token)).toEqual({ userId: '1234567890123', sessionId: '987654321', expiresAt });
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
    expect(header).toEqual({ alg: 'HS256', kid: 'k2', typ: 'JWT' });
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ sub: '1234567890123', sid: '987654321', iss: 'chatgraph', aud: 'chatgraph-api' });
  });

  it('refuses an expired token as expired', async () => {
    let now = T0;
    const tokens = service({}, () => now);
    const { token } = await tokens.sign('42', '900');
    now = T0 + 3599_000;
    await expect(tokens.verify(token)).resolves.toMatchObject({ userId: '42' });
    now = T0 + 3601_000;
    expect(await refusal(tokens.verify(token))).toBe('expired');
  });

  it('refuses a tampered token (payload or signature changed) as an invalid signature', async () => {
    const tokens = service();
    const { token } = await tokens.sign('42', '900');
    expect(await refusal(tokens.verify(withPayload(token, (p) => (p.sub = '43'))))).toBe('invalid_signature');
    expect(await refusal(tokens.verify(withPayload(token, (p) => (p.sid = '901'))))).toBe('invalid_signature');
    expect(await refusal(tokens.verify(withPayload(token, (p) => (p.exp = (p.exp as number) + 86400))))).toBe(
      'invalid_signature',
    );
    const [h, p, s] = token.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    expect(await refusal(tokens.verify(flipped))).toBe('invalid_signature');
  });

  it('refuses a token signed with another secret under the same key id', async () => {
    const forger = service({ current: { id: 'k2', secret: 'an-attacker-secret-with-32-characters!' } });
    const { token } = await forger.sign('42', '900');
    expect(await refusal(service().verify(token))).toBe('invalid_signature');
  });

  it('refuses a token whose key id is unknown, or that has no key id', async () => {
    const { token } = await service({ current: { id: 'k9', secret: SECRET } }).sign('42', '900');
    expect(await refusal(service().verify(token))).toBe('unknown_key');
    const noKid = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('42')
      .setIssuer('chatgraph')
      .setAudience('chatgraph-api')
      .setExpirationTime(Math.floor(T0 / 1000) + 60)
      .sign(new TextEncoder().encode(SECRET));
    expect(await refusal(service().verify(noKid))).toBe('unknown_key');
  });

  it('refuses a token for another audience or from another issuer as invalid claims', async () => {
    const otherAudience = await service({ audience: 'some-other-api' }).sign('42', '900');
    expect(await refusal(service().verify(otherAudience.token))).toBe('invalid_claims');
    const otherIssuer = await service({ issuer: 'evil-issuer' }).sign('42', '900');
    expect(await refusal(service().verify(otherIssuer.token))).toBe('invalid_claims');
  });

  it('refuses a token whose subject is not a user id', async () => {
    const { token } = await service().sign('admin', '900');
    expect(await refusal(service().verify(token))).toBe('invalid_claims');
  });

  it('refuses a token without a session id, or with one that is not an id (it could never be revoked)', async () => {
    const withoutSid = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'k2' })
      .setSubject('42')
      .setIssuer('chatgraph')
      .setAudience('chatgraph-api')
      .setExpirationTime(Math.floor(T0 / 1000) + 60)
      .sign(new TextEncoder().encode(SECRET));
    expect(await refusal(service().verify(withoutSid))).toBe('invalid_claims');
    const { token } = await service().sign('42', 'everything');
    expect(await refusal(service().verify(token))).toBe('invalid_claims');
  });

  it('refuses an unsigned ("alg": "none") token and garbage', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', kid: 'k2' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ sub: '42', iss: 'chatgraph', aud: 'chatgraph-api', exp: T0 / 1000 + 60 }),
    ).toString('base64url');
    expect(await refusal(service().verify(`${header}.${payload}.`))).toBe('malformed');
    // Same secret, but an algorithm the service does not accept.
    const hs512 = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS512', kid: 'k2' })
      .setSubject('42')
      .setIssuer('chatgraph')
      .setAudience('chatgraph-api')
      .setExpirationTime(Math.floor(T0 / 1000) + 60)
      .sign(new TextEncoder().encode(SECRET));
    expect(await refusal(service().verify(hs512))).toBe('malformed');
    expect(await refusal(service().verify('not.a.jwt'))).toBe('malformed');
    expect(await refusal(service().verify('garbage'))).toBe('malformed');
    expect(await refusal(service().verify(''))).toBe('missing');
    expect(await refusal(service().verify(undefined))).toBe('missing');
  });

  it('accepts a token of the previous key during its grace period and refuses it after', async () => {
    let now = T0;
    const graceEnds = new Date(T0 + 10 * 60_000);
    const before = service({ current: { id: 'k1', secret: OLD_SECRET } }, () => now);
    const { token } = await before.sign('42', '900');
    const rotated = service({ previous: [{ id: 'k1', secret: OLD_SECRET, notAfter: graceEnds }] }, () => now);

    now = T0 + 5 * 60_000;
    await expect(rotated.verify(token)).resolves.toMatchObject({ userId: '42' });
    // New tokens are signed with the current key.
    const fresh = await rotated.sign('42', '900');
    expect(JSON.parse(Buffer.from(fresh.token.split('.')[0]!, 'base64url').toString('utf8')).kid).toBe('k2');

    now = graceEnds.getTime();
    expect(await refusal(rotated.verify(token))).toBe('unknown_key');
    now = T0 + 30 * 60_000;
    expect(await refusal(rotated.verify(token))).toBe('unknown_key');
    await expect(rotated.verify(fresh.token)).resolves.toMatchObject({ userId: '42' });
  });

  it('remembers a verified token only as the same string, until it expires (and with the memory off, the same answers)', async () => {
    for (const verifiedCacheMax of [10_000, 0]) {
      let now = T0;
      const tokens = service({ verifiedCacheMax }, () => now);
      const { token } = await tokens.sign('42', '900');
      await expect(tokens.verify(token)).resolves.toMatchObject({ userId: '42', sessionId: '900' });
      // Verified once: a copy with another user, session or expiry is a different string, checked in full.
      expect(await refusal(tokens.verify(withPayload(token, (p) => (p.sub = '43'))))).toBe('invalid_signature');
      expect(await refusal(tokens.verify(`${token.slice(0, -2)}xx`))).toBe('invalid_signature');
      await expect(tokens.verify(token)).resolves.toMatchObject({ userId: '42' });
      now = T0 + 3600_000;
      expect(await refusal(tokens.verify(token))).toBe('expired');
      // A refusal is not remembered either: the next call says why again.
      expect(await refusal(tokens.verify(token))).toBe('expired');
    }
  });

  it('keeps at most verifiedCacheMax tokens remembered, each still accepted when forgotten', async () => {
    const tokens = service({ verifiedCacheMax: 2 });
    const signed = await Promise.all(['1', '2', '3', '4'].map((u) => tokens.sign(u, '900')));
    // Twice round: each verify evicts the least recently used, so the second round finds none of them remembered.
    for (const { token } of [...signed, ...signed]) {
      const { userId } = await tokens.verify(token);
      expect(signed[Number(userId) - 1]!.token).toBe(token);
    }
  });

  it('turns a refusal into UNAUTHENTICATED with the reason and an actionable message', () => {
    const error = new TokenError('expired').toGraphQLError();
    expect(error.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'expired' });
    expect(error.message).toMatch(/expired; sign in again/);
  });
});

describe('tokenServiceFromConfig', () => {
  it('uses the configured key, and the previous key until JWT_PREVIOUS_KEY_UNTIL', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: SECRET,
      JWT_KEY_ID: 'k2',
      JWT_PREVIOUS_SECRET: OLD_SECRET,
      JWT_PREVIOUS_KEY_ID: 'k1',
      JWT_PREVIOUS_KEY_UNTIL: '2026-03-01T12:10:00Z',
    });
    let now = T0;
    const tokens = tokenServiceFromConfig(config, () => now);
    const old = await service({ current: { id: 'k1', secret: OLD_SECRET } }).sign('7', '900');
    await expect(tokens.verify(old.token)).resolves.toMatchObject({ userId: '7' });
    now = Date.parse('2026-03-01T12:10:01Z');
    expect(await refusal(tokens.verify(old.token))).toBe('unknown_key');
    const { token } = await tokens.sign('7', '900');
    await expect(service({}, () => now).verify(token)).resolves.toMatchObject({ userId: '7' });
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer   abc', 'abc'],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
  ])('%j -> %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
