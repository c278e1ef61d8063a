-- Notifications service: one copy on every notifications shard, sharded by recipient (a user's inbox, its
-- notifications and push subscriptions live on the shard of the user id's logical shard).

-- One row per recipient: the seq of their newest notification. Adding notifications locks the row, so a
-- recipient's seqs are 1, 2, 3, ... in commit order with no gaps (what `notificationAdded` resumes by).
CREATE TABLE notification_inboxes (
  user_id  bigint PRIMARY KEY,
  last_seq integer NOT NULL DEFAULT 0
);

CREATE TABLE notifications (
  id           bigint PRIMARY KEY,
  recipient_id bigint NOT NULL,
  seq          integer NOT NULL CHECK (seq > 0),
  kind         text NOT NULL CHECK (kind IN ('DIRECT_MESSAGE', 'MENTION', 'REPLY', 'REACTION', 'ADDED_TO_CHAT')),
  -- The chat event that caused it (chat_id:event_seq): with the recipient, the identity that makes a redelivered
  -- event a no-op.
  chat_id      bigint NOT NULL,
  event_seq    integer NOT NULL,
  message_id   bigint,
  actor_id     bigint NOT NULL,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  read_at      timestamptz(3),
  -- When Web Push was dealt with (sent, or not needed: recipient online, no subscription, push disabled).
  pushed_at    timestamptz(3),
  UNIQUE (recipient_id, seq),
  UNIQUE (recipient_id, chat_id, event_seq)
);
CREATE INDEX notifications_unread_idx ON notifications (recipient_id, seq) WHERE read_at IS NULL;

-- Web Push subscriptions (RFC 8030 endpoint, RFC 8291 keys) of a user.
CREATE TABLE push_subscriptions (
  user_id    bigint NOT NULL,
  endpoint   text NOT NULL,
  p256dh     text NOT NULL,
  auth       text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, endpoint)
);
