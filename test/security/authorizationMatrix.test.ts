/**
 * Who may do what, over every operation of the public API, through a real gateway and subgraphs: each operation is
 * tried by an anonymous caller, a signed-in stranger to the chat, a member, and the chat's owner, and the outcome
 * (`ok`, or the code of the refusal) must be the one in the table. The table must name every Query, Mutation and
 * Subscription field of the API schema: a new operation without a row fails this test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, isObjectType } from 'graphql';
import { MATRIX, ROLES, type World } from './support/authorizationCases';
import { startMatrixWorld, type MatrixWorld } from './support/matrixWorld';

const api = buildSchema(fs.readFileSync(path.resolve(__dirname, '../../gateway/api-schema.graphql'), 'utf8'));
const operations = (['Query', 'Mutation', 'Subscription'] as const).flatMap((type) => {
  const t = api.getType(type);
  return t && isObjectType(t) ? Object.keys(t.getFields()).map((field) => `${type}.${field}`) : [];
});

describe('authorization matrix: every operation, every role', () => {
  let running: MatrixWorld;
  let world: World;

  beforeAll(async () => {
    running = await startMatrixWorld();
    world = running.world;
  }, 120_000);

  afterAll(() => running?.close());

  it('has a row for every Query, Mutation and Subscription field of the API', () => {
    expect(operations.filter((name) => !(name in MATRIX))).toEqual([]);
    expect(Object.keys(MATRIX).filter((name) => !operations.includes(name))).toEqual([]);
  });

  it.each(Object.keys(MATRIX).sort())('%s', async (name) => {
    const row = MATRIX[name]!;
    const outcomes: Record<string, string> = {};
    for (const role of ROLES) outcomes[role] = await row.attempt(world, role);
    expect(outcomes).toEqual(row.expect);
  });
});
