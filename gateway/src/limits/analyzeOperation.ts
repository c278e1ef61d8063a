import {
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** What an operation asks of the server, measured before anything runs. */
export interface OperationShape {
  /** Deepest field nesting (introspection fields and `__typename` do not count). */
  depth: number;
  /** Aliased fields, counting a fragment's aliases once per place it is spread. */
  aliases: number;
  /**
   * Estimated objects and fields the operation can return: each field costs 1 plus its children, times the page
   * size it asks for (`first`/`last`) when it returns a list.
   */
  cost: number;
  /** Selections visited to measure it: at most the size of the document, whatever its fragments do. */
  visited: number;
}

/** How list fields are counted. */
export interface CostOptions {
  /** Items assumed for a list field without `first`/`last`, or with a page size that is not a literal. @default 20 */
  defaultListSize: number;
  /** Largest page size counted (the API's own maximum). @default 100 */
  maxListSize: number;
}

interface Summary {
  depth: number;
  aliases: number;
  cost: number;
}

const ZERO: Summary = { depth: 0, aliases: 0, cost: 0 };
const PAGE_ARGS = ['first', 'last', 'limit'];

/**
 * Measures depth, aliases and cost of one operation in a single pass: each fragment is measured once and its summary
 * reused at every spread (a fragment's numbers do not depend on where it is spread; its cost is multiplied by the
 * page size of the field around it), so the work is linear in the document however often fragments spread each
 * other — `...F1 ...F1` twenty levels down costs twenty summaries, not 2^20 walks. Fragment cycles count as empty
 * (the standard NoFragmentCycles rule rejects them). Numbers saturate at `Infinity`, never wrap.
 */
export function analyzeOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | null | undefined,
  options: CostOptions,
): OperationShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const memo = new Map<string, Summary>();
  const inProgress = new Set<string>();
  let visited = 0;

  const pageSize = (field: FieldNode): number => {
    for (const arg of field.arguments ?? []) {
      if (!PAGE_ARGS.includes(arg.name.value)) continue;
      const value =
        arg.value.kind === Kind.VARIABLE ? variables?.[arg.value.name.value] : valueFromASTUntyped(arg.value);
      if (typeof value === 'number' && Number.isFinite(value))
        return Math.min(Math.max(0, Math.floor(value)), options.maxListSize);
    }
    return options.defaultListSize;
  };

  const fragmentSummary = (name: string): Summary => {
    const known = memo.get(name);
    if (known) return known;
    const fragment = fragments.get(name);
    if (!fragment || inProgress.has(name)) return ZERO;
    inProgress.add(name);
    const type = schema.getType(fragment.typeCondition.name.value);
    const summary = measure(fragment.selectionSet, type);
    inProgress.delete(name);
    memo.set(name, summary);
    return summary;
  };

  const measure = (set: SelectionSetNode, parent: GraphQLNamedType | undefined | null): Summary => {
    let depth = 0;
    let aliases = 0;
    let cost = 0;
    for (const selection of set.selections) {
      visited++;
      let part: Summary;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) {
          // `__typename` is a field like any other for the cost (a fragment spread 2^n times asks for 2^n of them);
          // `__schema`/`__type` (introspection, which production can switch off) are not measured.
          if (selection.name.value === '__typename') cost += 1;
          continue;
        }
        const fieldDef =
          parent && (isObjectType(parent) || isInterfaceType(parent))
            ? parent.getFields()[selection.name.value]
            : undefined;
        const child = selection.selectionSet
          ? measure(selection.selectionSet, fieldDef ? getNamedType(fieldDef.type) : undefined)
          : ZERO;
        const paged = selection.arguments?.some((a) => PAGE_ARGS.includes(a.name.value)) ?? false;
        const isList = fieldDef ? isListType(getNullableType(fieldDef.type)) : false;
        // A connection's `nodes`/`edges` are the page its field already counted (`messages(last: 100)`).
        const pageOfConnection = parent?.name.endsWith('Connection') && !paged;
        const times = (paged || isList) && !pageOfConnection ? pageSize(selection) : 1;
        part = {
          depth: 1 + child.depth,
          aliases: (selection.alias ? 1 : 0) + child.aliases,
          cost: times * (1 + child.cost),
        };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        part = measure(selection.selectionSet, type as GraphQLCompositeType | undefined);
      } else {
        part = fragmentSummary(selection.name.value);
      }
      depth = Math.max(depth, part.depth);
      aliases += part.aliases;
      cost += part.cost;
    }
    return { depth, aliases, cost };
  };

  const rootType =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const summary = measure(operation.selectionSet, rootType);
  return { ...summary, visited };
}
