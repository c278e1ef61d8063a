import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';
import { SUBGRAPHS as MANIFEST_SUBGRAPHS } from '@chatgraph/manifest';

/** A subgraph taking part in the supergraph: its name, default URL and SDL file. */
export interface SubgraphSource {
  name: string;
  url: string;
  sdlPath: string;
}

/** The repository root (from src/ or dist/ of the gateway package). */
const repoRoot = path.join(__dirname, '..', '..', '..');

/**
 * The subgraphs of the service manifest with the URLs baked into the committed supergraph: loopback on their default
 * ports (what `npm start` runs); a gateway reaches other addresses through each subgraph's URL variable (USERS_URL...).
 */
export const SUBGRAPHS: readonly SubgraphSource[] = MANIFEST_SUBGRAPHS.map((s) => ({
  name: s.name,
  url: `http://127.0.0.1:${s.port.default}/graphql`,
  sdlPath: path.join(repoRoot, s.graphql.schema),
}));

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
