import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/** An email as the sink received it. */
export interface ReceivedEmail {
  /** RCPT TO of the SMTP transaction (who it was really sent to). */
  envelopeTo: string[];
  messageId: string;
  subject: string;
  text: string;
  html: string;
  /** Every header, lower-case names. */
  headers: Map<string, unknown>;
  /** The raw message as received. */
  raw: string;
}

/**
 * A real SMTP server of the test's own on a free port (the `smtp-server` package), keeping every message it receives,
 * parsed. `holdNext()` makes it keep the next message's transaction open without answering (the sender sees no
 * acceptance), to kill the sender in between.
 */
export class SmtpSink {
  readonly received: ReceivedEmail[] = [];
  private holding = false;
  private held: Array<(err?: Error) => void> = [];

  private readonly server: SMTPServer;
  private port = 0;

  private constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session: SMTPServerSession, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          void this.keep(Buffer.concat(chunks).toString('utf8'), session).then(() => {
            if (this.holding) {
              this.holding = false;
              this.held.push(callback);
            } else callback();
          });
        });
      },
    });
  }

  static async start(): Promise<SmtpSink> {
    const sink = new SmtpSink();
    await new Promise<void>((resolve, reject) => {
      sink.server.once('error', reject);
      sink.server.listen(0, '127.0.0.1', () => resolve());
    });
    sink.port = (sink.server.server.address() as AddressInfo).port;
    return sink;
  }

  /** `SMTP_URL` of the sink. */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The next message is kept, but never acknowledged (until {@link releaseHeld}). */
  holdNext(): void {
    this.holding = true;
  }

  /** Answers held transactions with a temporary failure (their senders are gone by then). */
  releaseHeld(): void {
    for (const callback of this.held.splice(0)) callback(Object.assign(new Error('try again'), { responseCode: 451 }));
  }

  /** Emails received for an address (every copy). */
  to(address: string): ReceivedEmail[] {
    return this.received.filter((m) => m.envelopeTo.includes(address));
  }

  async close(): Promise<void> {
    this.releaseHeld();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async keep(raw: string, session: SMTPServerSession): Promise<void> {
    const parsed = await simpleParser(raw);
    this.received.push({
      envelopeTo: session.envelope.rcptTo.map((r) => r.address),
      messageId: parsed.messageId ?? '',
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
      headers: parsed.headers as Map<string, unknown>,
      raw,
    });
  }
}
