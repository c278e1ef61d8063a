-- Blocks: who blocked whom, on the blocker's shard (listing one's own blocks reads one shard; "who among these users
-- blocked me" reads the shards of those users, one statement each).
CREATE TABLE user_blocks (
  blocker_id bigint NOT NULL,
  blocked_id bigint NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (blocker_id, blocked_id)
);
