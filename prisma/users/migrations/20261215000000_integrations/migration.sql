-- Bots and API tokens.
--
-- A bot is a user row like any other (it lives on the shard of hash(username), with its directory entry), marked
-- is_bot and owned by the user who created it; it has no password (nobody signs in to it) and acts only through API
-- tokens. Listing a user's bots reads the owner_id index on every users shard (rare; no two-shard write at creation).
ALTER TABLE users ADD COLUMN is_bot boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN owner_id bigint;
CREATE INDEX users_owner_id_idx ON users (owner_id) WHERE owner_id IS NOT NULL;

-- API tokens, on their owner's shard (the id is made on the owner's logical shard, so `cgt_<id>.<secret>` names the
-- shard to verify it on). Only a SHA-256 hash of the whole token is stored. `user_id` is who the token acts as: the
-- owner, or one of the owner's bots.
CREATE TABLE api_tokens (
  id           bigint PRIMARY KEY,
  owner_id     bigint NOT NULL,
  user_id      bigint NOT NULL,
  name         text NOT NULL,
  token_hash   text NOT NULL,
  scopes       text[] NOT NULL,
  created_at   timestamptz(3) NOT NULL,
  expires_at   timestamptz(3),
  -- Written at most once a minute per token (when a gateway verifies it), never per request.
  last_used_at timestamptz(3),
  revoked_at   timestamptz(3)
);
CREATE INDEX api_tokens_owner_id_idx ON api_tokens (owner_id, id);
