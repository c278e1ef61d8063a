import { randomBytes } from 'node:crypto';
import { serializedJson } from '../subscriptions/PreSerialized';

/**
 * Puts results the engine serialized once per group into graphql-ws messages without serializing them again per
 * subscriber. graphql-ws stringifies each message with our `replacer`: for a pre-serialized payload it returns a
 * token, unique to that one message, and remembers the JSON under it; `splice` (called from `send`) swaps the quoted
 * token for the JSON. Each message carries its own token, so messages stringified and sent in any order, or
 * interleaved across sockets, can never receive another's payload. Tokens start with a random prefix chosen at start
 * (and never sent, since every token is spliced away), so no client-chosen string (an operation id) can pose as one.
 */
export class PayloadSplicer {
  private readonly prefix = `\u0000${randomBytes(12).toString('hex')}:`;
  /** The prefix as it appears inside a JSON string: `"` and the NUL escaped as `\u0000`. */
  private readonly quotedPrefix = JSON.stringify(this.prefix).slice(0, -1);
  private next = 0;
  private readonly pending = new Map<string, string>();

  /** Tokens handed out and not yet spliced (0 unless a message was stringified and never sent). */
  get outstanding(): number {
    return this.pending.size;
  }

  /** graphql-ws's `jsonMessageReplacer`. */
  readonly replacer = (key: string, value: unknown): unknown => {
    if (key !== 'payload') return value;
    const json = serializedJson(value);
    if (json === undefined) return value;
    const token = `${this.prefix}${++this.next}`;
    this.pending.set(token, json);
    return token;
  };

  /** The message with each token replaced by the JSON it stands for. */
  splice(data: string): string {
    let from = data.indexOf(this.quotedPrefix);
    if (from < 0) return data;
    let out = '';
    let copied = 0;
    while (from >= 0) {
      const close = data.indexOf('"', from + this.quotedPrefix.length);
      if (close < 0) break;
      const token = this.prefix + data.slice(from + this.quotedPrefix.length, close);
      const json = this.pending.get(token);
      if (json !== undefined) {
        this.pending.delete(token);
        out += data.slice(copied, from) + json;
        copied = close + 1;
      }
      from = data.indexOf(this.quotedPrefix, close + 1);
    }
    return out + data.slice(copied);
  }
}
