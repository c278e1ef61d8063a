import type { GraphQLSchema } from 'graphql';
import { Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { readLiveFields, type LiveField } from './LiveFieldRegistry';

/**
 * Everything the subscription engine derives from one supergraph SDL: the API schema (what clients validate
 * against), the supergraph schema (what `executeQueryPlan` needs), a `QueryPlanner` of the same version as the
 * gateway, each subgraph's own schema (to project event payloads and build authorize queries) and the `@live` fields.
 * Built once per supergraph load; a reload builds a new one.
 */
export class SupergraphRuntime {
  readonly supergraph: Supergraph;
  readonly apiSchema: Schema;
  readonly apiGraphQLSchema: GraphQLSchema;
  readonly supergraphGraphQLSchema: GraphQLSchema;
  readonly planner: QueryPlanner;
  readonly liveFields: Map<string, LiveField>;
  readonly subgraphUrls: Map<string, string>;
  private readonly subgraphSchemas = new Map<string, GraphQLSchema>();

  constructor(readonly sdl: string) {
    this.supergraph = Supergraph.build(sdl);
    this.apiSchema = this.supergraph.apiSchema();
    this.apiGraphQLSchema = this.apiSchema.toGraphQLJSSchema();
    this.supergraphGraphQLSchema = this.supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(this.supergraph);
    this.liveFields = readLiveFields(this.supergraphGraphQLSchema);
    this.subgraphUrls = new Map(this.supergraph.subgraphsMetadata().map((s) => [s.name, s.url]));
  }

  /** The schema of one subgraph as composed (with its own types' fields), built on first use. */
  subgraphSchema(name: string): GraphQLSchema {
    let schema = this.subgraphSchemas.get(name);
    if (!schema) {
      const subgraph = this.supergraph.subgraphs().get(name);
      if (!subgraph) throw new Error(`no subgraph ${name} in the supergraph`);
      schema = subgraph.schema.toGraphQLJSSchema();
      this.subgraphSchemas.set(name, schema);
    }
    return schema;
  }
}
