import { badInput } from '@chatgraph/errors';
import { hasVisibleCharacter, isWellFormedText } from '@chatgraph/service';

/** Longest emoji argument, in UTF-16 code units (a family ZWJ sequence with skin tones is about 25). */
export const MAX_EMOJI_LENGTH = 32;
/** Most distinct `@username`s of one message that become mentions (later ones are plain text). */
export const MAX_MENTIONS = 20;
/** Longest search query, in characters. */
export const MAX_SEARCH_QUERY_LENGTH = 200;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
/** A pictographic character, a regional indicator (flags) or a combining keycap (1️⃣). */
const EMOJI_PART = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;

/**
 * A reaction's emoji: exactly one grapheme cluster (as `Intl.Segmenter` splits text: a ZWJ sequence, a flag or a
 * skin-toned emoji is one) that contains an emoji, at most {@link MAX_EMOJI_LENGTH} UTF-16 units. The length is
 * checked before anything else, so the work is bounded by it.
 */
export function emojiArg(value: unknown, field = 'emoji'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_EMOJI_LENGTH)
    throw badInput(field, `${field} must be one emoji (1 to ${MAX_EMOJI_LENGTH} UTF-16 units).`);
  if (!isWellFormedText(value)) throw badInput(field, `${field} contains a lone surrogate (broken UTF-16).`);
  let count = 0;
  for (const _ of graphemes.segment(value)) if (++count > 1) break;
  if (count !== 1 || !EMOJI_PART.test(value))
    throw badInput(field, `${field} must be a single emoji, such as 👍 or 🇫🇷 (got ${JSON.stringify(value)}).`);
  return value;
}

/**
 * The distinct usernames a text names as `@username` (3..32 of A-Z a-z 0-9 _, not inside a word or an address), in
 * lower case, in order of appearance, at most {@link MAX_MENTIONS}.
 */
export function mentionedUsernames(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/(?<![A-Za-z0-9_@])@([A-Za-z0-9_]{3,32})(?![A-Za-z0-9_])/g)) {
    names.add(match[1]!.toLowerCase());
    if (names.size === MAX_MENTIONS) break;
  }
  return [...names];
}

/** A search query: 1..{@link MAX_SEARCH_QUERY_LENGTH} characters with at least one letter or digit. */
export function searchQueryArg(value: unknown, field = 'query'): string {
  const query = typeof value === 'string' ? value.trim() : '';
  if (query.length === 0 || !hasVisibleCharacter(query)) throw badInput(field, `${field} must not be empty.`);
  if (query.length > MAX_SEARCH_QUERY_LENGTH)
    throw badInput(field, `${field} may be at most ${MAX_SEARCH_QUERY_LENGTH} characters.`);
  if (query.includes('\u0000') || !isWellFormedText(query))
    throw badInput(field, `${field} contains NUL or a lone surrogate.`);
  if (!/[\p{L}\p{N}]/u.test(query)) throw badInput(field, `${field} must contain a letter or a digit.`);
  return query;
}
