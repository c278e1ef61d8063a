export { EgressGuard, EgressRefused } from './EgressGuard';
export type { EgressPolicy } from './EgressGuard';
export { egressPolicyFromConfig, egressGuardFromConfig } from './fromConfig';
