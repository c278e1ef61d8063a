import { badInput } from '@chatgraph/errors';
import { parseId } from '@chatgraph/ids';
import { hasBidiControl, hasVisibleCharacter, isWellFormedText } from '@chatgraph/service';

/**
 * The argument rules of the users API. Each function returns the canonical value or throws `BAD_USER_INPUT` with
 * `extensions.field` naming the argument, before anything is read or written.
 */

const USERNAME = /^[a-z0-9_]{3,32}$/;
// C0/C1 controls (newlines, tabs, escape sequences) and the Unicode line/paragraph separators would break how a name
// is shown in every client.
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;

/** Code points, not UTF-16 units: an emoji counts as one character. */
function length(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** A username in canonical (lower-case) form: 3–32 characters of a–z, 0–9 and _ after lower-casing. */
export function canonicalUsername(value: string, field = 'username'): string {
  const name = value.toLowerCase();
  if (!USERNAME.test(name)) {
    const n = length(value);
    throw badInput(
      field,
      n < 3 || n > 32
        ? `The username must be 3 to 32 characters long (got ${n}).`
        : 'The username may only contain letters a–z, digits 0–9 and _.',
    );
  }
  return name;
}

/** A new password: 8–256 characters. */
export function newPassword(value: string, field = 'password'): string {
  const n = length(value);
  if (n < 8 || n > 256) throw badInput(field, `The password must be 8 to 256 characters long (got ${n}).`);
  return value;
}

/**
 * A password given to logIn: only bounded (1–256), so that an account stays reachable even if the rules for new
 * passwords change, and a huge value cannot make the server hash megabytes.
 */
export function givenPassword(value: string, field = 'password'): string {
  const n = length(value);
  if (n < 1 || n > 256) throw badInput(field, `The password must be 1 to 256 characters long (got ${n}).`);
  return value;
}

/**
 * A display name: trimmed and NFC-normalized, 1–64 characters, well-formed, no control characters, no bidirectional
 * overrides (they disguise names), and at least one visible character (no names made of invisible characters).
 */
export function displayName(value: string, field = 'displayName'): string {
  if (!isWellFormedText(value)) throw badInput(field, 'The display name contains a lone surrogate (broken UTF-16).');
  const name = value.normalize('NFC').trim();
  if (CONTROL.test(name)) throw badInput(field, 'The display name must not contain control characters or line breaks.');
  if (hasBidiControl(name))
    throw badInput(field, 'The display name must not contain bidirectional override or isolate characters.');
  if (!hasVisibleCharacter(name)) throw badInput(field, 'The display name must contain a visible character.');
  const n = length(name);
  if (n < 1 || n > 64)
    throw badInput(field, `The display name must be 1 to 64 characters long after trimming (got ${n}).`);
  return name;
}

/** A user id argument (decimal string of a 64-bit id). */
export function userId(value: string, field = 'id'): bigint {
  const id = parseId(value);
  if (id === null) throw badInput(field, `${JSON.stringify(value.slice(0, 40))} is not a valid user id.`);
  return id;
}

// An address as mail servers take it (RFC 5321 limits): a dot-atom local part of at most 64 characters (no quoted
// forms), a domain of letter-digit-hyphen labels (an IDN in its xn-- form) with a dot, at most 254 characters in all.
// No quantifier nests or overlaps another, so matching is linear in the input.
const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const EMAIL_DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * An email address: trimmed, at most 254 characters, `local@domain` with a dot-atom local part (1–64 characters) and
 * a domain of at least two labels; the domain is stored in lower case. Anything else (spaces, line breaks, quoted
 * local parts, IP literals, display names) is BAD_USER_INPUT.
 */
export function emailAddress(value: string, field = 'email'): string {
  const address = value.trim();
  if (address.length > 254)
    throw badInput(field, `The email address must be at most 254 characters (got ${address.length}).`);
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (at < 1 || local.length > 64 || !EMAIL_LOCAL.test(local) || !EMAIL_DOMAIN.test(domain))
    throw badInput(field, 'The email address must look like name@example.com.');
  return `${local}@${domain.toLowerCase()}`;
}
