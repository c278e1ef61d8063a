/**
 * A new `clientMessageId`: a random UUID (36 characters of 0-9 a-f and `-`, within the API's 1..64 of
 * `A-Z a-z 0-9 _ -`). `crypto.randomUUID` exists only in secure contexts (https, localhost) in browsers, so elsewhere
 * the same format is built from `crypto.getRandomValues`.
 */
export function newClientMessageId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
