/**
 * The gateway's plan executor against `@apollo/gateway`'s `executeQueryPlan`, on the committed supergraph: every query
 * and mutation of the SDK, plus operations that reach the corners (conditions on variables, aliases, fragments on
 * abstract types, introspection, subgraph errors inside entity lists, a missing subgraph). Both run the same plan
 * against the same in-process subgraphs, which make up data from each field's type and path, so any difference in
 * merging, error paths, null bubbling or shaping shows as a different response.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  execute,
  getNamedType,
  GraphQLError,
  isAbstractType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  OperationTypeNode,
  parse,
  print,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { operationFromDocument } from '@apollo/federation-internals';
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext, GatewaySchemaHash } from '@apollo/server-gateway-interface';
import { executePlan, preparePlan } from '../src/execution/executePlan';
import { SupergraphRuntime } from '../src/subscriptions/SupergraphRuntime';

const ROOT = path.resolve(__dirname, '../..');
const runtime = new SupergraphRuntime(fs.readFileSync(path.join(ROOT, 'gateway/supergraph.graphql'), 'utf8'));

/** Made-up data for a field: a function of its type and response path, so both executors get the same answers. */
function fieldResolver(failing: RegExp | undefined): GraphQLFieldResolver<unknown, unknown> {
  return (source, args, _context, info) => {
    const at = pathOf(info.path);
    if (failing?.test(at))
      throw new GraphQLError(`no ${info.fieldName} at ${at}`, { extensions: { code: 'INTERNAL' } });
    if (info.fieldName === '_entities') {
      return (args.representations as Array<Record<string, unknown>>).map((r) => ({ ...r }));
    }
    const own = source as Record<string, unknown>;
    if (own && Object.prototype.hasOwnProperty.call(own, info.fieldName)) return own[info.fieldName];
    const list = isListType(isNonNullType(info.returnType) ? info.returnType.ofType : info.returnType);
    const one = (i: number) => valueOf(getNamedType(info.returnType), `${at}.${i}`, info.schema);
    return list ? [one(0), one(1)] : one(0);
  };
}

function valueOf(type: GraphQLNamedType, at: string, schema: GraphQLSchema): unknown {
  if (isEnumType(type)) return type.getValues()[at.length % type.getValues().length]!.value;
  if (isObjectType(type)) return {};
  if (isAbstractType(type)) {
    const possible = schema.getPossibleTypes(type);
    return { __typename: possible[at.length % possible.length]!.name };
  }
  switch (type.name) {
    case 'Int':
      return at.length;
    case 'Float':
      return at.length / 2;
    case 'Boolean':
      return at.length % 2 === 0;
    case 'ID':
      return String(1000 + at.length);
    case 'DateTime':
      return new Date(Date.UTC(2026, 0, 1, 0, 0, at.length)).toISOString();
    default:
      return `${type.name}:${at}`;
  }
}

function pathOf(p: { prev: unknown; key: string | number } | undefined): string {
  const keys: Array<string | number> = [];
  for (let at = p; at; at = at.prev as typeof p) keys.unshift(at.key);
  return keys.join('.');
}

type Tamper = (service: string, result: { data?: Record<string, any> | null }) => void;

/**
 * In-process subgraphs over their composed schemas; `failing` makes fields whose path matches throw, `tamper` changes
 * an answer after the fact (what a subgraph that breaks its own schema would send).
 */
function services(failing?: RegExp, down: string[] = [], tamper?: Tamper): Record<string, GraphQLDataSource> {
  return Object.fromEntries(
    [...runtime.subgraphUrls.keys()].map((name): [string, GraphQLDataSource] => [
      name,
      {
        process: async ({ request }) => {
          if (down.includes(name)) {
            return { errors: [{ message: `${name} is down`, extensions: { code: 'SERVICE_UNAVAILABLE' } }] };
          }
          const schema = runtime.subgraphSchema(name);
          const result = await execute({
            schema,
            document: parse(request.query!),
            variableValues: request.variables,
            fieldResolver: fieldResolver(failing),
            typeResolver: (value) => (value as { __typename?: string }).__typename,
          });
          const answer = JSON.parse(JSON.stringify(result));
          tamper?.(name, answer);
          return answer;
        },
      },
    ]),
  );
}

function requestContext(document: DocumentNode, variables: Record<string, unknown>): GatewayGraphQLRequestContext {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  return {
    request: { variables },
    logger: console,
    schema: runtime.apiGraphQLSchema,
    schemaHash: 'test' as GatewaySchemaHash,
    context: { viewerId: '1' },
    cache: { get: async () => undefined, set: async () => undefined, delete: async () => true },
    queryHash: '',
    document,
    source: '',
    operationName: operation.name?.value ?? null,
    operation,
    metrics: {},
    overallCachePolicy: undefined,
  };
}

const plain = (value: unknown) => JSON.parse(JSON.stringify(value ?? null));

/** Runs `query` through both executors, Apollo's and ours, on the same plan and subgraphs. */
async function runBoth(query: string, variables: Record<string, unknown>, sources: Record<string, GraphQLDataSource>) {
  const document = parse(query);
  const operationContext = buildOperationContext({ schema: runtime.apiGraphQLSchema, operationDocument: document });
  const queryPlan = runtime.planner.buildQueryPlan(operationFromDocument(runtime.apiSchema, document));
  const theirs = await executeQueryPlan(
    queryPlan,
    sources,
    requestContext(document, variables),
    operationContext,
    runtime.supergraphGraphQLSchema,
    runtime.apiSchema,
  );
  const ours = await executePlan(
    preparePlan(queryPlan, operationContext, runtime.apiSchema),
    sources,
    requestContext(document, variables),
    runtime.supergraphGraphQLSchema,
  );
  return { ours, theirs };
}

/** Runs `query` through both executors and expects the same response; returns ours. */
async function bothAgree(
  query: string,
  variables: Record<string, unknown> = {},
  sources = services(),
): Promise<{
  data?: unknown;
  errors?: Array<{ message: string; path?: unknown; extensions?: Record<string, unknown> }>;
  extensions?: Record<string, unknown>;
}> {
  const { ours, theirs } = await runBoth(query, variables, sources);
  const shape = (r: typeof ours | typeof theirs) => ({
    data: plain(r.data),
    errors: r.errors?.map((e) => plain('toJSON' in e ? e.toJSON() : e)),
    extensions: plain(r.extensions),
  });
  expect(shape(ours)).toEqual(shape(theirs));
  return shape(ours);
}

/** Every operation of the SDK's documents that is not a subscription, each with the fragments it uses. */
function sdkOperations(): Array<[string, string]> {
  const dir = path.join(ROOT, 'client-sdk/operations');
  const documents = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .map((f) => parse(fs.readFileSync(path.join(dir, f), 'utf8')));
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of documents.flatMap((doc) => doc.definitions)) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  }
  const used = (node: DefinitionNode, into: Set<string>): Set<string> => {
    visit(node, {
      FragmentSpread: ({ name }) => {
        if (into.has(name.value)) return;
        into.add(name.value);
        used(fragments.get(name.value)!, into);
      },
    });
    return into;
  };
  const out: Array<[string, string]> = [];
  for (const d of documents.flatMap((doc) => doc.definitions)) {
    if (d.kind !== Kind.OPERATION_DEFINITION || d.operation === OperationTypeNode.SUBSCRIPTION) continue;
    const definitions = [d, ...[...used(d, new Set())].map((n) => fragments.get(n)!)];
    out.push([d.name?.value ?? 'anonymous', print({ kind: Kind.DOCUMENT, definitions })]);
  }
  return out;
}

/** Values for an operation's variables made up from their types (every variable given, so both plans run whole). */
function variablesFor(query: string): Record<string, unknown> {
  const operation = parse(query).definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  const values: Record<string, unknown> = {};
  for (const v of operation.variableDefinitions ?? []) {
    let type = v.type;
    let list = false;
    while (type.kind !== Kind.NAMED_TYPE) {
      if (type.kind === Kind.LIST_TYPE) list = true;
      type = type.type;
    }
    const named = runtime.apiGraphQLSchema.getType(type.name.value)!;
    const value = isEnumType(named)
      ? named.getValues()[0]!.value
      : type.name.value === 'Int'
        ? 10
        : type.name.value === 'Boolean'
          ? true
          : type.name.value === 'ID'
            ? '42'
            : type.name.value === 'String'
              ? 'text'
              : undefined;
    if (value === undefined) continue;
    values[v.variable.name.value] = list ? [value] : value;
  }
  return values;
}

describe('executePlan answers like @apollo/gateway executeQueryPlan', () => {
  const operations = sdkOperations();

  it('has SDK operations to compare', () => {
    expect(operations.length).toBeGreaterThan(10);
  });

  it.each(operations)('SDK operation %s', async (_name, query) => {
    await bothAgree(query, variablesFor(query));
  });

  it('history page with authors and presence, with the presence of one author failing', async () => {
    const query = `query($c: ID!) { chat(id: $c) { id title messages(last: 3) { nodes { id text author { id displayName presence { status lastSeenAt } } } } } }`;
    const result = await bothAgree(query, { c: '7' }, services(/^_entities\.1\.presence$/));
    expect(result.errors?.[0]?.path).toEqual(['chat', 'messages', 'nodes', 1, 'author', 'presence']);
  });

  it('with a subgraph down, the rest of the data and its error', async () => {
    const query = `query($c: ID!) { chat(id: $c) { title messages(last: 2) { nodes { text author { displayName presence { status } } } } } }`;
    const result = await bothAgree(query, { c: '7' }, services(undefined, ['presence']));
    expect(result.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('conditions on variables, aliases and inline fragments', async () => {
    const query = `query($c: ID!, $withAuthor: Boolean!, $skipTitle: Boolean!) {
      first: chat(id: $c) { name: title @skip(if: $skipTitle) messages(last: 2) { nodes { id author @include(if: $withAuthor) { ... on User { displayName presence { status } } } } } }
    }`;
    for (const [withAuthor, skipTitle] of [
      [true, false],
      [false, true],
    ]) {
      await bothAgree(query, { c: '3', withAuthor, skipTitle });
    }
  });

  it.each<[string, Tamper]>([
    [
      'a null in a non-null field (bubbles up to the nearest nullable parent)',
      (service, r) => {
        if (service === 'chats' && r.data?.chat) r.data.chat.messages.nodes[1].id = null;
      },
    ],
    [
      'a value outside its enum',
      (service, r) => {
        if (service === 'presence' && r.data?._entities) r.data._entities[0].presence.status = 'ASLEEP';
      },
    ],
    [
      'an unknown __typename',
      (service, r) => {
        if (service === 'chats' && r.data?.chat) r.data.chat.messages.nodes[0].author.__typename = 'Robot';
      },
    ],
    [
      'an Int that is not an integer',
      (service, r) => {
        if (service === 'chats' && r.data?.chat) r.data.chat.lastSeq = 1.5;
      },
    ],
  ])('a subgraph answer that breaks the schema: %s', async (_name, tamper) => {
    const query = `query($c: ID!) { chat(id: $c) { id title lastSeq messages(last: 3) { nodes { id seq text author { id displayName presence { status lastSeenAt } } } } } }`;
    const result = await bothAgree(query, { c: '7' }, services(undefined, [], tamper));
    const reported = [...(result.errors ?? []), ...((result.extensions?.valueCompletion as unknown[]) ?? [])];
    expect(reported.length).toBeGreaterThan(0);
  });

  it('a fetch that fails outright (an _entities answer of the wrong length) is a GraphQL error, as Apollo says it', async () => {
    const query = `query($c: ID!) { chat(id: $c) { title messages(last: 3) { nodes { text author { presence { status } } } } } }`;
    const short = services(undefined, [], (service, r) => {
      if (service === 'presence' && r.data?._entities) r.data._entities.pop();
    });
    const { ours, theirs } = await runBoth(query, { c: '7' }, short);
    // Apollo's executor leaves a plain Error here; ours makes it a GraphQLError (the live path serializes errors).
    expect(ours.errors?.map((e) => e.message)).toEqual(theirs.errors?.map((e) => e.message));
    expect(ours.errors?.[0]?.message).toMatch(/_entities/);
    expect(ours.errors?.map((e) => e.toJSON().message)).toEqual(theirs.errors?.map((e) => e.message));
    expect(plain(ours.data)).toEqual(plain(theirs.data));
  });

  it('introspection next to data', async () => {
    await bothAgree(
      `query($c: ID!) { __typename chat(id: $c) { __typename id } __type(name: "Chat") { name fields { name } } }`,
      {
        c: '9',
      },
    );
  });
});
