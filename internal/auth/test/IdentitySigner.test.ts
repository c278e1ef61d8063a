import { IdentityError, IdentitySigner, identitySignerFromConfig, type IdentityRejection } from '../src';
import { loadConfig } from '@chatgraph/config';
import { createHmac } from 'node:crypto';

const SECRET = 'the-shared-gateway-identity-secret-123';
const T0 = Date.parse('2026-03-01T12:00:00Z');

function refusal(verify: () => unknown): IdentityRejection {
  try {
    verify();
  } catch (err) {
    if (err instanceof IdentityError) return err.reason;
    throw err;
  }
  throw new Error('the header was accepted');
}

/** A header with this exact payload, correctly signed (what only a holder of the secret can make). */
function signedRaw(payload: string, secret = SECRET): string {
  const body = Buffer.from(payload).toString('base64url');
  return `v1.${body}.${createHmac('sha256', secret).update(`v1.${body}`).digest('base64url')}`;
}

describe('IdentitySigner', () => {
  const signer = new IdentitySigner({ secret: SECRET, now: () => T0 });

  it('round-trips a user id and an anonymous identity', () => {
    expect(signer.verify(signer.sign({ userId: '123' }))).toEqual({ userId: '123' });
    expect(signer.verify(signer.sign({ userId: null }))).toEqual({ userId: null });
  });

  it('refuses a missing header', () => {
    expect(refusal(() => signer.verify(undefined))).toBe('missing');
    expect(refusal(() => signer.verify(''))).toBe('missing');
  });

  it('refuses a header forged with another secret', () => {
    const forged = new IdentitySigner({ secret: 'not-the-secret-but-just-as-long-1234', now: () => T0 }).sign({
      userId: '1',
    });
    expect(refusal(() => signer.verify(forged))).toBe('bad_signature');
  });

  it('refuses a header whose identity was changed after signing', () => {
    const [v, , mac] = signer.sign({ userId: '1' }).split('.');
    const body = Buffer.from(JSON.stringify({ sub: '2', iat: T0 })).toString('base64url');
    expect(refusal(() => signer.verify(`${v}.${body}.${mac}`))).toBe('bad_signature');
  });

  it('refuses an unsigned or malformed header', () => {
    const body = Buffer.from(JSON.stringify({ sub: '1', iat: T0 })).toString('base64url');
    expect(refusal(() => signer.verify(`v1.${body}.`))).toBe('bad_signature');
    expect(refusal(() => signer.verify(`v1.${body}`))).toBe('malformed');
    expect(refusal(() => signer.verify('1'))).toBe('malformed');
    expect(refusal(() => signer.verify(`v2.${body}.abc`))).toBe('malformed');
  });

  it('refuses a signed header whose payload is not an identity', () => {
    for (const payload of ['not json', 'null', '[]', '{"sub":1,"iat":0}', `{"sub":"1"}`, `{"sub":"1","iat":"${T0}"}`]) {
      expect({ payload, reason: refusal(() => signer.verify(signedRaw(payload))) }).toEqual({
        payload,
        reason: 'malformed',
      });
    }
  });

  it('refuses a stale header (replayed later) and one from the future, beyond the allowed skew', () => {
    const at = (ms: number) => new IdentitySigner({ secret: SECRET, now: () => ms }).sign({ userId: '1' });
    expect(signer.verify(at(T0 - 299_000))).toEqual({ userId: '1' });
    expect(refusal(() => signer.verify(at(T0 - 301_000)))).toBe('stale');
    expect(refusal(() => signer.verify(at(T0 + 301_000)))).toBe('stale');
    const strict = new IdentitySigner({ secret: SECRET, now: () => T0, maxSkewMs: 1000 });
    expect(refusal(() => strict.verify(at(T0 - 2000)))).toBe('stale');
  });

  it('turns a refusal into UNAUTHENTICATED naming the reason', () => {
    expect(new IdentityError('missing').toGraphQLError().extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'identity_missing',
    });
    expect(new IdentityError('stale').toGraphQLError().extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'identity_stale',
    });
  });

  it('identitySignerFromConfig uses GATEWAY_IDENTITY_SECRET', () => {
    const fromConfig = identitySignerFromConfig(loadConfig({ NODE_ENV: 'test', GATEWAY_IDENTITY_SECRET: SECRET }));
    expect(fromConfig.verify(new IdentitySigner({ secret: SECRET }).sign({ userId: '5' }))).toEqual({ userId: '5' });
  });
});
