export { EgressGuard, EgressRefused, IDLE_CONNECTION_MS } from './EgressGuard';
export type { EgressPolicy } from './EgressGuard';
export { egressPolicyFromConfig, egressGuardFromConfig } from './fromConfig';
