/**
 * What the WebSocket server keeps per connection for its whole life, kept small: token expiry with one timer per
 * second of expiries (TokenExpiry), and each user's connections for revocations (SessionSockets). The end-to-end
 * behaviour (4401 on expiry, 4403 on revocation) is in test/e2e/gateway.test.ts and test/security/sessions.test.ts.
 */
import type { RevocationList, TokenSession } from '../src/auth/RevocationList';
import { SessionSockets } from '../src/ws/SessionSockets';
import { TokenExpiry } from '../src/ws/TokenExpiry';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

describe('TokenExpiry', () => {
  /** A TokenExpiry whose ended connections are listed in `ended`. */
  function recording() {
    const ended: string[] = [];
    return { ended, expiry: new TokenExpiry<string>((c) => ended.push(c)) };
  }

  it('ends each connection once its token expired, never before, with one timer per second of expiries', () => {
    const { ended, expiry } = recording();
    expiry.watch('a', 1_005_200);
    expiry.watch('b', 1_005_900);
    expiry.watch('c', 1_007_000);
    expect(expiry.timers).toBe(2);
    jest.advanceTimersByTime(5_199);
    expect(ended).toEqual([]);
    jest.advanceTimersByTime(801); // 1,006,000: the end of the second a and b expire in
    expect(ended.sort()).toEqual(['a', 'b']);
    jest.advanceTimersByTime(999);
    expect(ended).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(ended).toContain('c');
    expect(expiry.timers).toBe(0);
  });

  it('forgets a closed connection, and drops the timer with the last one of its second', () => {
    const { ended, expiry } = recording();
    expiry.watch('a', 1_002_000);
    expiry.watch('b', 1_002_000);
    expiry.forget('a', 1_002_000);
    expect(expiry.timers).toBe(1);
    expiry.forget('b', 1_002_000);
    expect(expiry.timers).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(ended).toEqual([]);
  });

  it('waits for an expiry further away than one timer can, in several steps', () => {
    const { ended, expiry } = recording();
    const in40Days = 1_000_000 + 40 * 86_400_000;
    expiry.watch('a', in40Days);
    jest.advanceTimersByTime(2 ** 31); // about 24.9 days: woken early, waits again
    expect(ended).toEqual([]);
    jest.advanceTimersByTime(in40Days - Date.now());
    expect(ended).toEqual(['a']);
  });
});

describe('SessionSockets', () => {
  /** A revocation list whose revoked tokens the test names. */
  function revocationsOf(revoked: Set<string>) {
    let listener: (r: { userId: string }) => void = () => undefined;
    const list = {
      onRevoked: (l: typeof listener) => (listener = l),
      isRevoked: (t: TokenSession) => revoked.has('sessionId' in t ? t.sessionId : t.tokenId),
    };
    return { list: list as unknown as RevocationList, revoke: (userId: string) => listener({ userId }) };
  }

  it('closes exactly the revoked connections of a user, and forgets closed ones', () => {
    const revoked = new Set<string>();
    const { list, revoke } = revocationsOf(revoked);
    const closed: string[] = [];
    const sockets = new SessionSockets<string>(list, (socket) => closed.push(socket));
    const one = sockets.track({ userId: '1', sessionId: 's1' }, 'u1-phone');
    sockets.track({ userId: '1', sessionId: 's2' }, 'u1-laptop');
    sockets.track({ userId: '1', tokenId: 't1' }, 'u1-bot');
    sockets.track({ userId: '2', sessionId: 's1' }, 'u2');
    expect(sockets.connectionsOf('1')).toBe(3);
    revoked.add('s1');
    revoke('1');
    expect(closed).toEqual(['u1-phone']);
    sockets.forget(one);
    expect(sockets.connectionsOf('1')).toBe(2);
    revoked.add('t1');
    revoke('1');
    expect(closed).toEqual(['u1-phone', 'u1-bot']);
  });

  it('keeps a user with one connection without a set, and forgets the user with the last connection', () => {
    const { list } = revocationsOf(new Set());
    const sockets = new SessionSockets<string>(list, () => undefined);
    const a = sockets.track({ userId: '1', sessionId: 's1' }, 'a');
    const b = sockets.track({ userId: '1', sessionId: 's1' }, 'b');
    sockets.forget(a);
    sockets.forget(a); // twice: no effect
    expect(sockets.connectionsOf('1')).toBe(1);
    sockets.forget(b);
    expect(sockets.connectionsOf('1')).toBe(0);
    const c = sockets.track({ userId: '1', sessionId: 's1' }, 'c');
    expect(sockets.connectionsOf('1')).toBe(1);
    sockets.forget(c);
    expect(sockets.connectionsOf('1')).toBe(0);
  });
});
