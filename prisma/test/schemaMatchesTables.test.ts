import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import { databaseUrl, shardMapFor, type ShardedService } from '../src';
import { createTestDatabases, testConfig, type TestDatabases } from '@chatgraph/testing';

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: string;
  type: string;
  isRequired: boolean;
  isList: boolean;
  nativeType?: [string, string[]] | null;
}
interface DmmfModel {
  name: string;
  dbName?: string | null;
  fields: DmmfField[];
}

// Prisma scalar (and native type) → what information_schema reports for the migrated column.
function expectedPgType(field: DmmfField): string {
  if (field.isList) return 'ARRAY';
  const native = field.nativeType?.[0];
  if (native === 'Timestamptz') return 'timestamp with time zone';
  const byScalar: Record<string, string> = {
    BigInt: 'bigint',
    Int: 'integer',
    String: 'text',
    Boolean: 'boolean',
    DateTime: 'timestamp without time zone',
    Float: 'double precision',
    Json: 'jsonb',
  };
  const t = byScalar[field.type];
  if (!t) throw new Error(`no expectation for Prisma type ${field.type}`);
  return t;
}

/** Columns of `Unsupported(...)` fields of a model, read from the schema text (`name Unsupported(...) @map("col")`). */
function unsupportedColumns(schema: string, modelName: string): string[] {
  const body = new RegExp(`model ${modelName} \\{([^}]*)\\}`).exec(schema)?.[1] ?? '';
  return [...body.matchAll(/^\s*(\w+)\s+Unsupported\([^)]*\)\??(.*)$/gm)].map(
    (m) => /@map\("([^"]+)"\)/.exec(m[2]!)?.[1] ?? m[1]!,
  );
}

describe.each<ShardedService>(['users', 'chats', 'notifications'])(
  'the %s Prisma schema matches its migrated tables',
  (service) => {
    const config = testConfig({ USERS_SHARDS: '1', CHATS_SHARDS: '1', NOTIFICATIONS_SHARDS: '1' });
    let dbs: TestDatabases;
    let client: Client;
    const schema = fs.readFileSync(path.join(__dirname, '..', service, 'schema.prisma'), 'utf8');
    const models = (
      JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: schema }))) as { datamodel: { models: DmmfModel[] } }
    ).datamodel.models;

    beforeAll(async () => {
      dbs = await createTestDatabases(config);
      client = new Client({
        connectionString: databaseUrl(config.DATABASE_URL, shardMapFor(config, service).shards[0]!.database),
      });
      await client.connect();
    });
    afterAll(async () => {
      await client.end();
      await dbs.drop();
    });

    it.each(models.map((m) => [m.name, m] as const))('model %s', async (_name, model) => {
      const table = model.dbName ?? model.name;
      const { rows } = await client.query<{ column_name: string; data_type: string; is_nullable: string }>(
        `SELECT column_name, data_type, is_nullable FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = $1`,
        [table],
      );
      expect(rows.length).toBeGreaterThan(0);
      const columns = new Map(rows.map((r) => [r.column_name, r]));
      const scalars = model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
      for (const field of scalars) {
        const column = columns.get(field.dbName ?? field.name);
        expect({ field: field.name, exists: column !== undefined }).toEqual({ field: field.name, exists: true });
        expect({ field: field.name, type: column!.data_type }).toEqual({
          field: field.name,
          type: expectedPgType(field),
        });
        expect({ field: field.name, nullable: column!.is_nullable === 'YES' }).toEqual({
          field: field.name,
          nullable: !field.isRequired,
        });
      }
      // every column of the table is known to Prisma (an `Unsupported(...)` field, e.g. a generated tsvector, is left
      // out of the DMMF: its column is named by the schema text of the model)
      const mapped = new Set([...scalars.map((f) => f.dbName ?? f.name), ...unsupportedColumns(schema, model.name)]);
      expect([...columns.keys()].filter((c) => !mapped.has(c))).toEqual([]);
    });
  },
);
