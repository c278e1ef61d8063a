-- The notification relay publishes the event log in COMMIT order. Seqs are taken at insert, and a transaction that
-- took seq 7 of one chat may commit after one that took seq 3 of another chat a moment later, so "every row after
-- the last one published" would skip rows that commit late. Each event row therefore records the id of the
-- transaction that wrote it (the default is evaluated by the inserting statement, whichever path inserts: the send
-- statement and EventLog.append alike). The relay reads only rows whose transaction id is below the xmin of its
-- snapshot: every transaction below xmin has ended, so no row can appear there any more. Ordered by
-- (xid, chat_id, seq), that is a total order in which nothing is skipped; the relay's cursor is a position in it.
ALTER TABLE chat_events ADD COLUMN xid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX chat_events_xid_idx ON chat_events (xid, chat_id, seq);

-- Where each relay of this shard has published up to (advanced only after the broker confirmed the messages).
CREATE TABLE event_relay_cursors (
  relay      text PRIMARY KEY,
  xid        bigint NOT NULL,
  chat_id    bigint NOT NULL,
  seq        integer NOT NULL,
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);

-- The notifications relay starts right after this migration: the rows that exist now got this transaction's id from
-- the new column's default, and the cursor is placed after all of them, so history is not turned into notifications
-- while every event written from now on is, whenever the first relay starts.
INSERT INTO event_relay_cursors (relay, xid, chat_id, seq)
VALUES ('notifications', pg_current_xact_id()::text::bigint, 9223372036854775807, 2147483647);
