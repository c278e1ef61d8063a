import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@chatgraph/logging';
import type { PreferenceStore } from '../storage/PreferenceStore';
import type { NotificationKind } from '../storage/records';
import type { EmailLinks } from './EmailLinks';

/** Marks a user's address verified (the users service owns addresses). */
export interface EmailConfirmation {
  /** True when `email` is still the user's address and is verified now. */
  confirm(userId: string, email: string): Promise<boolean>;
}

/** What {@link emailRoutes} needs. */
export interface EmailRoutesDeps {
  links: EmailLinks;
  preferences: PreferenceStore;
  confirmation: EmailConfirmation;
  logger: Logger;
}

/** How each kind is named on a page. */
const KIND_NAMES: Record<NotificationKind, string> = {
  DIRECT_MESSAGE: 'direct messages',
  MENTION: 'mentions',
  REPLY: 'replies',
  REACTION: 'reactions',
  ADDED_TO_CHAT: 'being added to chats',
};

/** Largest body of an unsubscribe POST (`List-Unsubscribe=One-Click`, or the page's form). */
const MAX_BODY = 1024;

/**
 * The HTTP routes of email links, answered by the notifications service for people's browsers and mail clients:
 *
 * - `GET /email/verify?token=…` shows a page with a button, whose `POST` verifies the address the link was sent to
 *   (through the users service): link scanners of mail providers, which open links, verify nothing;
 * - `GET /email/unsubscribe?token=…` shows a page with a button (mail scanners that open links unsubscribe nobody);
 * - `POST /email/unsubscribe?token=…` turns email off for the link's kinds: the page's button, and RFC 8058
 *   one-click unsubscribe (`List-Unsubscribe-Post: List-Unsubscribe=One-Click`) from mail clients.
 *
 * Pages interpolate no user data, only fixed text.
 */
export function emailRoutes(
  deps: EmailRoutesDeps,
): Record<string, (req: IncomingMessage, res: ServerResponse) => void> {
  const { links, preferences, confirmation, logger } = deps;
  // The users service or this shard was unreachable: the link works again once they are back.
  const fail = (res: ServerResponse, err: unknown) => {
    logger.warn({ err }, 'email link could not be handled');
    page(res, 503, 'Try again shortly', 'This could not be done just now. Please open the link again in a minute.');
  };
  return {
    '/email/verify': (req, res) => {
      if (req.method !== 'GET' && req.method !== 'POST') return methodNotAllowed(res, 'GET, POST');
      const token = tokenOf(req);
      const link = links.read(token);
      if (!link || link.purpose !== 'verify')
        return page(
          res,
          400,
          'Link not valid',
          'This verification link is not valid or has expired. Set your address again to get a new one.',
        );
      if (req.method === 'GET') {
        return page(res, 200, 'Verify your address', 'Confirm that this email address is yours?', {
          action: `/email/verify?token=${encodeURIComponent(token)}`,
          button: 'Verify',
        });
      }
      drain(req)
        .then(() => confirmation.confirm(link.userId, link.email))
        .then(
          (ok) =>
            ok
              ? page(
                  res,
                  200,
                  'Address verified',
                  'Your email address is verified. You will get emails about messages you miss.',
                )
              : page(res, 410, 'Address changed', 'This link is for an address that is no longer on your profile.'),
          (err: unknown) => fail(res, err),
        );
    },
    '/email/unsubscribe': (req, res) => {
      if (req.method !== 'GET' && req.method !== 'POST') return methodNotAllowed(res, 'GET, POST');
      const token = tokenOf(req);
      const link = links.read(token);
      if (!link || link.purpose !== 'unsubscribe')
        return page(res, 400, 'Link not valid', 'This unsubscribe link is not valid.');
      const what = link.kinds.map((k) => KIND_NAMES[k]).join(' and ');
      if (req.method === 'GET') {
        return page(res, 200, 'Unsubscribe', `Stop emails about ${what}?`, {
          action: `/email/unsubscribe?token=${encodeURIComponent(token)}`,
          button: 'Unsubscribe',
        });
      }
      drain(req)
        .then(() => preferences.disableEmail(BigInt(link.userId), link.kinds))
        .then(
          () =>
            page(
              res,
              200,
              'Unsubscribed',
              `You will get no more emails about ${what}. Turn them on again in the app's notification settings.`,
            ),
          (err: unknown) => fail(res, err),
        );
    },
  };
}

function tokenOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
}

/** Reads (and discards) a small body: what it says does not matter, only that the request was a POST. */
function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy();
    });
    req.on('end', () => resolve());
    req.on('error', reject);
    req.on('close', () => (size > MAX_BODY ? reject(new Error('body too large')) : resolve()));
  });
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.writeHead(405, { allow, 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
}

/** A minimal page of fixed text (no user data), optionally with a button POSTing to `form.action`. */
function page(
  res: ServerResponse,
  status: number,
  title: string,
  message: string,
  form?: { action: string; button: string },
): void {
  const button = form
    ? `<form method="post" action="${form.action}"><button type="submit">${form.button}</button></form>`
    : '';
  res
    .writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
      'referrer-policy': 'no-referrer',
    })
    .end(
      `<!doctype html><html><head><meta charset="utf-8"><title>${title} · chatgraph</title></head>` +
        `<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto"><h1>${title}</h1><p>${message}</p>${button}</body></html>\n`,
    );
}
