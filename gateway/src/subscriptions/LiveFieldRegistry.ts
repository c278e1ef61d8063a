import { Kind, valueFromASTUntyped, type GraphQLSchema } from 'graphql';

/** What the `@live` directive of one subscription field says. */
export interface LiveField {
  /** Subscription field name. */
  field: string;
  /** Channel template: `{arg}` is an argument's value (lists give one channel per element), `{viewerId}` the user. */
  topic: string;
  /** Query field of the owning subgraph answering `Boolean!`: may the viewer subscribe? */
  authorize?: string;
  /** Query field (public) answering the events after `afterSeq` in `seq` order: enables exact resume. */
  replay?: string;
  /**
   * Channel template whose events may carry `_reauthorize: [userId]` for this field's subscribers (when access to the
   * field changes with something its own topic does not carry, e.g. a chat's membership for its typing indicators).
   */
  access?: string;
  /**
   * Query field of the owning subgraph answering `Int!`: the seq to resume after, from the subscription's own resume
   * argument(s) (the field's arguments, e.g. `afterId`, the id of the last item received), for fields whose clients
   * resume by something other than `afterSeq`.
   */
  resume?: string;
}

/** The directive name subgraphs use (composed into the supergraph with `@composeDirective`). */
export const LIVE_DIRECTIVE = 'live';

/**
 * Reads the `@live(topic, authorize, replay, access, resume)` directives of the Subscription fields of a supergraph. This is the only
 * place the gateway learns about topics: it has no knowledge of chats or presence.
 */
export function readLiveFields(supergraphSchema: GraphQLSchema): Map<string, LiveField> {
  const out = new Map<string, LiveField>();
  const subscription = supergraphSchema.getSubscriptionType();
  if (!subscription) return out;
  for (const field of Object.values(subscription.getFields())) {
    const directive = field.astNode?.directives?.find((d) => d.name.value === LIVE_DIRECTIVE);
    if (!directive) continue;
    const args: Record<string, unknown> = {};
    for (const arg of directive.arguments ?? []) {
      if (arg.value.kind !== Kind.NULL) args[arg.name.value] = valueFromASTUntyped(arg.value);
    }
    if (typeof args.topic !== 'string' || !args.topic) {
      throw new Error(`Subscription.${field.name}: @live needs a topic`);
    }
    out.set(field.name, {
      field: field.name,
      topic: args.topic,
      authorize: typeof args.authorize === 'string' ? args.authorize : undefined,
      replay: typeof args.replay === 'string' ? args.replay : undefined,
      access: typeof args.access === 'string' ? args.access : undefined,
      resume: typeof args.resume === 'string' ? args.resume : undefined,
    });
  }
  return out;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Expands a topic template with the subscription's argument values and the viewer's id. A list argument yields one
 * topic per element (the cartesian product when several lists are used). Throws when a placeholder has no value.
 */
export function expandTopics(template: string, args: Record<string, unknown>, viewerId: string | null): string[] {
  let topics = [''];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const literal = template.slice(last, match.index);
    last = match.index! + match[0].length;
    const name = match[1]!;
    const raw = name === 'viewerId' ? viewerId : args[name];
    if (raw === undefined || raw === null) throw new Error(`topic ${template}: no value for {${name}}`);
    const values = Array.isArray(raw) ? raw.map(String) : [String(raw)];
    topics = topics.flatMap((prefix) => values.map((v) => prefix + literal + v));
  }
  const tail = template.slice(last);
  return [...new Set(topics.map((t) => t + tail))];
}
