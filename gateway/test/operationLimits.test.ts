/**
 * Operation limits against the real API schema: linear in the document whatever its fragments do, aliases counted
 * through fragments, cost counted from page sizes, and every operation the SDK ships within the limits at its
 * largest page sizes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, Kind, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { analyzeOperation } from '../src/limits/analyzeOperation';
import { checkOperationLimits, type OperationLimits } from '../src/limits/operationLimits';

const root = path.join(__dirname, '..', '..');
const schema = buildSchema(fs.readFileSync(path.join(root, 'gateway/api-schema.graphql'), 'utf8'));
const limits: OperationLimits = {
  maxDepth: 12,
  maxAliases: 50,
  maxCost: 50_000,
  defaultListSize: 20,
  maxListSize: 100,
};

const operationOf = (doc: DocumentNode) =>
  doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
const check = (query: string, variables: Record<string, unknown> = {}) => {
  const doc = parse(query);
  return checkOperationLimits(schema, doc, operationOf(doc), variables, limits);
};
const selectionsIn = (doc: DocumentNode) => {
  let n = 0;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const kind = (node as { kind?: string }).kind;
    if (kind === Kind.FIELD || kind === Kind.FRAGMENT_SPREAD || kind === Kind.INLINE_FRAGMENT) n++;
    Object.values(node).forEach(walk);
  };
  walk(doc);
  return n;
};

/** `query{...F0} fragment F0 on Query{...F1 ...F1} … fragment Fn on Query{__typename}`: 2^n fields once expanded. */
const fragmentBomb = (n: number) =>
  [
    'query { ...F0 }',
    ...Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`),
    `fragment F${n} on Query { __typename }`,
  ].join('\n');

describe('operation limits', () => {
  it('measures a fragment bomb in one pass over the document and refuses it by its expanded size', () => {
    const doc = parse(fragmentBomb(30), { noLocation: true });
    const shape = analyzeOperation(schema, doc, operationOf(doc), {}, limits);
    // Every selection of the document visited once: 61 here, where re-walking each spread would be 2^31.
    expect(shape.visited).toBe(selectionsIn(doc));
    expect(shape.cost).toBe(2 ** 30);
    const error = check(fragmentBomb(30));
    expect(error?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', cost: 2 ** 30, maxCost: 50_000 });
  });

  it('counts aliases inside fragments, once per spread', () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: id`).join(' ');
    const query = `query { me { ...A ...B } } fragment A on User { ${aliases} } fragment B on User { ...A }`;
    expect(check(query)?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', aliases: 60, maxAliases: 50 });
    // 1,000 aliases in one fragment, spread once
    const many = Array.from({ length: 1000 }, (_, i) => `a${i}: id`).join(' ');
    expect(check(`query { me { ...M } } fragment M on User { ${many} }`)?.extensions).toMatchObject({
      aliases: 1000,
    });
  });

  it('counts list sizes from first/last: a 143-byte query asking for 10^8 nodes is refused', () => {
    const query =
      'query{myChats(first:100){nodes{messages(last:100){nodes{author{chats(first:100){nodes{messages(last:100){nodes{id}}}}}}}}}}';
    const error = check(query);
    expect(error?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(error!.extensions!.cost as number).toBeGreaterThan(1e8);
    expect(error!.message).toMatch(/limit is 50000/);
  });

  it('reads page sizes from variables', () => {
    const query = 'query($n: Int){myChats(first:$n){nodes{messages(last:$n){nodes{id text reactions{emoji}}}}}}';
    expect(check(query, { n: 10 })).toBeUndefined();
    expect(check(query, { n: 100 })?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses an operation deeper than the limit', () => {
    let query = 'id';
    for (let i = 0; i < 7; i++) query = `author { chats(first: 1) { nodes { lastMessage { ${query} } } } }`;
    expect(check(`query { me { chats(first: 1) { nodes { lastMessage { ${query} } } } } }`)?.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      maxDepth: 12,
    });
  });

  it('lets every operation the SDK ships through at its largest page sizes', () => {
    const dir = path.join(root, 'client-sdk/operations');
    const files = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
    const fragments = parse(files.join('\n')).definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
    const operations = parse(files.join('\n')).definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    expect(operations.length).toBeGreaterThan(10);
    for (const operation of operations) {
      const variables = Object.fromEntries(
        (operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, 100]),
      );
      const doc: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] };
      const error = checkOperationLimits(schema, doc, operation, variables, limits);
      expect([operation.name?.value, error?.message]).toEqual([operation.name?.value, undefined]);
    }
  });
});
