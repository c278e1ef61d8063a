/**
 * Opaque page cursors of the inbox: base64 of `notification:<seq>`. Clients must not build them; decoding returns null
 * for anything this service did not make.
 */

/** The cursor of a notification (its seq in the inbox). */
export function notificationCursor(seq: number): string {
  return Buffer.from(`notification:${seq}`, 'utf8').toString('base64');
}

/** The seq in a notification cursor, or null when the cursor is not one. */
export function parseNotificationCursor(cursor: string): number | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(cursor) || cursor.length > 100) return null;
  const m = /^notification:(\d{1,10})$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!m) return null;
  const seq = Number(m[1]);
  return seq >= 1 && seq <= 2_147_483_647 ? seq : null;
}
