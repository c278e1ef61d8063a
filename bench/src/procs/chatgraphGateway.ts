// The chatgraph gateway as gateway/src/index.ts runs it, plus IPC probes (memory after GC, CPU profile of a window)
// for the bench.
import { loadConfigOrExit } from '@chatgraph/config';
import { runGateway } from '@chatgraph/gateway';
import { createLogger } from '@chatgraph/logging';
import { answerBenchProbes } from './benchProbes';

const config = loadConfigOrExit();
answerBenchProbes();
runGateway(config, createLogger('gateway', config));
