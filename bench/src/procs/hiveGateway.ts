// Peer: Hive Gateway (JS) from bench/peers, with its defaults, the same supergraph, and only what the subgraphs
// require: the signed identity header (verified once per client request, like the other gateways).
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { IDENTITY_HEADER } from '@chatgraph/auth';
import { PEERS_DIR, SUPERGRAPH_PATH } from '../paths';
import { peerIdentity, supergraphFor } from './peerIdentity';

/** The part of @graphql-hive/gateway's API used here (the package is not installed when the bench is compiled). */
interface HiveGatewayModule {
  createGatewayRuntime(config: {
    supergraph: string;
    logging: boolean;
    propagateHeaders: {
      fromClientToSubgraphs: (payload: { request: Request }) => Promise<Record<string, string>>;
    };
  }): http.RequestListener & { dispose(): Promise<void> | void };
}

async function main(): Promise<void> {
  const identity = peerIdentity();
  const { config } = identity;
  const requireFromPeers = createRequire(path.join(PEERS_DIR, 'package.json'));
  const hive = requireFromPeers('@graphql-hive/gateway') as HiveGatewayModule;
  const signed = new WeakMap<Request, Promise<string>>();
  const gateway = hive.createGatewayRuntime({
    supergraph: supergraphFor(fs.readFileSync(SUPERGRAPH_PATH, 'utf8'), config),
    logging: false,
    propagateHeaders: {
      fromClientToSubgraphs: async ({ request }) => {
        let header = signed.get(request);
        if (!header) {
          header = identity.viewerOf(request.headers.get('authorization')).then((viewerId) => identity.sign(viewerId));
          signed.set(request, header);
        }
        return { [IDENTITY_HEADER]: await header };
      },
    },
  });
  const server = http.createServer(gateway);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(config.GATEWAY_PORT, config.HOST, () => resolve()));
  const stop = () => {
    server.closeAllConnections();
    server.close(() => void Promise.resolve(gateway.dispose()).finally(() => process.exit(0)));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
