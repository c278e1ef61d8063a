import type { MissedMessageEmails } from './MissedMessageEmails';
import type { VerificationEmails } from './VerificationEmails';

/**
 * Runs the email scans of a notifier every `scanMs`: verification emails first (someone is waiting for them), then
 * missed-message emails. Notifiers share the work through the database (claims with `SKIP LOCKED`).
 */
export class EmailWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly verification: VerificationEmails,
    private readonly missed: MissedMessageEmails,
    private readonly scanMs: number,
  ) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.verification
        .scan()
        .then(() => this.missed.scan())
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.scanMs);
        });
    };
    this.timer = setTimeout(tick, this.scanMs);
  }

  /** Stops scanning; resolves once the scan in progress (and the email it is sending) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** What the emails came to, for /metrics. */
  stats() {
    return { verification: this.verification.stats, missedMessages: this.missed.stats };
  }
}
