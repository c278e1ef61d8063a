import { HeartbeatLoop } from '../src/HeartbeatLoop.ts';
import { TypingThrottle } from '../src/TypingThrottle.ts';

describe('TypingThrottle', () => {
  let now = 0;
  let sent: boolean[] = [];
  const throttle = (idleMs = 60_000) =>
    new TypingThrottle(async (typing) => void sent.push(typing), {
      intervalMs: 3000,
      minGapMs: 1200,
      idleMs,
      now: () => now,
    });

  beforeEach(() => {
    now = 1_000_000;
    sent = [];
  });

  it('sends "typing" once per interval however often it is called (every keystroke)', async () => {
    const t = throttle();
    const results: boolean[] = [];
    for (let i = 0; i < 100; i++) {
      results.push(await t.set(true));
      now += 100; // 10 keystrokes per second for 10 s
    }
    expect(sent).toEqual([true, true, true, true]);
    expect(results.filter(Boolean)).toHaveLength(4);
    t.dispose();
  });

  it('sends "stopped" when typing stops, only after "typing" was sent', async () => {
    const t = throttle();
    expect(await t.set(false)).toBe(false);
    expect(await t.set(true)).toBe(true);
    now += 2000;
    expect(await t.set(false)).toBe(true);
    expect(await t.set(false)).toBe(false);
    now += 2000;
    expect(await t.set(true)).toBe(true);
    expect(sent).toEqual([true, false, true]);
    t.dispose();
  });

  it('sends a change that comes within the minimum gap when the gap ends, latest state only', async () => {
    let clock = Date.now();
    const seen: boolean[] = [];
    const t = new TypingThrottle(async (typing) => void seen.push(typing), {
      minGapMs: 30,
      idleMs: 60_000,
      now: () => clock,
    });
    await t.set(true);
    clock += 5;
    expect(await t.set(false)).toBe(false); // deferred
    expect(await t.set(true)).toBe(false); // back to what was sent: nothing to send
    expect(await t.set(false)).toBe(false); // deferred again
    clock += 100;
    await new Promise((r) => setTimeout(r, 60));
    expect(seen).toEqual([true, false]);
    t.dispose();
  });

  it('stays within the server limit of 10 calls per 10 s', async () => {
    const t = throttle();
    const times: number[] = [];
    for (let i = 0; i < 300; i++) {
      const before = sent.length;
      await t.set(i % 7 !== 6); // typing, with a pause every 7 keystrokes
      if (sent.length > before) times.push(now);
      now += 150;
    }
    for (const start of times)
      expect(times.filter((x) => x >= start && x < start + 10_000).length).toBeLessThanOrEqual(10);
    t.dispose();
  });

  it('sends "stopped" by itself after the idle time', async () => {
    const t = throttle(20);
    await t.set(true);
    now += 5000;
    await new Promise((r) => setTimeout(r, 60));
    expect(sent).toEqual([true, false]);
    t.dispose();
  });

  it('passes the request error to the caller', async () => {
    const t = new TypingThrottle(async () => {
      throw new Error('RATE_LIMITED');
    });
    await expect(t.set(true)).rejects.toThrow('RATE_LIMITED');
    t.dispose();
  });
});

describe('HeartbeatLoop', () => {
  it('beats at once, then every interval, sends a new status at once, and nothing after stop()', async () => {
    const beats: string[] = [];
    const loop = new HeartbeatLoop(async (status) => void beats.push(status), { intervalMs: 15 });
    expect(beats).toEqual(['ONLINE']);
    await new Promise((r) => setTimeout(r, 40));
    expect(beats.length).toBeGreaterThanOrEqual(2);
    loop.setStatus('AWAY');
    expect(beats[beats.length - 1]).toBe('AWAY');
    await loop.stop();
    const count = beats.length;
    await new Promise((r) => setTimeout(r, 40));
    expect(beats.length).toBe(count);
    expect(loop.running).toBe(false);
  });

  it('keeps beating after a failed heartbeat and reports the failure', async () => {
    const errors: Error[] = [];
    let calls = 0;
    const loop = new HeartbeatLoop(
      async () => {
        calls++;
        if (calls === 1) throw new Error('gateway down');
      },
      { intervalMs: 10, onError: (e) => errors.push(e) },
    );
    await new Promise((r) => setTimeout(r, 35));
    await loop.stop();
    expect(errors.map((e) => e.message)).toEqual(['gateway down']);
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});
