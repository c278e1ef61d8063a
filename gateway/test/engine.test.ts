/**
 * The subscription engine's own paths, over in-process subgraphs and real Redis: caps per connection, user and
 * instance; the group backlog limit; the reorder window; access re-checks with their retry policy; the plan cache's eviction; a
 * supergraph reload while a subscribe is waiting; input errors.
 */
import { userError } from '@chatgraph/errors';
import { serializedJson } from '../src/subscriptions/PreSerialized';
import { EngineHarness, live, nextResult, refusal, testSupergraph, until } from './support/engineHarness';

const harnesses: EngineHarness[] = [];
const harness = (...args: ConstructorParameters<typeof EngineHarness>) => {
  const h = new EngineHarness(...args);
  harnesses.push(h);
  return h;
};
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

describe('subscription caps', () => {
  it('refuses a subscription over the per-connection cap, not one on another connection', async () => {
    const h = harness({ limits: { perConnection: 2, perUser: 100, perInstance: 100, queueLimit: 100 } });
    const room = h.room('a');
    const socket = {};
    live(await h.subscribe(room, '1', socket));
    live(await h.subscribe(room, '1', socket));
    expect(refusal(await h.subscribe(room, '1', socket))).toBe('LIMIT_EXCEEDED');
    live(await h.subscribe(room, '1', {}));
    expect(h.engine.subscriptionsOf(socket)).toBe(2);
  });

  it('counts a user across connections, and gives the slot back when a subscription ends', async () => {
    const h = harness({ limits: { perConnection: 100, perUser: 2, perInstance: 100, queueLimit: 100 } });
    const room = h.room('a');
    const first = live(await h.subscribe(room, '7', {}));
    live(await h.subscribe(room, '7', {}));
    expect(refusal(await h.subscribe(room, '7', {}))).toBe('LIMIT_EXCEEDED');
    expect(refusal(await h.subscribe(room, '8', {}))).toBe('subscribed');
    await first.return!();
    expect(refusal(await h.subscribe(room, '7', {}))).toBe('subscribed');
  });

  it('refuses any user once the instance is at its cap', async () => {
    const h = harness({ limits: { perConnection: 100, perUser: 100, perInstance: 3, queueLimit: 100 } });
    const room = h.room('a');
    for (const user of ['1', '2', '3']) live(await h.subscribe(room, user, {}));
    expect(refusal(await h.subscribe(room, '4', {}))).toBe('LIMIT_EXCEEDED');
    expect(h.engine.stats().activeSubscriptions).toBe(3);
  });

  it('gives the slot back when authorize refuses', async () => {
    const h = harness({ limits: { perConnection: 1, perUser: 100, perInstance: 100, queueLimit: 100 } });
    h.behaviour.canWatch = () => false;
    const socket = {};
    expect(refusal(await h.subscribe(h.room('a'), '1', socket))).toBe('FORBIDDEN');
    expect(h.engine.subscriptionsOf(socket)).toBe(0);
    expect(h.engine.stats()).toMatchObject({ activeSubscriptions: 0, groups: 0 });
  });
});

describe('groups', () => {
  it('executes each event once for identical subscriptions and gives each its copy', async () => {
    const h = harness();
    const room = h.room('g');
    const a = live(await h.subscribe(room, '1'));
    const b = live(await h.subscribe(room, '2'));
    expect(h.engine.stats().groups).toBe(1);
    const before = h.engine.stats().eventExecutions;
    await h.publish(room);
    expect(await nextResult(a)).toEqual({ data: { ticks: { seq: 1, label: { text: 'label 1' } } } });
    expect(await nextResult(b)).toEqual({ data: { ticks: { seq: 1, label: { text: 'label 1' } } } });
    expect(h.engine.stats().eventExecutions - before).toBe(1);
  });

  it('closes the subscribers of a group whose events pile up behind a slow subgraph (SLOW_CONSUMER)', async () => {
    const h = harness({ limits: { perConnection: 100, perUser: 100, perInstance: 100, queueLimit: 5 } });
    const room = h.room('slow');
    let release!: () => void;
    const stalled = new Promise<void>((r) => (release = r));
    h.behaviour.beforeLabels = () => stalled;
    const sub = live(await h.subscribe(room, '1'));
    for (let i = 0; i < 8; i++) await h.publish(room);
    await expect(sub.next()).rejects.toMatchObject({ extensions: { code: 'SLOW_CONSUMER' } });
    release();
    await until(() => h.engine.stats().groups === 0);
    expect(h.engine.stats().activeSubscriptions).toBe(0);
  });

  it('executes the next events while one waits on a slow fetch, and delivers them in order', async () => {
    const h = harness({ executionConcurrency: 4 });
    const room = h.room('pipelined');
    const stalls: Array<() => void> = [];
    let fetches = 0;
    h.behaviour.beforeLabels = () => {
      fetches++;
      // The first event's fetch hangs until released; the others answer at once.
      return fetches === 1 ? new Promise<void>((r) => stalls.push(r)) : Promise.resolve();
    };
    const sub = live(await h.subscribe(room, '1'));
    for (let i = 0; i < 3; i++) await h.publish(room);
    await until(() => fetches === 3);
    let received = false;
    const first = nextResult(sub).then((r) => ((received = true), r));
    await new Promise((r) => setTimeout(r, 50));
    // Events 2 and 3 are executed, but wait behind event 1.
    expect(received).toBe(false);
    stalls[0]!();
    const seqs = [(await first).data.ticks.seq];
    for (let i = 0; i < 2; i++) seqs.push((await nextResult(sub)).data.ticks.seq);
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('with a concurrency of 1, executes an event only after the previous one', async () => {
    const h = harness({ executionConcurrency: 1 });
    const room = h.room('serial');
    const stalls: Array<() => void> = [];
    let fetches = 0;
    h.behaviour.beforeLabels = () => {
      fetches++;
      return new Promise<void>((r) => stalls.push(r));
    };
    const sub = live(await h.subscribe(room, '1'));
    for (let i = 0; i < 3; i++) await h.publish(room);
    await until(() => fetches === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(fetches).toBe(1);
    stalls[0]!();
    expect((await nextResult(sub)).data.ticks.seq).toBe(1);
    await until(() => fetches === 2);
    stalls[1]!();
    expect((await nextResult(sub)).data.ticks.seq).toBe(2);
    await until(() => fetches === 3);
    stalls[2]!();
    expect((await nextResult(sub)).data.ticks.seq).toBe(3);
  });

  it('answers an entity fetch from the entities the event carries, and fetches what it does not carry', async () => {
    const h = harness();
    const room = h.room('carried');
    let fetches = 0;
    h.behaviour.beforeLabels = async () => {
      fetches++;
    };
    const sub = live(await h.subscribe(room, '1'));
    const withText = live(await h.subscribe(room, '2', {}, { selection: 'seq label { id text }' }));
    // Seq 1 carries its label with the field asked: no fetch.
    await h.publish(room, { _entities: [{ __typename: 'Label', id: '1', text: 'carried 1' }] });
    expect(await nextResult(sub)).toEqual({ data: { ticks: { seq: 1, label: { text: 'carried 1' } } } });
    expect(await nextResult(withText)).toEqual({ data: { ticks: { seq: 1, label: { id: '1', text: 'carried 1' } } } });
    expect(fetches).toBe(0);
    // Seq 2 carries another label, and seq 3 its own without the field asked: both fetched.
    await h.publish(room, { _entities: [{ __typename: 'Label', id: '99', text: 'not this one' }] });
    await h.publish(room, { _entities: [{ __typename: 'Label', id: '3' }] });
    expect(await nextResult(sub)).toEqual({ data: { ticks: { seq: 2, label: { text: 'label 2' } } } });
    expect(await nextResult(sub)).toEqual({ data: { ticks: { seq: 3, label: { text: 'label 3' } } } });
    expect(fetches).toBeGreaterThan(0);
  });

  it('leaves the Redis topic when the last subscriber of a group ends', async () => {
    const h = harness();
    const a = live(await h.subscribe(h.room('t'), '1'));
    const b = live(await h.subscribe(h.room('t'), '2'));
    expect(h.engine.stats()).toMatchObject({ groups: 1, topics: 1 });
    await a.return!();
    expect(h.engine.stats()).toMatchObject({ groups: 1, topics: 1 });
    await b.return!();
    expect(h.engine.stats()).toMatchObject({ groups: 0, topics: 0 });
  });
});

describe('publishes out of seq order', () => {
  it('puts them back in order for the whole group, without reading the log', async () => {
    const h = harness();
    const room = h.room('reorder');
    const subs = [];
    for (let i = 0; i < 20; i++) subs.push(live(await h.subscribe(room, String(i + 1), {}, { selection: 'seq' })));
    await h.publish(room);
    // Seq 1 is executed and delivered before the count starts: a publish resolves when Redis has it, not when the
    // group has executed it.
    for (const sub of subs) expect((await nextResult(sub)).data.ticks.seq).toBe(1);
    h.seedLog(room, 2);
    const before = h.engine.stats();
    // Seq 3 reaches Redis before seq 2 (two sends of one chat whose publishes crossed).
    await h.republish(room, 3);
    await h.republish(room, 2);
    for (const sub of subs) {
      const seqs = [];
      for (let i = 0; i < 2; i++) seqs.push((await nextResult(sub)).data.ticks.seq);
      expect(seqs).toEqual([2, 3]);
    }
    const after = h.engine.stats();
    expect(after.gapsDetected - before.gapsDetected).toBe(0);
    expect(after.replays - before.replays).toBe(0);
    expect(after.eventExecutions - before.eventExecutions).toBe(2);
  });

  it('a publish that never arrives: after the window each subscriber repairs the gap from the log, in order', async () => {
    const h = harness({ reorderWindowMs: 50 });
    const room = h.room('lost');
    const a = live(await h.subscribe(room, '1', {}, { selection: 'seq' }));
    const b = live(await h.subscribe(room, '2', {}, { selection: 'seq' }));
    await h.publish(room);
    h.seedLog(room, 1); // seq 2 committed, its publish lost
    await h.publish(room); // seq 3
    for (const sub of [a, b]) {
      const seqs = [];
      for (let i = 0; i < 3; i++) seqs.push((await nextResult(sub)).data.ticks.seq);
      expect(seqs).toEqual([1, 2, 3]);
    }
    expect(h.engine.stats()).toMatchObject({ reorderGiveUps: 1, gapsDetected: 2 });
    expect(h.engine.stats().replays).toBeGreaterThanOrEqual(2);
    // The lost publish arriving late changes nothing: the next event is seq 4.
    await h.republish(room, 2);
    await h.publish(room);
    expect((await nextResult(a)).data.ticks.seq).toBe(4);
    expect((await nextResult(b)).data.ticks.seq).toBe(4);
  });
});

describe('access re-checks', () => {
  const fast = { recheckRetry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 10 } };

  it('retries while the owner is unavailable and keeps the subscription when access holds', async () => {
    const h = harness(fast);
    const room = h.room('r');
    const sub = live(await h.subscribe(room, '1'));
    let failures = 2;
    h.behaviour.canWatch = () => {
      if (failures-- > 0) throw userError('SERVICE_UNAVAILABLE', 'owner down');
      return true;
    };
    h.behaviour.authorizeCalls.length = 0;
    await h.publish(room, { _reauthorize: ['1'] });
    await h.publish(room);
    expect((await nextResult(sub)).data.ticks.seq).toBe(1);
    expect((await nextResult(sub)).data.ticks.seq).toBe(2);
    expect(h.behaviour.authorizeCalls).toEqual([`1:${room}`, `1:${room}`, `1:${room}`]);
  });

  it('ends the subscription with FORBIDDEN after the event when access was revoked, others keep theirs', async () => {
    const h = harness(fast);
    const room = h.room('r');
    const revoked = live(await h.subscribe(room, '1'));
    const kept = live(await h.subscribe(room, '2'));
    h.behaviour.canWatch = (viewer) => viewer !== '1';
    await h.publish(room, { _reauthorize: ['1'] });
    await h.publish(room);
    expect((await nextResult(revoked)).data.ticks.seq).toBe(1);
    await expect(revoked.next()).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect((await nextResult(kept)).data.ticks.seq).toBe(1);
    expect((await nextResult(kept)).data.ticks.seq).toBe(2);
  });

  it('re-checks after an event whose delivery failed part-way, and ends a revoked subscription', async () => {
    // A failure after the members were given the event (here in the lag accounting) must not skip its re-check.
    const onDelivered = () => {
      throw new Error('a bug in the delivery accounting');
    };
    const h = harness({ ...fast, onDelivered });
    const room = h.room('r');
    const revoked = live(await h.subscribe(room, '1'));
    h.behaviour.canWatch = (viewer) => viewer !== '1';
    await h.publish(room, { _reauthorize: ['1'], _meta: { committedAt: Date.now() } });
    await h.publish(room);
    expect((await nextResult(revoked)).data.ticks.seq).toBe(1);
    await expect(revoked.next()).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
  });

  it('ends with SERVICE_UNAVAILABLE (resumable), not FORBIDDEN, when access cannot be re-checked', async () => {
    const h = harness(fast);
    const room = h.room('r');
    const sub = live(await h.subscribe(room, '1'));
    h.behaviour.canWatch = () => {
      throw userError('SERVICE_UNAVAILABLE', 'owner down');
    };
    h.behaviour.authorizeCalls.length = 0;
    await h.publish(room, { _reauthorize: ['1'] });
    expect((await nextResult(sub)).data.ticks.seq).toBe(1);
    await expect(sub.next()).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    // the first attempt and three retries
    expect(h.behaviour.authorizeCalls).toHaveLength(4);
  });

  it("re-checks a field through its access topic (`@live(access:)`) without delivering that topic's events", async () => {
    const h = harness(fast);
    const room = h.room('a');
    const revoked = live(await h.subscribePings(room, '1'));
    const kept = live(await h.subscribePings(room, '2'));
    expect(h.engine.stats().topics).toBe(2); // pings:<room> and room:<room>
    await h.publish(room); // an ordinary event of the access topic: not a ping, not delivered
    h.behaviour.canWatch = (viewer) => viewer !== '1';
    await h.publish(room, { _reauthorize: ['1'] });
    await h.ping(room, 7);
    await expect(revoked.next()).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(await nextResult(kept)).toEqual({ data: { pings: { at: 7 } } });
  });

  it('refuses a subscribe with SERVICE_UNAVAILABLE, not FORBIDDEN, when authorize fails unexpectedly', async () => {
    const h = harness();
    h.behaviour.canWatch = () => {
      throw new Error('a bug in the owner');
    };
    expect(refusal(await h.subscribe(h.room('x'), '1'))).toBe('SERVICE_UNAVAILABLE');
  });
});

describe('plans and schema reloads', () => {
  it('evicts the least recently used plan past the cap and plans it again when needed', async () => {
    const h = harness({ maxCachedPlans: 2 });
    const room = h.room('p');
    const selections = ['seq', 'seq n', 'seq label { text }'];
    for (const selection of selections) live(await h.subscribe(room, '1', {}, { selection }));
    expect(h.engine.stats().plans).toBe(2);
    const again = live(await h.subscribe(room, '1', {}, { selection: 'seq' }));
    await h.publish(room);
    expect(await nextResult(again)).toEqual({ data: { ticks: { seq: 1 } } });
    expect(h.engine.stats().plans).toBe(2);
  });

  it('subscribes asking the same access question at once share one check; once answered, the next one asks again', async () => {
    const h = harness();
    const room = h.room('wave');
    let allow!: (v: boolean) => void;
    h.behaviour.canWatch = () => new Promise<boolean>((r) => (allow = r));
    // A reconnect wave: the same viewer resubscribes the same room five times at once (tabs, devices).
    const pending = Array.from({ length: 5 }, () => h.subscribe(room, '1', {}));
    await until(() => h.behaviour.authorizeCalls.length === 1);
    allow(true);
    const subs = (await Promise.all(pending)).map(live);
    expect(h.behaviour.authorizeCalls).toEqual([`1:${room}`]);
    expect(h.engine.stats()).toMatchObject({ activeSubscriptions: 5, authorizeCoalesced: 4 });
    // Another viewer's question is their own; and once answered, nothing is kept: the next subscribe asks again.
    h.behaviour.canWatch = () => true;
    live(await h.subscribe(room, '2', {}));
    live(await h.subscribe(room, '1', {}));
    expect(h.behaviour.authorizeCalls).toEqual([`1:${room}`, `2:${room}`, `1:${room}`]);
    // A refusal reaches every subscribe that shared the check.
    h.behaviour.canWatch = () => new Promise<boolean>((r) => (allow = r));
    const refused = [h.subscribe(room, '3', {}), h.subscribe(room, '3', {})];
    await until(() => h.behaviour.authorizeCalls.length === 4);
    allow(false);
    expect((await Promise.all(refused)).map(refusal)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    for (const sub of subs) await sub.return!();
  });

  it('refuses a subscribe that was waiting for authorize when the supergraph changed (SUBSCRIPTION_RESTART)', async () => {
    const h = harness();
    let allow!: (v: boolean) => void;
    h.behaviour.canWatch = () => new Promise<boolean>((r) => (allow = r));
    const pending = h.subscribe(h.room('reload'), '1');
    await until(() => h.behaviour.authorizeCalls.length === 1);
    h.engine.setSupergraph(testSupergraph('extra: String'));
    allow(true);
    expect(refusal(await pending)).toBe('SUBSCRIPTION_RESTART');
    expect(h.engine.stats()).toMatchObject({ activeSubscriptions: 0, groups: 0, topics: 0 });
  });

  it('ends live subscriptions with SUBSCRIPTION_RESTART on a reload', async () => {
    const h = harness();
    const sub = live(await h.subscribe(h.room('reload'), '1'));
    h.engine.setSupergraph(testSupergraph('extra: String'));
    await expect(sub.next()).rejects.toMatchObject({ extensions: { code: 'SUBSCRIPTION_RESTART' } });
  });
});

describe('resume and input', () => {
  it('backfills from afterSeq through the replay field, then goes on live', async () => {
    const h = harness();
    const room = h.room('resume');
    for (let i = 0; i < 3; i++) await h.publish(room);
    const sub = live(await h.subscribe(room, '1', {}, { afterSeq: 1 }));
    await h.publish(room);
    const seqs = [];
    for (let i = 0; i < 3; i++) seqs.push((await nextResult(sub)).data.ticks.seq);
    expect(seqs).toEqual([2, 3, 4]);
  });

  it('a subscriber 100,000 events behind resumes from seq 0 and reads every one in order, then goes on live', async () => {
    // The production queue limit: the backlog is 100 times larger than what a subscriber may hold.
    const h = harness({ limits: { perConnection: 100, perUser: 100, perInstance: 100, queueLimit: 1000 } });
    const room = h.room('far');
    const BEHIND = 100_000;
    h.seedLog(room, BEHIND);
    const sub = live(await h.subscribe(room, '1', {}, { afterSeq: 0, selection: 'seq' }));
    let expected = 1;
    let liveSent = 0;
    while (expected <= BEHIND + liveSent) {
      const r = await sub.next();
      if (r.done) throw new Error(`the subscription completed after seq ${expected - 1}`);
      const { data } = JSON.parse(serializedJson(r.value)!) as { data: { ticks: { seq: number } } };
      if (data.ticks.seq !== expected) throw new Error(`expected seq ${expected}, got ${data.ticks.seq}`);
      expected++;
      // The chat goes on while the client catches up: a live event every 10,000 read, which lands behind the backlog.
      if (expected % 10_000 === 0) {
        await h.publish(room);
        liveSent++;
      }
    }
    expect(expected - 1).toBe(BEHIND + 10);
    expect(h.engine.stats()).toMatchObject({ slowConsumersClosed: 0, activeSubscriptions: 1 });
    // Caught up: the next event arrives live.
    const tick = await h.publish(room);
    expect((await nextResult(sub)).data.ticks.seq).toBe(tick.seq);
  }, 120_000);

  it('refuses bad variables and a negative afterSeq with BAD_USER_INPUT', async () => {
    const h = harness();
    expect(refusal(await h.subscribe(h.room('x'), '1', {}, { afterSeq: -1 }))).toBe('BAD_USER_INPUT');
    const wrongType = await h.engine.subscribe({
      document: (await import('graphql')).parse('subscription($r: ID!) { ticks(room: $r) { seq } }'),
      variables: { r: { not: 'an id' } },
      connection: {},
      viewerId: '1',
    });
    expect(refusal(wrongType)).toBe('BAD_USER_INPUT');
  });
});
