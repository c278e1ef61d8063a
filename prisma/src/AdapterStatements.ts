import type { PrismaPg } from '@prisma/adapter-pg';

/** A shard's connected Prisma pg driver adapter: the layer under the Prisma client that talks to the `pg` pool. */
export type ShardAdapter = Awaited<ReturnType<PrismaPg['connect']>>;
type SqlQuery = Parameters<ShardAdapter['queryRaw']>[0];
type ArgType = SqlQuery['argTypes'][number];
type ResultSet = Awaited<ReturnType<ShardAdapter['queryRaw']>>;

/** A statement with numbered parameters, as `Prisma.sql` builds it (`text` has `$1`, `$2`, ... for `values`). */
export interface SqlStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

// The adapter's column types (`ColumnTypeEnum` of @prisma/driver-adapter-utils) that decode differently from what pg
// hands over: pg gives int8 as a string, and the adapter gives timestamps as ISO strings.
const INT64 = 1;
const DATE_TIME = 10;
const JSON_VALUE = 11;
const INT64_ARRAY = 65;
const DATE_TIME_ARRAY = 74;

const SCALAR: ArgType = { scalarType: 'unknown', arity: 'scalar' };
const LIST: ArgType = { scalarType: 'unknown', arity: 'list' };
const DATE: ArgType = { scalarType: 'datetime', arity: 'scalar' };

function argTypeOf(value: unknown): ArgType {
  if (Array.isArray(value)) return LIST;
  return value instanceof Date ? DATE : SCALAR;
}

function decode(value: unknown, columnType: number): unknown {
  if (value === null) return null;
  switch (columnType) {
    case INT64:
      return BigInt(value as string | number);
    case INT64_ARRAY:
      return (value as Array<string | null>).map((v) => (v === null ? null : BigInt(v)));
    case DATE_TIME:
      return new Date(value as string);
    case DATE_TIME_ARRAY:
      return (value as Array<string | null>).map((v) => (v === null ? null : new Date(v)));
    case JSON_VALUE:
      return typeof value === 'string' ? JSON.parse(value) : value;
    default:
      return value;
  }
}

/**
 * The rows of a result set as objects keyed by column name, typed as `$queryRaw` types them for the column types our
 * statements on it return: int8 and int8[] as bigint, timestamps and their arrays as Date, json parsed, the rest as
 * `pg` gives them. Numeric, date, time and json-array columns are not decoded (`$queryRaw` gives Decimal, Date and
 * parsed values for those): decode them here before a statement that returns them moves onto the adapter.
 */
function rowsOf<T>(result: ResultSet): T[] {
  const { columnNames, columnTypes } = result;
  return result.rows.map((values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columnNames.length; i++) row[columnNames[i]!] = decode(values[i], columnTypes[i]!);
    return row as T;
  });
}

/**
 * Runs statements on one shard's driver adapter directly, under the Prisma client: the same `pg` pool (its breaker,
 * fence and statement counts), the same prepared statement names (`preparedStatements`), the same errors
 * (`DriverAdapterError`, which `postgresError` and the outage mapping read), and rows typed as `$queryRaw` types
 * them (int8 as bigint, timestamps as Date, json parsed). What it skips is the Prisma client's own work per call:
 * serializing the arguments into a query plan, interpreting the plan, deserializing the result; 38 % of the send
 * statement's CPU in the bench's profile. For the statements every message send runs (the send itself and its
 * members' chat-list updates), whose cost per call matters most; every other statement goes through the Prisma
 * client. Always the shard's primary, never a replica.
 */
export class AdapterStatements {
  private adapter?: Promise<ShardAdapter>;

  constructor(private readonly factory: PrismaPg) {}

  /** The rows of one statement (outside any transaction: it commits on its own). */
  async rows<T>(statement: SqlStatement): Promise<T[]> {
    const adapter = await this.connected();
    return rowsOf<T>(await adapter.queryRaw(queryOf(statement)));
  }

  /** Runs one statement (outside any transaction: it commits on its own); resolves with the rows it affected. */
  async execute(statement: SqlStatement): Promise<number> {
    const adapter = await this.connected();
    return adapter.executeRaw(queryOf(statement));
  }

  /** Lets go of the adapter (the pool itself is ended by its owner). */
  async close(): Promise<void> {
    const adapter = this.adapter;
    this.adapter = undefined;
    await adapter?.then((a) => a.dispose()).catch(() => undefined);
  }

  private connected(): Promise<ShardAdapter> {
    return (this.adapter ??= this.factory.connect());
  }
}

/** A statement as the adapter takes it. */
function queryOf(statement: SqlStatement): SqlQuery {
  const args = statement.values as unknown[];
  return { sql: statement.text, args, argTypes: args.map(argTypeOf) };
}
