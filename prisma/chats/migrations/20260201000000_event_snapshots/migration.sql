-- An event row keeps what it described when it happened, so that replaying the log (chatEventsSince) gives the same
-- ChatEvent that was published live: the member's role, join time and read marker for MEMBER_ADDED/MEMBER_REMOVED
-- (a removed member's row is gone afterwards), and the new title for CHAT_UPDATED.
ALTER TABLE chat_events
  ADD COLUMN member_role text CHECK (member_role IN ('OWNER', 'ADMIN', 'MEMBER')),
  ADD COLUMN member_joined_at timestamptz(3),
  ADD COLUMN member_last_read_seq integer,
  ADD COLUMN title text;
