-- chatgraph_next_id(logical_shard): 64-bit ids, 42 bits of milliseconds since 2025-01-01T00:00:00.000Z |
-- 12 bits of logical shard | 10 bits of sequence. Rendered from the id layout in internal/ids
-- (nextIdFunctionSql), which also decodes the ids; a test keeps the two equal. The sequence belongs to the physical
-- database, so any number of processes make ids for its logical shards without coordinating: two ids of one logical
-- shard in one millisecond differ in the sequence bits (up to 1024 ids per millisecond per database).
CREATE SEQUENCE IF NOT EXISTS chatgraph_id_seq;

CREATE OR REPLACE FUNCTION chatgraph_next_id(logical_shard integer) RETURNS bigint
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
