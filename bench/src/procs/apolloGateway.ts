// Baseline: plain @apollo/gateway on @apollo/server's standalone server with the default fetcher (same versions as
// chatgraph's gateway), the same supergraph, and only what the subgraphs require: the signed identity header.
import fs from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { IDENTITY_HEADER } from '@chatgraph/auth';
import { createLogger } from '@chatgraph/logging';
import { runService, type RunningService } from '@chatgraph/service';
import { SUPERGRAPH_PATH } from '../paths';
import { peerIdentity, supergraphFor } from './peerIdentity';

interface Context {
  viewerId: string | null;
}

async function main(): Promise<RunningService> {
  const identity = peerIdentity();
  const { config } = identity;
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphFor(fs.readFileSync(SUPERGRAPH_PATH, 'utf8'), config),
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<Context>({
        url,
        willSendRequest: ({ request, context }) => {
          // The body RemoteGraphQLDataSource sends: the request without `http`, `query` first.
          const { http, query, ...rest } = request;
          http?.headers.set(
            IDENTITY_HEADER,
            identity.sign(context.viewerId ?? null, JSON.stringify({ query, ...rest })),
          );
        },
      }),
  });
  const server = new ApolloServer<Context>({ gateway });
  await startStandaloneServer(server, {
    listen: { port: config.GATEWAY_PORT, host: config.HOST },
    context: async ({ req }) => ({ viewerId: await identity.viewerOf(req.headers.authorization) }),
  });
  return { close: () => server.stop() };
}

// SIGTERM, SIGINT, or the bench that started this process going away: stop, like every chatgraph process.
runService('apollo-gateway', createLogger('apollo-gateway', 'warn'), main);
