import { ID_EPOCH_MS, LOGICAL_SHARDS, SEQUENCE_BITS, SEQUENCES_PER_MS, SHARD_BITS, TIME_BITS } from './idScheme';

/**
 * The SQL that (re)defines `chatgraph_next_id(logical_shard)` and its sequence in a service database, rendered from
 * the id layout in `idScheme.ts`, so that the generator in Postgres and the decoder in TypeScript cannot drift.
 *
 * It is not run from here: migrations are files, checksummed once applied. The newest shared migration that defines
 * the function must equal this text (a test checks it); changing the layout therefore means adding a migration with
 * the new output, never editing an applied one. Idempotent (`IF NOT EXISTS`, `OR REPLACE`), so it applies both to a
 * fresh database and to one whose init migration already created the function.
 */
export function nextIdFunctionSql(): string {
  const maxShard = LOGICAL_SHARDS - 1;
  const epoch = new Date(Number(ID_EPOCH_MS)).toISOString();
  return `-- chatgraph_next_id(logical_shard): 64-bit ids, ${TIME_BITS} bits of milliseconds since ${epoch} |
-- ${SHARD_BITS} bits of logical shard | ${SEQUENCE_BITS} bits of sequence. Rendered from the id layout in internal/ids
-- (nextIdFunctionSql), which also decodes the ids; a test keeps the two equal. The sequence belongs to the physical
-- database, so any number of processes make ids for its logical shards without coordinating: two ids of one logical
-- shard in one millisecond differ in the sequence bits (up to ${SEQUENCES_PER_MS} ids per millisecond per database).
CREATE SEQUENCE IF NOT EXISTS chatgraph_id_seq;

CREATE OR REPLACE FUNCTION chatgraph_next_id(logical_shard integer) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  epoch_ms constant bigint := ${ID_EPOCH_MS};
  now_ms bigint;
  seq_id bigint;
BEGIN
  IF logical_shard < 0 OR logical_shard > ${maxShard} THEN
    RAISE EXCEPTION 'logical shard % out of range 0..${maxShard}', logical_shard;
  END IF;
  seq_id := nextval('chatgraph_id_seq') % ${SEQUENCES_PER_MS};
  now_ms := floor(extract(epoch FROM clock_timestamp()) * 1000);
  RETURN ((now_ms - epoch_ms) << ${SHARD_BITS + SEQUENCE_BITS}) | (logical_shard::bigint << ${SEQUENCE_BITS}) | seq_id;
END
$$;
`;
}
