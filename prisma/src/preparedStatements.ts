import { createHash } from 'node:crypto';

/** The marker a raw statement starts with to be prepared once per connection: `/* prepared: send_message *\/`. */
const MARKER = /^\s*\/\* prepared: ([a-z][a-z0-9_]{0,40}) \*\//;

/** Names given so far, by marker, with the texts they name (only marked statements: a handful per service). */
const byMarker = new Map<string, Array<{ sql: string; name: string }>>();

/**
 * The `statementNameGenerator` of our Prisma driver adapters: a raw statement whose SQL starts with the
 * `/* prepared: <name> *\/` marker gets a name, so `pg` prepares it once per connection and afterwards sends only its
 * parameters (no parse or plan of the text on every call); every other statement stays unnamed. The name carries a
 * hash of the text, so two texts under one marker (a changed statement after a deploy) never share a name. Only
 * statements whose text does not vary with their arguments may be marked: each distinct text is one prepared
 * statement per connection, for the connection's life.
 */
export function preparedStatementName(query: { sql: string }): string | undefined {
  // Every statement passes here: an unmarked one fails the anchored marker at its first characters, before any
  // lookup that would hash its whole text.
  const marked = MARKER.exec(query.sql);
  if (!marked) return undefined;
  // Found by marker, then by comparing texts: a Map keyed by the text would hash the whole text (kilobytes, a new
  // string on every call) each time, 4 % of the send's CPU in the bench's profile; a comparison with the one text a
  // marker usually has is a memory compare.
  const marker = marked[1]!;
  const known = byMarker.get(marker);
  if (known) for (const entry of known) if (entry.sql === query.sql) return entry.name;
  const name = `${marker}_${createHash('sha1').update(query.sql).digest('hex').slice(0, 12)}`;
  if (known) known.push({ sql: query.sql, name });
  else byMarker.set(marker, [{ sql: query.sql, name }]);
  return name;
}

/**
 * Options of every `PrismaPg` adapter we create. The adapter hands the generator's result to `pg` as the query's
 * `name`, where undefined means an unnamed (unprepared) statement, although its type says string.
 */
export const adapterOptions = {
  statementNameGenerator: preparedStatementName as (query: { sql: string }) => string,
};
