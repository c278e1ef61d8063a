import fs from 'node:fs';
import { parse } from 'graphql';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner, type PlanNode } from '@apollo/query-planner';
import { SUPERGRAPH_PATH } from './paths';

function walk(node: PlanNode | undefined, counts: Record<string, number>): void {
  if (!node) return;
  switch (node.kind) {
    case 'Fetch':
      counts[node.serviceName] = (counts[node.serviceName] ?? 0) + 1;
      return;
    case 'Sequence':
    case 'Parallel':
      for (const child of node.nodes) walk(child, counts);
      return;
    case 'Flatten':
      walk(node.node, counts);
      return;
    case 'Defer':
      walk(node.primary.node, counts);
      for (const d of node.deferred) walk(d.node, counts);
      return;
    case 'Condition':
      walk(node.ifClause, counts);
      walk(node.elseClause, counts);
      return;
    default:
      return;
  }
}

/** Fetches per subgraph in the query plan of `query` on the committed supergraph (what every gateway executes). */
export function queryPlanFetches(query: string): Record<string, number> {
  const supergraph = Supergraph.build(fs.readFileSync(SUPERGRAPH_PATH, 'utf8'));
  const planner = new QueryPlanner(supergraph);
  const plan = planner.buildQueryPlan(operationFromDocument(supergraph.apiSchema(), parse(query)));
  const counts: Record<string, number> = {};
  if (plan.node && plan.node.kind !== 'Subscription') walk(plan.node, counts);
  return counts;
}
