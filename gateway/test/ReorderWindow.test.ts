/** The reorder window on its own, with Jest's fake clock: what it lets through, holds, and gives up on. */
import { ReorderWindow } from '../src/subscriptions/ReorderWindow';

function windowOf(windowMs = 100, maxHeld = 10) {
  const out: unknown[] = [];
  let giveUps = 0;
  const w = new ReorderWindow({ windowMs, maxHeld, emit: (raw) => out.push(raw), onGiveUp: () => giveUps++ });
  const push = (...seqs: number[]) => seqs.forEach((seq) => w.push({ seq }, seq));
  const seqs = () => out.map((raw) => (raw as { seq: number }).seq);
  return { w, push, seqs, giveUps: () => giveUps };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('ReorderWindow', () => {
  it('passes an in-order stream straight through, starting wherever the first event is', () => {
    const t = windowOf();
    t.push(41, 42, 43);
    expect(t.seqs()).toEqual([41, 42, 43]);
    expect(t.w.size).toBe(0);
  });

  it('holds an event until its predecessor arrives, then lets both go in order', () => {
    const t = windowOf();
    t.push(1, 3, 5, 4);
    expect(t.seqs()).toEqual([1]);
    expect(t.w.size).toBe(3);
    t.push(2);
    expect(t.seqs()).toEqual([1, 2, 3, 4, 5]);
    expect(t.w.size).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(t.giveUps()).toBe(0);
  });

  it('gives up after the window: what it holds goes in seq order, and the late one still passes', () => {
    const t = windowOf(100);
    t.push(1, 4, 3);
    jest.advanceTimersByTime(99);
    expect(t.seqs()).toEqual([1]);
    jest.advanceTimersByTime(1);
    expect(t.seqs()).toEqual([1, 3, 4]);
    expect(t.giveUps()).toBe(1);
    t.push(2, 5);
    expect(t.seqs()).toEqual([1, 3, 4, 2, 5]);
  });

  it('lets everything go at once when it holds more than its limit', () => {
    const t = windowOf(100, 3);
    t.push(1, 3, 4, 5);
    expect(t.seqs()).toEqual([1]);
    t.push(6);
    expect(t.seqs()).toEqual([1, 3, 4, 5, 6]);
    expect(t.giveUps()).toBe(1);
  });

  it('keeps one copy of an event published twice while held; passes duplicates of delivered ones', () => {
    const t = windowOf();
    t.push(1, 3, 3, 1);
    expect(t.seqs()).toEqual([1, 1]);
    t.push(2);
    expect(t.seqs()).toEqual([1, 1, 2, 3]);
  });

  it('passes events without a seq straight through', () => {
    const out: unknown[] = [];
    const w = new ReorderWindow({ windowMs: 100, maxHeld: 10, emit: (raw) => out.push(raw) });
    w.push({ seq: 1 }, 1);
    w.push({ seq: 3 }, 3);
    w.push({ typing: true }, undefined);
    expect(out).toEqual([{ seq: 1 }, { typing: true }]);
  });

  it('drops what it holds and its timer when disposed', () => {
    const t = windowOf();
    t.push(1, 3);
    t.w.dispose();
    jest.advanceTimersByTime(1000);
    expect(t.seqs()).toEqual([1]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
