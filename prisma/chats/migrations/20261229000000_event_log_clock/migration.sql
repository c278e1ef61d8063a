-- chat_events.xid orders the event log by the transaction that wrote each row (see 20261201000000_event_relay), and
-- transaction ids belong to one server. When `shards:move` moves this database to another server, rows written there
-- must still order after every copied row: the move stores here how far the new server's transaction ids are shifted
-- (and sets the same shift in chat_events.xid's default). The relay adds it to its bound. Zero until a move.
CREATE TABLE event_log_clock (
  id         boolean PRIMARY KEY DEFAULT true CHECK (id),
  xid_offset bigint NOT NULL DEFAULT 0
);
INSERT INTO event_log_clock DEFAULT VALUES;
