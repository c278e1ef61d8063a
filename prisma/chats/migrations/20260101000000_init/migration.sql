-- Instagram-style ids: 42 bits of milliseconds since 2025-01-01T00:00:00Z | 12 bits logical shard | 10 bits sequence.
-- The sequence comes from a Postgres sequence of this physical database, so any number of processes can generate
-- ids for the logical shards of this database without coordinating: two ids of the same logical shard in the same
-- millisecond differ in the sequence bits (up to 1024 ids per millisecond per database).
CREATE SEQUENCE chatgraph_id_seq;

CREATE FUNCTION chatgraph_next_id(logical_shard integer) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  epoch_ms constant bigint := 1735689600000;
  now_ms bigint;
  seq_id bigint;
BEGIN
  IF logical_shard < 0 OR logical_shard > 4095 THEN
    RAISE EXCEPTION 'logical shard % out of range 0..4095', logical_shard;
  END IF;
  seq_id := nextval('chatgraph_id_seq') % 1024;
  now_ms := floor(extract(epoch FROM clock_timestamp()) * 1000);
  RETURN ((now_ms - epoch_ms) << 22) | (logical_shard::bigint << 10) | seq_id;
END
$$;


CREATE TABLE chats (
  id               bigint PRIMARY KEY,
  kind             text NOT NULL CHECK (kind IN ('DIRECT', 'GROUP')),
  title            text,
  direct_key       text UNIQUE,
  created_by       bigint NOT NULL,
  created_at       timestamptz(3) NOT NULL DEFAULT now(),
  last_seq         integer NOT NULL DEFAULT 0,
  last_activity_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE chat_members (
  chat_id       bigint NOT NULL REFERENCES chats (id),
  user_id       bigint NOT NULL,
  role          text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER')),
  joined_at     timestamptz(3) NOT NULL DEFAULT now(),
  last_read_seq integer NOT NULL DEFAULT 0,
  PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_members_user_id_idx ON chat_members (user_id);

CREATE TABLE chat_events (
  chat_id        bigint NOT NULL REFERENCES chats (id),
  seq            integer NOT NULL CHECK (seq > 0),
  type           text NOT NULL CHECK (type IN ('MESSAGE_ADDED', 'MESSAGE_EDITED', 'MESSAGE_DELETED',
                                               'MEMBER_ADDED', 'MEMBER_REMOVED', 'CHAT_UPDATED')),
  actor_id       bigint NOT NULL,
  message_id     bigint,
  member_user_id bigint,
  at             timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (chat_id, seq)
);

CREATE TABLE messages (
  id                bigint PRIMARY KEY,
  chat_id           bigint NOT NULL REFERENCES chats (id),
  seq               integer NOT NULL,
  author_id         bigint NOT NULL,
  text              text NOT NULL,
  client_message_id text NOT NULL,
  created_at        timestamptz(3) NOT NULL DEFAULT now(),
  edited_at         timestamptz(3),
  deleted_at        timestamptz(3),
  UNIQUE (chat_id, seq),
  UNIQUE (chat_id, author_id, client_message_id)
);

CREATE TABLE user_chats (
  user_id   bigint NOT NULL,
  chat_id   bigint NOT NULL,
  joined_at timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, chat_id)
);

CREATE TABLE index_outbox (
  id         bigserial PRIMARY KEY,
  user_id    bigint NOT NULL,
  chat_id    bigint NOT NULL,
  op         text NOT NULL CHECK (op IN ('ADD', 'REMOVE')),
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX index_outbox_created_at_idx ON index_outbox (created_at);
