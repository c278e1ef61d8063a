import path from 'node:path';

/** The repository root (from bench/src or bench/dist). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** bench/ */
export const BENCH_ROOT = path.join(REPO_ROOT, 'bench');
/** Compiled bench scripts. */
export const BENCH_DIST = path.join(BENCH_ROOT, 'dist');
/** The peers package (its own package.json and lockfile; not a workspace). */
export const PEERS_DIR = path.join(BENCH_ROOT, 'peers');
/** The committed supergraph every gateway runs. */
export const SUPERGRAPH_PATH = path.join(REPO_ROOT, 'gateway', 'supergraph.graphql');
