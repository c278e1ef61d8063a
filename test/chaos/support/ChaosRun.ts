import { waitUntil } from '@chatgraph/testing';
import type { ChatClient } from '../../../client-sdk/src/index.ts';
import type { ChaosProfile } from './profiles';
import { ChatTraffic, ClientFactory, Follower, type SendFailure } from './Traffic';

/** One fault of the run. */
export interface Fault {
  name: string;
  /** Before the measured window (e.g. the crowd subscribes). */
  prepare?(): Promise<void>;
  /** Breaks something; a fault the suite heals (a stopped server started again) is healed before this resolves. */
  inject(): Promise<void>;
  /** After recovery was measured: brings back what stayed broken (a killed process started again). */
  restore?(): Promise<void>;
}

/** What the clients noticed during one fault (from its injection until every follower had caught up). */
export interface FaultResult {
  fault: string;
  /** Messages acknowledged to their senders in the window. */
  sent: number;
  /** Events handed to the apps (every follower) in the window. */
  delivered: number;
  /** Acknowledged messages a follower never received (it received later ones). */
  lost: number;
  /** Events an app received twice. */
  duplicated: number;
  /** Events an app received out of seq order. */
  reordered: number;
  /** Sends that failed for good (an error the app would show). */
  sendErrors: number;
  /** From the injection until the fault was healed (0 for a crash nobody repairs during the window). */
  outageMs: number;
  /** From the moment the fault was healed (or injected, for a crash) until a message sent after it reached every follower. */
  recoveryMs: number | null;
  /** Redeliveries the SDK dropped for the apps, gaps it resumed over, and reconnects of the live streams. */
  sdk: { duplicatesDropped: number; gapsResumed: number; reconnects: number };
  /** Why the window ended without recovery, if it did. */
  failure?: string;
}

const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);

/**
 * Traffic through the stack while faults happen one after another: per chat a sender and followers (every member on
 * an SDK client of its own), and, for the measurements, what each follower received when.
 */
export class ChaosRun {
  readonly chats: ChatTraffic[] = [];
  readonly failures: SendFailure[] = [];
  /** Followers that come and go (the crowd); those of `chats` stay. */
  private readonly extraFollowers: Follower[] = [];
  /** Users who are members of the first chat but do not send (the crowd logs in as them). */
  readonly bystanders: Array<{ id: string; token: string }> = [];

  constructor(
    readonly clients: ClientFactory,
    readonly profile: ChaosProfile,
  ) {}

  /** Creates the chats with their members and followers, starts every follower and waits until all are live. */
  async setUp(): Promise<void> {
    for (let i = 0; i < this.profile.crowdUsers; i++) this.bystanders.push(await this.clients.user(`Crowd ${i}`));
    for (let c = 0; c < this.profile.chats; c++) {
      const members: Array<{ id: string; token: string }> = [];
      for (let m = 0; m < this.profile.membersPerChat; m++) members.push(await this.clients.user(`Member ${c}.${m}`));
      const owner = this.clients.client(() => members[0]!.token);
      const others = members.slice(1).map((m) => m.id);
      if (c === 0) others.push(...this.bystanders.map((b) => b.id));
      const chat = await owner.createGroupChat({ title: `chaos ${c}`, memberIds: others });
      const traffic = new ChatTraffic(chat.id, c, owner, this.profile.sendIntervalMs, this.failures);
      traffic.followers.push(new Follower(owner, chat.id, 0));
      for (const m of members.slice(1))
        traffic.followers.push(
          new Follower(
            this.clients.client(() => m.token),
            chat.id,
            0,
          ),
        );
      this.chats.push(traffic);
    }
    await this.untilLive();
  }

  /** Adds a follower of a chat on a client of its own (counted like the others until {@link dropExtraFollowers}). */
  follow(chat: ChatTraffic, client: ChatClient, extra = false): Follower {
    const follower = new Follower(client, chat.id, chat.lastAcked);
    if (extra) this.extraFollowers.push(follower);
    else chat.followers.push(follower);
    return follower;
  }

  /** Closes the followers added with `extra`. */
  dropExtraFollowers(): void {
    for (const f of this.extraFollowers.splice(0)) f.close();
  }

  /** Every follower with the chat it follows. */
  private allFollowers(): Array<{ chat: ChatTraffic; follower: Follower }> {
    const list = this.chats.flatMap((chat) => chat.followers.map((follower) => ({ chat, follower })));
    for (const follower of this.extraFollowers) {
      list.push({ chat: this.chats.find((c) => c.id === follower.chatId)!, follower });
    }
    return list;
  }

  /** Waits until every follower's stream is live. */
  async untilLive(timeoutMs = this.profile.recoveryTimeoutMs): Promise<void> {
    await waitUntil(
      'every follower is live',
      () => this.allFollowers().every(({ follower }) => follower.status === 'live'),
      timeoutMs,
    );
  }

  startTraffic(): void {
    for (const chat of this.chats) chat.start();
  }

  async stopTraffic(): Promise<void> {
    await Promise.all(this.chats.map((c) => c.stop()));
  }

  /** Runs one fault and measures what the clients noticed. */
  async measure(fault: Fault): Promise<FaultResult> {
    await fault.prepare?.();
    const followers = this.allFollowers();
    const sdkBefore = this.sdkCounters(followers);
    const from = Date.now();
    await fault.inject();
    const healedAt = Date.now();
    // The first message of each chat whose send started once the fault was healed: delivered to every follower of
    // its chat, the clients have recovered (and, in seq order, received everything before it).
    const probeOf = (chat: ChatTraffic) => chat.acks.find((a) => a.startedAt >= healedAt);
    let failure: string | undefined;
    try {
      await waitUntil(
        'every follower received a message sent after the fault',
        () =>
          followers.every(({ chat, follower }) => {
            const probe = probeOf(chat);
            return probe !== undefined && follower.seen.has(probe.seq);
          }),
        this.profile.recoveryTimeoutMs,
      );
    } catch (err) {
      failure = `${(err as Error).message}: ${this.describeLag(followers, probeOf)}`;
    }
    const to = Date.now();
    const inWindow = (at: number) => at > from && at <= to;
    const receipts = followers.flatMap(({ follower }) => follower.receipts.filter((r) => inWindow(r.at)));
    const arrivals = followers.map(({ chat, follower }) => {
      const probe = probeOf(chat);
      return probe ? follower.arrivedAt.get(probe.seq) : undefined;
    });
    const lost = sum(
      followers.map(({ chat, follower }) => {
        const upTo = probeOf(chat)?.seq ?? chat.lastAcked;
        return chat.acks.filter((a) => a.seq > follower.from && a.seq <= upTo && !follower.seen.has(a.seq)).length;
      }),
    );
    const sdkAfter = this.sdkCounters(followers);
    const result: FaultResult = {
      fault: fault.name,
      sent: sum(this.chats.map((c) => c.acks.filter((a) => inWindow(a.ackedAt)).length)),
      delivered: receipts.length,
      lost,
      duplicated: receipts.filter((r) => r.duplicate).length,
      reordered: receipts.filter((r) => r.outOfOrder).length,
      sendErrors: this.failures.filter((f) => inWindow(f.at)).length,
      outageMs: healedAt - from,
      recoveryMs:
        failure || arrivals.some((a) => a === undefined) ? null : Math.max(...(arrivals as number[])) - healedAt,
      sdk: {
        duplicatesDropped: sdkAfter.duplicatesDropped - sdkBefore.duplicatesDropped,
        gapsResumed: sdkAfter.gapsResumed - sdkBefore.gapsResumed,
        reconnects: sdkAfter.reconnects - sdkBefore.reconnects,
      },
      ...(failure ? { failure } : {}),
    };
    await fault.restore?.();
    return result;
  }

  /**
   * After the traffic stopped: every follower receives every acknowledged message of its chat; the log of each chat,
   * read from the start by a new follower (the owner's client), holds every acknowledged message once, in seq order, with no gap. Returns
   * the problems found (none: an empty list).
   */
  async verifyEnd(): Promise<string[]> {
    const problems: string[] = [];
    const followers = this.allFollowers();
    try {
      await waitUntil(
        'every follower received every acknowledged message',
        () =>
          followers.every(({ chat, follower }) =>
            chat.acks.every((a) => a.seq <= follower.from || follower.seen.has(a.seq)),
          ),
        this.profile.recoveryTimeoutMs,
      );
    } catch {
      problems.push(
        `followers missing acknowledged messages: ${this.describeLag(followers, (c) => c.acks[c.acks.length - 1])}`,
      );
    }
    for (const chat of this.chats) {
      const log = new Follower(chat.sender, chat.id, 0);
      try {
        await waitUntil(
          `the log of chat ${chat.index} is read`,
          () => log.seen.has(chat.lastAcked),
          this.profile.recoveryTimeoutMs,
        );
        // Anything after the last acknowledged message (a send whose answer never came) is read too.
        await waitUntil(`chat ${chat.index} is live`, () => log.status === 'live', this.profile.recoveryTimeoutMs);
      } catch (err) {
        problems.push(`chat ${chat.index}: ${(err as Error).message}`);
        continue;
      } finally {
        log.close();
      }
      const seqs = log.receipts.map((r) => r.seq);
      const max = Math.max(...seqs);
      if (seqs.length !== max || seqs.some((s, i) => s !== i + 1))
        problems.push(`chat ${chat.index}: the log is not 1..${max} once each`);
      const texts = [...log.texts.values()];
      const twice = texts.filter((t, i) => texts.indexOf(t) !== i);
      if (twice.length) problems.push(`chat ${chat.index}: messages stored twice: ${twice.slice(0, 5).join(', ')}`);
      for (const ack of chat.acks) {
        if (log.texts.get(ack.seq) !== ack.text)
          problems.push(`chat ${chat.index}: seq ${ack.seq} is not "${ack.text}"`);
      }
      for (const f of chat.followers) {
        const expected = seqs.filter((s) => s > f.from);
        const got = f.receipts.map((r) => r.seq);
        if (got.join() !== expected.join())
          problems.push(`chat ${chat.index}: a follower from ${f.from} did not receive the log exactly`);
      }
    }
    return problems;
  }

  private sdkCounters(followers: Array<{ follower: Follower }>) {
    const stats = followers.map(({ follower }) => follower.stream.stats);
    return {
      duplicatesDropped: sum(stats.map((s) => s.duplicatesDropped)),
      gapsResumed: sum(stats.map((s) => s.gapsResumed)),
      reconnects: sum(stats.map((s) => s.reconnects)),
    };
  }

  /** Which followers are behind, for a failure message. */
  private describeLag(
    followers: Array<{ chat: ChatTraffic; follower: Follower }>,
    target: (chat: ChatTraffic) => { seq: number } | undefined,
  ): string {
    const behind = followers
      .filter(({ chat, follower }) => {
        const t = target(chat);
        return !t || !follower.seen.has(t.seq);
      })
      .map(
        ({ chat, follower }) =>
          `chat ${chat.index} follower from ${follower.from}: last ${Math.max(follower.from, ...follower.seen)} of ${target(chat)?.seq ?? 'none yet'}, status ${follower.status}${follower.error ? `, ended: ${String(follower.error)}` : ''}`,
      );
    return `${behind.length} behind (${behind.slice(0, 5).join('; ')}); sends failed: ${this.failures.length}`;
  }
}
