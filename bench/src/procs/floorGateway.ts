// The floor of scenario 1: not a gateway but the least work any Node gateway must do for the history query, written
// by hand for that one query. It runs the fetches of the query plan every gateway executes (the operations are the
// planner's, built at start from the same supergraph), over undici's keep-alive pools like ours, with the same token
// verification and signed identity header, and user profiles kept in a Map (ours keeps them in its entity cache).
// No parsing, validation, planning, result shaping, limits, metrics or tracing: what is left is the HTTP server, the
// subgraph requests, JSON in and out, and merging. Its CPU per request is what the transport costs; the distance from
// it is what a gateway's GraphQL machinery costs.
import fs from 'node:fs';
import http from 'node:http';
import { parse } from 'graphql';
import { Agent } from 'undici';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type PlanNode } from '@apollo/query-planner';
import { IDENTITY_HEADER } from '@chatgraph/auth';
import { createLogger } from '@chatgraph/logging';
import { runService, type RunningService } from '@chatgraph/service';
import { SUPERGRAPH_PATH } from '../paths';
import { HISTORY_QUERY } from '../scenarios/federatedQueryDocument';
import { peerIdentity, supergraphFor } from './peerIdentity';

type Json = Record<string, unknown>;
interface Author extends Json {
  __typename: string;
  id: string;
}

/** The plan's fetches by service (the history query has one per subgraph). */
function planFetches(supergraph: Supergraph): Map<string, FetchNode> {
  const plan = new QueryPlanner(supergraph).buildQueryPlan(
    operationFromDocument(supergraph.apiSchema(), parse(HISTORY_QUERY)),
  );
  const fetches = new Map<string, FetchNode>();
  const walk = (node: PlanNode | undefined): void => {
    if (!node) return;
    if (node.kind === 'Fetch') fetches.set(node.serviceName, node);
    else if (node.kind === 'Sequence' || node.kind === 'Parallel') node.nodes.forEach(walk);
    else if (node.kind === 'Flatten') walk(node.node);
  };
  if (plan.node?.kind !== 'Subscription') walk(plan.node);
  for (const name of ['chats', 'users', 'presence']) {
    if (!fetches.has(name)) throw new Error(`the history query's plan has no ${name} fetch`);
  }
  return fetches;
}

async function main(): Promise<RunningService> {
  const identity = peerIdentity();
  const { config } = identity;
  const supergraph = Supergraph.build(supergraphFor(fs.readFileSync(SUPERGRAPH_PATH, 'utf8'), config));
  const fetches = planFetches(supergraph);
  const urls = new Map(supergraph.subgraphsMetadata().map((s) => [s.name, new URL(s.url)]));
  const dispatcher = new Agent({ connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });
  const profiles = new Map<string, Json>();

  const post = async (service: string, viewerId: string | null, variables: Json): Promise<Json> => {
    const fetch = fetches.get(service)!;
    const url = urls.get(service)!;
    const body = JSON.stringify({ query: fetch.operation, variables, operationName: fetch.operationName });
    const answer = (await (
      await dispatcher.request({
        origin: url.origin,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          [IDENTITY_HEADER]: identity.sign(viewerId, body),
        },
        body,
      })
    ).body.json()) as { data?: Json; errors?: unknown };
    if (answer.errors || !answer.data) throw new Error(`${service}: ${JSON.stringify(answer.errors)}`);
    return answer.data;
  };

  const history = async (viewerId: string | null, variables: Json): Promise<Json> => {
    const data = await post('chats', viewerId, variables);
    const chat = data.chat as { messages: { nodes: Array<{ author: Author }> } } | null;
    if (!chat) return data;
    const authors = chat.messages.nodes.map((n) => n.author);
    const representations = authors.map((a) => ({ __typename: a.__typename, id: a.id }));
    const missing = representations.filter((r) => !profiles.has(r.id));
    const [presence, users] = await Promise.all([
      post('presence', viewerId, { representations }),
      missing.length ? post('users', viewerId, { representations: missing }) : Promise.resolve({ _entities: [] }),
    ]);
    (users._entities as Json[]).forEach((profile, i) => profiles.set(missing[i]!.id, profile));
    const present = presence._entities as Json[];
    authors.forEach((author, i) => {
      delete (author as Partial<Author>).__typename;
      author.displayName = profiles.get(author.id)!.displayName;
      author.presence = present[i]!.presence;
    });
    return data;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const { query, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            query: string;
            variables?: Json;
          };
          // The bench's readiness probe; every other request is the history query.
          const data =
            query.trim() === '{ __typename }'
              ? { __typename: 'Query' }
              : await history(await identity.viewerOf(req.headers.authorization), variables ?? {});
          const body = JSON.stringify({ data });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        } catch (err) {
          const body = JSON.stringify({ errors: [{ message: (err as Error).message }] });
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(body);
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(config.GATEWAY_PORT, config.HOST, resolve));
  return {
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.all([closed, dispatcher.destroy()]);
    },
  };
}

runService('floor-gateway', createLogger('floor-gateway', 'warn'), main);
