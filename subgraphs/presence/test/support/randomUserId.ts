import { randomBytes } from 'node:crypto';

/** A well-formed user id no other test uses (so channels on the shared Redis never cross). */
export function randomUserId(): string {
  // 62 random bits: positive, within the 63-bit id range, no leading zero.
  const n = (randomBytes(8).readBigUInt64BE() >> 2n) | (1n << 61n);
  return n.toString();
}
