import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';

/** A rendered email: its subject and both bodies. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** One notification in a missed-message email. */
export interface MissedItem {
  /** Who did what where, e.g. "Ada mentioned you in Project". */
  heading: string;
  /** The message's text as the user wrote it (it is escaped in HTML). */
  text: string;
}

/** What a missed-message email says. */
export interface MissedMessagesModel {
  recipientName: string;
  items: readonly MissedItem[];
  /** One unsubscribe link per kind in the email. */
  unsubscribe: ReadonlyArray<{ name: string; url: string }>;
}

/** What a verification email says. */
export interface VerificationModel {
  recipientName: string;
  verifyUrl: string;
  /** How long the link works. */
  hours: number;
}

type Template = (context: object) => string;

// Templates are read from src/ (as the subgraphs read their schema), so they work from src/ and dist/ alike.
const TEMPLATES = path.join(__dirname, '..', '..', 'src', 'email', 'templates');

// The HTML bodies escape every value (Handlebars' `{{…}}`): message text can never add markup. The text bodies
// are plain text, where markup means nothing: the same values go in unescaped (an environment with `noEscape`).
const html = Handlebars.create();
const text = Handlebars.create();

function compile(name: string): { html: Template; text: Template } {
  const read = (ext: string) => fs.readFileSync(path.join(TEMPLATES, `${name}.${ext}.hbs`), 'utf8');
  return {
    html: html.compile(read('html'), { strict: true }),
    text: text.compile(read('txt'), { strict: true, noEscape: true }),
  };
}

/**
 * The emails' templates (Handlebars, in `src/email/templates`), compiled once. Every value is also made safe for
 * plain text first: line breaks normalised to `\n`, other control characters (escape sequences, a lone `\r`)
 * removed, and long texts cut, so a message cannot forge lines or break the layout of the text body either.
 */
export class EmailTemplates {
  private readonly missed = compile('missedMessages');
  private readonly verification = compile('verification');

  /** A missed-message email about one or more notifications. */
  missedMessages(model: MissedMessagesModel): RenderedEmail {
    const n = model.items.length;
    const subject = n === 1 ? 'You have an unread message on chatgraph' : `You have ${n} unread messages on chatgraph`;
    const context = {
      subject,
      recipientName: plain(model.recipientName, 64),
      intro: n === 1 ? 'A message is waiting for you:' : `${n} messages are waiting for you:`,
      items: model.items.map((i) => ({ heading: plain(i.heading, 200), text: plain(i.text, MAX_TEXT) })),
      unsubscribe: model.unsubscribe,
    };
    return { subject, text: this.missed.text(context), html: this.missed.html(context) };
  }

  /** The email with the link that verifies an address. */
  verificationEmail(model: VerificationModel): RenderedEmail {
    const subject = 'Verify your email address for chatgraph';
    const context = { ...model, subject, recipientName: plain(model.recipientName, 64) };
    return { subject, text: this.verification.text(context), html: this.verification.html(context) };
  }
}

/** Longest message text quoted in an email (the rest is in the app). */
const MAX_TEXT = 1000;

// Any control character but \n and \t, and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;

/** A value made safe for a plain-text body: `\n` line breaks only, no control characters, at most `max` characters. */
export function plain(value: string, max: number): string {
  const clean = value.replace(/\r\n?/g, '\n').replace(CONTROL, '');
  const chars = [...clean];
  return chars.length <= max ? clean : `${chars.slice(0, max).join('')}…`;
}
