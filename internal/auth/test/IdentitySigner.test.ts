import { IdentityError, IdentitySigner, bodyDigest, identitySignerFromConfig, type IdentityRejection } from '../src';
import { loadConfig } from '@chatgraph/config';
import { createHmac } from 'node:crypto';

const SECRET = 'the-shared-gateway-identity-secret-123';
const T0 = Date.parse('2026-03-01T12:00:00Z');
const BODY = '{"query":"{ me { id } }"}';

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
function signedRaw(payload: string, secret = SECRET, version = 'v2'): string {
  const body = Buffer.from(payload).toString('base64url');
  return `${version}.${body}.${createHmac('sha256', secret).update(`${version}.${body}`).digest('base64url')}`;
}

describe('IdentitySigner', () => {
  const signer = new IdentitySigner({ secret: SECRET, now: () => T0 });

  it('round-trips an API token id and its scopes, and refuses scopes it does not know', () => {
    const identity = { userId: '123', apiTokenId: '456', scopes: ['CHATS_READ' as const, 'MESSAGES_WRITE' as const] };
    expect(signer.verify(signer.sign(identity, BODY), BODY)).toEqual(identity);
    const forged = signedRaw(JSON.stringify({ sub: '123', iat: T0, bd: bodyDigest(BODY), tid: '456', scp: ['ADMIN'] }));
    expect(refusal(() => signer.verify(forged, BODY))).toBe('malformed');
  });

  it('round-trips a user id, an anonymous identity and a client address', () => {
    expect(signer.verify(signer.sign({ userId: '123' }, BODY), BODY)).toEqual({ userId: '123' });
    expect(signer.verify(signer.sign({ userId: null }, BODY), BODY)).toEqual({ userId: null });
    expect(signer.verify(signer.sign({ userId: '7', clientAddress: '203.0.113.9' }, BODY), BODY)).toEqual({
      userId: '7',
      clientAddress: '203.0.113.9',
    });
  });

  it('refuses a header sent with another body than the one it was signed for', () => {
    const header = signer.sign({ userId: '1' }, BODY);
    expect(
      refusal(() => signer.verify(header, '{"query":"mutation { deleteMessage(messageId: \\"9\\") { id } }"}')),
    ).toBe('body_mismatch');
    expect(refusal(() => signer.verify(header, `${BODY} `))).toBe('body_mismatch');
    expect(refusal(() => signer.verify(header, ''))).toBe('body_mismatch');
    // bytes and the string they encode are the same body
    expect(signer.verify(header, Buffer.from(BODY))).toEqual({ userId: '1' });
  });

  it('refuses a missing header', () => {
    expect(refusal(() => signer.verify(undefined, BODY))).toBe('missing');
    expect(refusal(() => signer.verify('', BODY))).toBe('missing');
  });

  it('refuses a header forged with another secret', () => {
    const forged = new IdentitySigner({ secret: 'not-the-secret-but-just-as-long-1234', now: () => T0 }).sign(
      { userId: '1' },
      BODY,
    );
    expect(refusal(() => signer.verify(forged, BODY))).toBe('bad_signature');
  });

  it('refuses a header whose identity was changed after signing', () => {
    const [v, , mac] = signer.sign({ userId: '1' }, BODY).split('.');
    const body = Buffer.from(JSON.stringify({ sub: '2', iat: T0, bd: bodyDigest(BODY) })).toString('base64url');
    expect(refusal(() => signer.verify(`${v}.${body}.${mac}`, BODY))).toBe('bad_signature');
  });

  it('refuses an unsigned or malformed header, and the old unbound v1 format', () => {
    const body = Buffer.from(JSON.stringify({ sub: '1', iat: T0, bd: bodyDigest(BODY) })).toString('base64url');
    expect(refusal(() => signer.verify(`v2.${body}.`, BODY))).toBe('bad_signature');
    expect(refusal(() => signer.verify(`v2.${body}`, BODY))).toBe('malformed');
    expect(refusal(() => signer.verify('1', BODY))).toBe('malformed');
    expect(refusal(() => signer.verify(signedRaw(JSON.stringify({ sub: '1', iat: T0 }), SECRET, 'v1'), BODY))).toBe(
      'malformed',
    );
  });

  it('refuses a signed header whose payload is not an identity', () => {
    const bd = bodyDigest(BODY);
    for (const payload of [
      'not json',
      'null',
      '[]',
      `{"sub":1,"iat":0,"bd":"${bd}"}`,
      `{"sub":"1","bd":"${bd}"}`,
      `{"sub":"1","iat":"${T0}","bd":"${bd}"}`,
      `{"sub":"1","iat":${T0}}`,
      `{"sub":"1","iat":${T0},"bd":"${bd}","addr":5}`,
      `{"sub":"1","iat":${T0},"bd":"${bd}","addr":""}`,
    ]) {
      expect({ payload, reason: refusal(() => signer.verify(signedRaw(payload), BODY)) }).toEqual({
        payload,
        reason: 'malformed',
      });
    }
  });

  it('ignores payload fields it does not know (fields are added without a new version)', () => {
    const header = signedRaw(JSON.stringify({ sub: '1', iat: T0, bd: bodyDigest(BODY), future: { a: 1 } }));
    expect(signer.verify(header, BODY)).toEqual({ userId: '1' });
  });

  it('refuses a stale header (replayed later) and one from the future, beyond the allowed skew', () => {
    const at = (ms: number) => new IdentitySigner({ secret: SECRET, now: () => ms }).sign({ userId: '1' }, BODY);
    expect(signer.verify(at(T0 - 29_000), BODY)).toEqual({ userId: '1' });
    expect(refusal(() => signer.verify(at(T0 - 31_000), BODY))).toBe('stale');
    expect(refusal(() => signer.verify(at(T0 + 31_000), BODY))).toBe('stale');
    const strict = new IdentitySigner({ secret: SECRET, now: () => T0, maxSkewMs: 1000 });
    expect(refusal(() => strict.verify(at(T0 - 2000), BODY))).toBe('stale');
  });

  it('turns a refusal into UNAUTHENTICATED naming the reason', () => {
    expect(new IdentityError('missing').toGraphQLError().extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'identity_missing',
    });
    expect(new IdentityError('body_mismatch').toGraphQLError().extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'identity_body_mismatch',
    });
  });

  it('identitySignerFromConfig uses GATEWAY_IDENTITY_SECRET', () => {
    const fromConfig = identitySignerFromConfig(loadConfig({ NODE_ENV: 'test', GATEWAY_IDENTITY_SECRET: SECRET }));
    expect(fromConfig.verify(new IdentitySigner({ secret: SECRET }).sign({ userId: '5' }, BODY), BODY)).toEqual({
      userId: '5',
    });
  });
});
