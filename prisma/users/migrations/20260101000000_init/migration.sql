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

CREATE TABLE users (
  id            bigint PRIMARY KEY,
  username      text NOT NULL,
  display_name  text NOT NULL,
  password_hash text NOT NULL,
  created_at    timestamptz(3) NOT NULL DEFAULT now(),
  updated_at    timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE username_directory (
  username   text PRIMARY KEY CHECK (username = lower(username)),
  user_id    bigint NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
