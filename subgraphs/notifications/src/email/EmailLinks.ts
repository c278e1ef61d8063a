import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Config } from '@chatgraph/config';
import { NOTIFICATION_KINDS, type NotificationKind } from '../storage/records';

/** What a signed email link asks for. */
export type EmailLink =
  /** Verify that `email` is `userId`'s address (until `expiresAt`, ms since the epoch). */
  | { purpose: 'verify'; userId: string; email: string; expiresAt: number }
  /** Stop emailing `userId` about these kinds of notification (no expiry: RFC 8058 links must keep working). */
  | { purpose: 'unsubscribe'; userId: string; kinds: NotificationKind[] };

/** Longest token read: a link longer than this was not made here (and is refused before any work). */
const MAX_TOKEN_LENGTH = 2048;
const USER_ID = /^[1-9]\d{0,18}$/;

/**
 * Makes and reads the signed links of emails: `<base>/email/verify?token=…` and `<base>/email/unsubscribe?token=…`.
 * A token is `base64url(JSON).base64url(HMAC-SHA256)`, so the notifications service answers a link without storing
 * it; tampering with any byte (another user, another address, a later expiry) breaks the signature.
 */
export class EmailLinks {
  private readonly key: Buffer;

  /**
   * @param secret the signing key material (`EMAIL_LINK_SECRET`, or a key derived from the identity secret)
   * @param baseUrl where people reach the notifications service (`EMAIL_LINK_BASE_URL`), without a trailing slash
   */
  constructor(
    secret: string,
    readonly baseUrl: string,
  ) {
    this.key = Buffer.from(secret, 'utf8');
  }

  /**
   * From the configuration: `EMAIL_LINK_SECRET`, or else a key derived (HKDF) from `GATEWAY_IDENTITY_SECRET`, which
   * every service holds already; `EMAIL_LINK_BASE_URL`, or else the notifications service on loopback.
   */
  static fromConfig(config: Config): EmailLinks {
    const secret =
      config.EMAIL_LINK_SECRET ??
      Buffer.from(hkdfSync('sha256', config.GATEWAY_IDENTITY_SECRET, 'chatgraph', 'email links', 32)).toString('hex');
    const base = config.EMAIL_LINK_BASE_URL ?? `http://127.0.0.1:${config.NOTIFICATIONS_PORT}`;
    return new EmailLinks(secret, base.replace(/\/+$/, ''));
  }

  /** The verification link for `email`, working until `expiresAt` (ms since the epoch). */
  verifyUrl(userId: string, email: string, expiresAt: number): string {
    return `${this.baseUrl}/email/verify?token=${this.sign({ purpose: 'verify', userId, email, expiresAt })}`;
  }

  /** The one-click unsubscribe link for these kinds (RFC 8058: the page at it, or a POST to it, unsubscribes). */
  unsubscribeUrl(userId: string, kinds: readonly NotificationKind[]): string {
    return `${this.baseUrl}/email/unsubscribe?token=${this.sign({ purpose: 'unsubscribe', userId, kinds: [...kinds] })}`;
  }

  /** The link a token stands for; null when it is malformed, forged, or expired at `now`. */
  read(token: string, now = Date.now()): EmailLink | null {
    if (token.length > MAX_TOKEN_LENGTH) return null;
    const dot = token.indexOf('.');
    if (dot < 0) return null;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let link: unknown;
    try {
      link = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    return validLink(link, now);
  }

  private sign(link: EmailLink): string {
    const body = Buffer.from(JSON.stringify(link), 'utf8').toString('base64url');
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}

/** A signed payload is ours, but still checked field by field (a key shared with an older version, say). */
function validLink(value: unknown, now: number): EmailLink | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.userId !== 'string' || !USER_ID.test(v.userId)) return null;
  if (v.purpose === 'verify') {
    if (typeof v.email !== 'string' || typeof v.expiresAt !== 'number' || v.expiresAt <= now) return null;
    return { purpose: 'verify', userId: v.userId, email: v.email, expiresAt: v.expiresAt };
  }
  if (v.purpose === 'unsubscribe') {
    const kinds = v.kinds;
    if (!Array.isArray(kinds) || kinds.length === 0) return null;
    if (!kinds.every((k) => NOTIFICATION_KINDS.includes(k as NotificationKind))) return null;
    return { purpose: 'unsubscribe', userId: v.userId, kinds: kinds as NotificationKind[] };
  }
  return null;
}
