import { GraphQLError } from 'graphql';
import { HashingQueue } from '../src/security/HashingQueue';
import { PasswordHasher } from '../src/security/PasswordHasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher({ N: 2 ** 12 });

  it('verifies the right password and refuses others', async () => {
    const hash = await hasher.hash('correct horse');
    expect(hash).toMatch(/^scrypt\$4096\$8\$1\$/);
    expect(await hasher.verify('correct horse', hash)).toBe(true);
    expect(await hasher.verify('correct horsf', hash)).toBe(false);
    expect(await hasher.verify('', hash)).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    expect(await hasher.hash('same')).not.toBe(await hasher.hash('same'));
  });

  it('treats composed and decomposed Unicode as the same password', async () => {
    const hash = await hasher.hash('caf\u00e9-password');
    expect(await hasher.verify('cafe\u0301-password', hash)).toBe(true);
  });

  it('verifies hashes made with other parameters (they are stored in the hash) and flags them for rehashing', async () => {
    const old = await new PasswordHasher({ N: 2 ** 10, r: 4 }).hash('legacy');
    expect(await hasher.verify('legacy', old)).toBe(true);
    expect(hasher.needsRehash(old)).toBe(true);
    expect(hasher.needsRehash(await hasher.hash('legacy'))).toBe(false);
  });

  it('never matches an unreadable or hostile stored hash (and does not try huge parameters)', async () => {
    const good = await hasher.hash('pw');
    const [, , r, p, salt, key] = good.split('$');
    for (const bad of [
      '',
      'plain-text',
      'bcrypt$10$abc',
      `scrypt$1073741824$${r}$${p}$${salt}$${key}`,
      `scrypt$4095$${r}$${p}$${salt}$${key}`,
      `scrypt$4096$${r}$${p}$$${key}`,
    ]) {
      expect({ bad, ok: await hasher.verify('pw', bad) }).toEqual({ bad, ok: false });
    }
  });

  it('verifyOrDummy: false for an unknown user (null hash), and the real answer otherwise', async () => {
    const hash = await hasher.hash('pw-known');
    expect(await hasher.verifyOrDummy('pw-known', hash)).toBe(true);
    expect(await hasher.verifyOrDummy('pw-known', null)).toBe(false);
  });

  it('computes at most `concurrency` hashes at once, queues a bounded number, and refuses the rest at once', async () => {
    const bounded = new PasswordHasher({ N: 2 ** 12 }, new HashingQueue({ concurrency: 1, queue: 1 }));
    const hash = await bounded.hash('pw');
    // The dummy hash (for unknown users) is made once, in the background: have it ready, so that every call below
    // reaches the queue before the first derivation ends, however busy the machine is.
    expect(await bounded.verifyOrDummy('pw', null)).toBe(false);
    const outcomes = await Promise.all(
      [
        bounded.verify('pw', hash), // runs
        bounded.verify('nope', hash), // waits
        bounded.verifyOrDummy('pw', null), // refused: unknown users go through the same queue
        bounded.hash('pw'), // refused
      ].map((p) =>
        p.then(
          (value) => ({ value }),
          (err: unknown) => (err instanceof GraphQLError ? err.extensions : { unexpected: String(err) }),
        ),
      ),
    );
    expect(outcomes.slice(0, 2)).toEqual([{ value: true }, { value: false }]);
    expect(outcomes).toHaveLength(4);
    for (const refused of outcomes.slice(2)) {
      expect(refused).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfterMs: expect.any(Number) });
    }
    // and it serves again once the work ahead is done
    expect(await bounded.verify('pw', hash)).toBe(true);
  });

  it('refuses parameters scrypt cannot use', () => {
    expect(() => new PasswordHasher({ N: 1000 })).toThrow(RangeError);
    expect(() => new PasswordHasher({ r: 0 })).toThrow(RangeError);
  });
});
