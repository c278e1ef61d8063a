-- Unread counts and chat lists whose cost does not grow with history or with the number of chats.
--
-- Unread count of member m in chat c = messages by others after m's read marker that are not deleted
--   = (c.message_count - m.sent_count)   every message by others
--   - m.read_others                      ... of which at or before the read marker
--   - m.unread_deleted                   ... and the deleted ones after it
-- Every term is a column, so reading it costs the same at any history size. A send bumps c.message_count (the chat
-- row it already updates) and the author's m.sent_count; a delete bumps unread_deleted of the members who had not
-- read the message yet; markRead sets read_others from the two ordinals of the message at the marker (one index
-- lookup each) and recounts unread_deleted (deleted messages after the marker, through a partial index).

-- Each message's position among the chat's messages and among its author's messages in the chat.
ALTER TABLE messages ADD COLUMN chat_ordinal integer, ADD COLUMN author_ordinal integer;
UPDATE messages x
   SET chat_ordinal = o.chat_ordinal, author_ordinal = o.author_ordinal
  FROM (SELECT id,
               row_number() OVER (PARTITION BY chat_id ORDER BY seq) AS chat_ordinal,
               row_number() OVER (PARTITION BY chat_id, author_id ORDER BY seq) AS author_ordinal
          FROM messages) o
 WHERE o.id = x.id;
ALTER TABLE messages ALTER COLUMN chat_ordinal SET NOT NULL, ALTER COLUMN author_ordinal SET NOT NULL;
-- An author's messages by seq (their ordinal at a read marker; their count when they rejoin).
CREATE INDEX messages_chat_id_author_id_seq_idx ON messages (chat_id, author_id, seq);
-- Deleted messages by seq (how many are after a read marker); only deleted rows are in it.
CREATE INDEX messages_chat_id_seq_deleted_idx ON messages (chat_id, seq) WHERE deleted_at IS NOT NULL;

ALTER TABLE chats ADD COLUMN message_count integer NOT NULL DEFAULT 0;
UPDATE chats c SET message_count = x.n
  FROM (SELECT chat_id, count(*)::int AS n FROM messages GROUP BY chat_id) x
 WHERE x.chat_id = c.id;

ALTER TABLE chat_members
  ADD COLUMN sent_count integer NOT NULL DEFAULT 0,
  ADD COLUMN read_others integer NOT NULL DEFAULT 0,
  ADD COLUMN unread_deleted integer NOT NULL DEFAULT 0;
UPDATE chat_members m
   SET sent_count = coalesce((SELECT x.author_ordinal FROM messages x
                               WHERE x.chat_id = m.chat_id AND x.author_id = m.user_id
                               ORDER BY x.seq DESC LIMIT 1), 0),
       read_others = coalesce((SELECT x.chat_ordinal FROM messages x
                                WHERE x.chat_id = m.chat_id AND x.seq <= m.last_read_seq
                                ORDER BY x.seq DESC LIMIT 1), 0)
                   - coalesce((SELECT x.author_ordinal FROM messages x
                                WHERE x.chat_id = m.chat_id AND x.author_id = m.user_id AND x.seq <= m.last_read_seq
                                ORDER BY x.seq DESC LIMIT 1), 0),
       unread_deleted = (SELECT count(*)::int FROM messages x
                          WHERE x.chat_id = m.chat_id AND x.seq > m.last_read_seq AND x.deleted_at IS NOT NULL
                            AND x.author_id <> m.user_id);

-- The user -> chats index in activity order, so that a page of a user's chats reads that page and no more. Each row
-- keeps a copy of its chat's last_activity_at, brought forward after every commit that moves it (see
-- activity_outbox); rows of existing data start at the epoch (the end of the list) and are brought forward by the repairer.
ALTER TABLE user_chats ADD COLUMN last_activity_at timestamptz(3) NOT NULL DEFAULT 'epoch';
CREATE INDEX user_chats_user_id_last_activity_at_chat_id_idx ON user_chats (user_id, last_activity_at, chat_id);

-- Chats whose new activity time has not reached every member's user_chats row yet: written in the transaction that
-- moves last_activity_at, deleted once the members' rows have it. A row left behind (the process died in between)
-- is applied by the repairer. One row per chat, however many changes are pending.
CREATE TABLE activity_outbox (
  chat_id bigint PRIMARY KEY,
  at      timestamptz(3) NOT NULL
);
CREATE INDEX activity_outbox_at_idx ON activity_outbox (at);
-- Every existing chat, so that the repairer fills the index copies of existing data.
INSERT INTO activity_outbox (chat_id, at) SELECT id, last_activity_at FROM chats;
