/**
 * Checks shared by every argument that holds human text (message texts, chat titles, display names). Each is one
 * linear scan of the string.
 */

// Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they reorder the text around them
// on screen, the classic way to make `exe.txt` read as `txt.exe` or to disguise a name.
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;

// Something a reader can see: a letter, digit, punctuation or symbol — except the Hangul and Braille "blank" letters
// that render as nothing (U+115F, U+1160, U+3164, U+FFA0, U+2800).
// With the `u` flag a string is read by code points: a surrogate pair is one astral code point, so only a lone
// surrogate matches the surrogate category.
const LONE_SURROGATE = /\p{Cs}/u;

const VISIBLE = /(?![\u115F\u1160\u3164\uFFA0\u2800])[\p{L}\p{N}\p{P}\p{S}]/u;

/**
 * True when `text` is well-formed UTF-16: no lone surrogate. A lone surrogate cannot be stored as UTF-8 (Postgres
 * would replace it, silently altering the text and breaking idempotent retries); it never comes from real typing.
 */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** True when `text` contains a bidirectional override, embedding or isolate control. */
export function hasBidiControl(text: string): boolean {
  return BIDI_CONTROL.test(text);
}

/** True when `text` has at least one visible character (not only spaces, format and filler characters). */
export function hasVisibleCharacter(text: string): boolean {
  return VISIBLE.test(text);
}
