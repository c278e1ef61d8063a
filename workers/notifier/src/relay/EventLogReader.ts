import type { Client } from 'pg';
import type { RelayedEvent } from './RelayedEvent';

/** A position in the commit-ordered log of one shard: (transaction id, chat id, seq). */
export interface LogPosition {
  xid: bigint;
  chatId: bigint;
  seq: number;
}

/** A batch of events and the position after its last one. */
export interface LogBatch {
  events: RelayedEvent[];
  /** The trace context each event was written in (`traceparent`, when that request was traced), by index. */
  traceparents: Array<string | null>;
  end: LogPosition;
}

/** What one read of the log found (see {@link EventLogReader.read}). */
export interface LogRead {
  batch: LogBatch | null;
  /** Committed events past the cursor wait above the bound, behind a transaction that is still open. */
  heldBack: boolean;
}

/** The row of a read that found no event below the bound: only whether some are held back. */
interface HeldOnly {
  xid: null;
  held: boolean;
}

interface Row {
  xid: string;
  chat_id: string;
  seq: number;
  type: string;
  actor_id: string;
  at: Date;
  member_user_id: string | null;
  kind: 'DIRECT' | 'GROUP';
  direct_key: string | null;
  message_id: string | null;
  author_id: string | null;
  text: string | null;
  created_at: Date | null;
  edited_at: Date | null;
  deleted_at: Date | null;
  mention_ids: string[] | null;
  traceparent: string | null;
  reply_to_author_id: string | null;
  held: boolean;
}

/**
 * The relay's SQL on one chats shard, on the relay's own connection (the one holding its lock).
 *
 * Commit order: event rows carry the id of the transaction that wrote them (`chat_events.xid`). A batch reads only
 * rows with `xid < pg_snapshot_xmin(pg_current_snapshot())`: every transaction with such an id has ended, so no row
 * can still appear below that bound, while a transaction that is still open (and took its seq earlier) is simply
 * read by a later batch. In (xid, chat_id, seq) order the cursor only moves forward and never passes a row that is
 * yet to commit. A long-open transaction anywhere on the server holds the bound back (delays, never loses). After a
 * shard move the new server's transaction ids are shifted by `event_log_clock.xid_offset` (in the column's default
 * and in this bound), so its rows order after every copied one.
 */
export const EventLogReader = {
  /** The relay's cursor, created at the current bound when the relay first runs (it starts with new events). */
  async cursor(client: Client, relay: string): Promise<LogPosition> {
    await client.query(
      `INSERT INTO event_relay_cursors (relay, xid, chat_id, seq)
       VALUES ($1, pg_snapshot_xmin(pg_current_snapshot())::text::bigint + (SELECT xid_offset FROM event_log_clock), 0, 0)
       ON CONFLICT (relay) DO NOTHING`,
      [relay],
    );
    const { rows } = await client.query<{ xid: string; chat_id: string; seq: number }>(
      'SELECT xid::text, chat_id::text, seq FROM event_relay_cursors WHERE relay = $1',
      [relay],
    );
    const row = rows[0]!;
    return { xid: BigInt(row.xid), chatId: BigInt(row.chat_id), seq: row.seq };
  },

  /**
   * Up to `limit` committed events after `after`, in commit order, with what the consumers need of them (null when
   * there are none below the bound), and whether committed events past `after` wait above the bound (`heldBack`: an
   * older transaction, anywhere on the server, is still open; they are read once it ends). One statement.
   */
  async read(client: Client, after: LogPosition, limit: number): Promise<LogRead> {
    const { rows } = await client.query<Row | HeldOnly>(
      `WITH bound AS (
         SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint + (SELECT xid_offset FROM event_log_clock) AS xid
       ), batch AS (
         SELECT e.xid, e.chat_id, e.seq, e.type, e.actor_id, e.at, e.member_user_id, c.kind, c.direct_key,
                m.id AS message_id, m.author_id, m.text, m.created_at, m.edited_at, m.deleted_at, m.mention_ids,
                e.traceparent,
                p.author_id AS reply_to_author_id
           FROM chat_events e
           JOIN chats c ON c.id = e.chat_id
           LEFT JOIN messages m ON m.id = e.message_id
           LEFT JOIN messages p ON p.id = m.reply_to_id
          WHERE (e.xid, e.chat_id, e.seq) > ($1::bigint, $2::bigint, $3::int)
            AND e.xid < (SELECT xid FROM bound)
          ORDER BY e.xid, e.chat_id, e.seq
          LIMIT $4
       )
       SELECT b.xid::text, b.chat_id::text, b.seq, b.type, b.actor_id::text, b.at, b.member_user_id::text, b.kind,
              b.direct_key, b.message_id::text, b.author_id::text, b.text, b.created_at, b.edited_at, b.deleted_at,
              b.mention_ids::text[], b.traceparent, b.reply_to_author_id::text, h.held
         FROM (SELECT EXISTS (
                 SELECT 1 FROM chat_events x
                  WHERE (x.xid, x.chat_id, x.seq) > ($1::bigint, $2::bigint, $3::int)
                    AND x.xid >= (SELECT xid FROM bound)
               ) AS held) h
         LEFT JOIN batch b ON true
        ORDER BY b.xid, b.chat_id, b.seq`,
      [after.xid.toString(), after.chatId.toString(), after.seq, limit],
    );
    const heldBack = rows[0]?.held === true;
    const events = rows.filter((r): r is Row => r.xid !== null);
    const last = events.at(-1);
    if (!last) return { batch: null, heldBack };
    return {
      batch: {
        events: events.map(toEvent),
        traceparents: events.map((r) => r.traceparent),
        end: { xid: BigInt(last.xid), chatId: BigInt(last.chat_id), seq: last.seq },
      },
      heldBack,
    };
  },

  /** Moves the cursor forward (never back: a relay that lost its lock cannot undo another's progress). */
  async advance(client: Client, relay: string, to: LogPosition): Promise<void> {
    await client.query(
      `UPDATE event_relay_cursors SET xid = $2, chat_id = $3, seq = $4, updated_at = now()
        WHERE relay = $1 AND (xid, chat_id, seq) < ($2::bigint, $3::bigint, $4::int)`,
      [relay, to.xid.toString(), to.chatId.toString(), to.seq],
    );
  },
};

function toEvent(row: Row): RelayedEvent {
  return {
    v: 1,
    chatId: row.chat_id,
    seq: row.seq,
    type: row.type,
    actorId: row.actor_id,
    at: row.at.toISOString(),
    chat: { kind: row.kind, directUserIds: row.kind === 'DIRECT' && row.direct_key ? row.direct_key.split(':') : [] },
    message:
      row.message_id === null
        ? null
        : {
            id: row.message_id,
            authorId: row.author_id!,
            text: row.text ?? '',
            replyToAuthorId: row.reply_to_author_id,
            createdAt: row.created_at!.toISOString(),
            editedAt: row.edited_at?.toISOString() ?? null,
            deleted: row.deleted_at !== null,
            mentionIds: row.mention_ids ?? [],
          },
    memberUserId: row.member_user_id,
  };
}
