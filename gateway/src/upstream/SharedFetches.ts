import type { UpstreamResponse } from './SubgraphUpstream';

/** What {@link SharedFetches} counts (the gateway's `/stats`, `fetchSharing`). */
export interface SharedFetchesStats {
  /** Subgraph requests sent for fetches that could be shared (queries). */
  sent: number;
  /** Fetches answered by a request another fetch had in flight. */
  joined: number;
  /** Distinct requests in flight that later fetches may join, unless a write comes first (the latest for each key). */
  inFlight: number;
}

interface InFlight {
  /** The write epoch when it was sent. */
  epoch: number;
  response: Promise<UpstreamResponse>;
}

/**
 * One subgraph request for identical query fetches in flight at the same time. A fetch whose subgraph, identity (the
 * viewer, session, API token, scopes and client address the subgraph sees) and body are those of a request already in
 * flight waits for that request's answer instead of sending its own; each fetch then parses the answer's text itself,
 * so no two requests share an object. Mutations are never shared and never joined.
 *
 * **Read your writes.** A fetch joins only a request sent after the last write this gateway knows of: every mutation
 * it sent to any subgraph (when the mutation's answer is in, whatever it was), every message it received from Redis
 * (events and entity changes are published after their commit), and the loss and return of its Redis link (changes
 * may have been missed meanwhile: the entity cache flushes and live subscriptions repair from the log then, and must
 * read fresh). So a client that got its mutation's answer, or saw an event, through this gateway never gets an
 * answer older than that. A write made through another gateway and learnt of another way is as visible as it would
 * be without sharing, give or take the time one request is in flight, as it is for a query a replica answers.
 *
 * Hive Gateway shares in-flight subgraph requests the same way by default; `SUBGRAPH_FETCH_SHARING=false` turns it
 * off. The subgraph's own logs show a shared request under the request id of the fetch that sent it.
 */
export class SharedFetches {
  private readonly inFlight = new Map<string, InFlight>();
  private epoch = 0;
  private sent = 0;
  private joined = 0;

  /** A write may have been committed: requests already in flight are not joined any more. */
  readonly written = (): void => {
    this.epoch++;
  };

  /**
   * The answer for a fetch. A query (`key`: its subgraph, identity and body) gets that of an identical request in
   * flight since the last write, else of `send()`, which later identical fetches may join while it is in flight. A
   * mutation (`key` null) is sent on its own, and once it is answered, failed or timed out (it may have committed
   * either way), nothing sent before it is joined.
   */
  fetch(key: string | null, send: () => Promise<UpstreamResponse>): Promise<UpstreamResponse> {
    if (key === null) {
      const response = send();
      response.then(this.written, this.written);
      return response;
    }
    const current = this.inFlight.get(key);
    if (current && current.epoch === this.epoch) {
      this.joined++;
      return current.response;
    }
    this.sent++;
    const entry: InFlight = { epoch: this.epoch, response: send() };
    this.inFlight.set(key, entry);
    const settled = () => {
      if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
    };
    entry.response.then(settled, settled);
    return entry.response;
  }

  stats(): SharedFetchesStats {
    return { sent: this.sent, joined: this.joined, inFlight: this.inFlight.size };
  }
}
