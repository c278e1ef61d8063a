import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';

/** A subgraph taking part in the supergraph: its name, default URL and SDL file. */
export interface SubgraphSource {
  name: string;
  url: string;
  sdlPath: string;
}

/** The repository root (from src/ or dist/ of the gateway package). */
const repoRoot = path.join(__dirname, '..', '..', '..');

/**
 * The subgraphs of chatgraph with the URLs baked into the committed supergraph (the defaults of `npm start`; a
 * gateway reaches other addresses through USERS_URL, CHATS_URL and PRESENCE_URL).
 */
export const SUBGRAPHS: readonly SubgraphSource[] = [
  {
    name: 'users',
    url: 'http://127.0.0.1:4001/graphql',
    sdlPath: path.join(repoRoot, 'subgraphs/users/src/schema.graphql'),
  },
  {
    name: 'chats',
    url: 'http://127.0.0.1:4002/graphql',
    sdlPath: path.join(repoRoot, 'subgraphs/chats/src/schema.graphql'),
  },
  {
    name: 'presence',
    url: 'http://127.0.0.1:4003/graphql',
    sdlPath: path.join(repoRoot, 'subgraphs/presence/src/schema.graphql'),
  },
];

/** Composes the subgraphs' SDL files into a supergraph SDL; throws with every composition error. */
export function composeSupergraph(subgraphs: readonly SubgraphSource[] = SUBGRAPHS): string {
  const result = composeServices(
    subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(fs.readFileSync(s.sdlPath, 'utf8')) })),
  );
  if (result.errors) {
    throw new Error(`composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}
