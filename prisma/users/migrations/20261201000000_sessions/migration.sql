-- Sessions: one per sign-in (logIn/signUp), on the user's shard (the id is made with chatgraph_next_id on the user's
-- logical shard, so a session id, and the refresh token that starts with it, names its shard). Refresh tokens rotate:
-- each refresh issues the next generation and retires the one presented. Only SHA-256 hashes of refresh tokens are
-- stored; a retired token is kept (as a hash) so that presenting it again is recognised as reuse, which revokes the
-- session. Rows go away with their session, which is deleted a day after its absolute expiry.
CREATE TABLE sessions (
  id             bigint PRIMARY KEY,
  user_id        bigint NOT NULL,
  -- The generation of the current refresh token: 1 at sign-in, +1 per refresh.
  generation     integer NOT NULL CHECK (generation >= 1),
  created_at     timestamptz(3) NOT NULL,
  -- The last sign-in or refresh: the idle expiry counts from here.
  last_used_at   timestamptz(3) NOT NULL,
  -- The absolute expiry: sign-in plus REFRESH_TTL_DAYS.
  expires_at     timestamptz(3) NOT NULL,
  revoked_at     timestamptz(3),
  revoked_reason text CHECK (revoked_reason IN ('logout', 'logout_everywhere', 'refresh_token_reused', 'account_deleted'))
);

CREATE INDEX sessions_user_id_idx ON sessions (user_id);
-- The sweeper deletes sessions a day after their absolute expiry (every session has ended by then).
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE session_refresh_tokens (
  session_id bigint NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  -- base64url of SHA-256 of the whole token: never the token itself.
  token_hash text NOT NULL,
  generation integer NOT NULL,
  created_at timestamptz(3) NOT NULL,
  -- When the next generation replaced it; null for the current token.
  rotated_at timestamptz(3),
  PRIMARY KEY (session_id, token_hash),
  UNIQUE (session_id, generation)
);

-- A deleted account stays as a tombstone (its messages keep an author shown as "Deleted user"; its username stays
-- reserved, so no one else can take it and be mistaken for the former owner).
ALTER TABLE users ADD COLUMN deleted_at timestamptz(3);
