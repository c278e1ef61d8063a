/**
 * PostgreSQL WAL positions (`pg_lsn`, printed `16/B374D848`) as bigints: byte offsets in the WAL, so that positions
 * compare and subtract (lag in bytes).
 */
export type Lsn = bigint;

/** Parses `X/Y` (hex) as printed by Postgres; null for null (e.g. `pg_last_wal_replay_lsn()` on a primary). */
export function parseLsn(text: string | null | undefined): Lsn | null {
  if (text === null || text === undefined) return null;
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!match) throw new Error(`not a WAL position: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** The position as 16 hex digits: strings that sort as the positions do (what the write-position store keeps). */
export function lsnKey(lsn: Lsn): string {
  return lsn.toString(16).toUpperCase().padStart(16, '0');
}

/** The inverse of {@link lsnKey}. */
export function lsnFromKey(key: string): Lsn {
  if (!/^[0-9A-F]{16}$/.test(key)) throw new Error(`not a WAL position key: ${key}`);
  return BigInt(`0x${key}`);
}
