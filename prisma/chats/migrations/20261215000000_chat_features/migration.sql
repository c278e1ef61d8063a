-- Chat features: replies and threads, mentions, pins, reactions, full-text search, bans and mutes.

-- Replies and threads. A reply names the message it answers (reply_to_id) and the root of its thread
-- (thread_root_id: the root's own id when replying to a root, else the root of the message replied to), so a
-- thread is flat: every reply of a thread has the same root, and a thread page is one range read of
-- messages_thread_root_id_seq_idx on the chat's shard. reply_count is kept on the root by the send statement.
ALTER TABLE messages
  ADD COLUMN reply_to_id bigint,
  ADD COLUMN thread_root_id bigint,
  ADD COLUMN reply_count integer NOT NULL DEFAULT 0,
  -- Members named as @username when the message was sent (or last edited), in order of appearance.
  ADD COLUMN mention_ids bigint[] NOT NULL DEFAULT '{}',
  -- Pins: when and by whom the message was pinned (null: not pinned).
  ADD COLUMN pinned_at timestamptz(3),
  ADD COLUMN pinned_by bigint,
  -- Full-text search: words of the current text, language-agnostic ('simple': lower-cased, no stemming, no stop
  -- words). Generated, so an edit re-indexes the message and a delete (which wipes the text) removes it.
  ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED;

CREATE INDEX messages_thread_root_id_seq_idx ON messages (thread_root_id, seq) WHERE thread_root_id IS NOT NULL;
CREATE INDEX messages_chat_id_pinned_at_idx ON messages (chat_id, pinned_at) WHERE pinned_at IS NOT NULL;
CREATE INDEX messages_search_idx ON messages USING gin (search);

-- Reactions: one row per message, emoji and user (adding twice is one reaction). On the message's (chat's) shard.
CREATE TABLE message_reactions (
  message_id bigint NOT NULL REFERENCES messages (id),
  emoji      text NOT NULL,
  user_id    bigint NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, emoji, user_id)
);

-- New kinds of events, and the emoji of REACTION_ADDED / REACTION_REMOVED.
ALTER TABLE chat_events DROP CONSTRAINT chat_events_type_check;
ALTER TABLE chat_events
  ADD CONSTRAINT chat_events_type_check CHECK (type IN ('MESSAGE_ADDED', 'MESSAGE_EDITED', 'MESSAGE_DELETED',
                                                        'MEMBER_ADDED', 'MEMBER_REMOVED', 'CHAT_UPDATED',
                                                        'REACTION_ADDED', 'REACTION_REMOVED',
                                                        'MESSAGE_PINNED', 'MESSAGE_UNPINNED',
                                                        'MEMBER_BANNED', 'MEMBER_UNBANNED')),
  ADD COLUMN emoji text;

-- Bans: a banned user is not a member (the ban removes them) and cannot be added back until unbanned. On the chat's
-- shard, read under the chat row lock by addMembers.
CREATE TABLE chat_bans (
  chat_id   bigint NOT NULL REFERENCES chats (id),
  user_id   bigint NOT NULL,
  banned_by bigint NOT NULL,
  at        timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (chat_id, user_id)
);

-- Mutes: until when the member hears only mentions from the chat (null: not muted). The member's own setting.
ALTER TABLE chat_members ADD COLUMN muted_until timestamptz(3);
