import type { Config } from '@chatgraph/config';
import { EgressGuard, type EgressPolicy } from './EgressGuard';

/**
 * The egress policy of a deployment: production refuses loopback and private targets and plain http unless
 * `WEBHOOK_ALLOW_PRIVATE_TARGETS` opens them (an operator's own receivers); development and tests always allow
 * loopback (receivers run on the same machine) and http.
 */
export function egressPolicyFromConfig(
  config: Pick<Config, 'NODE_ENV' | 'WEBHOOK_ALLOW_PRIVATE_TARGETS'>,
): EgressPolicy {
  const production = config.NODE_ENV === 'production';
  return {
    allowLoopback: !production || config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    requireHttps: production && !config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
  };
}

/** An {@link EgressGuard} with the deployment's policy. */
export function egressGuardFromConfig(config: Pick<Config, 'NODE_ENV' | 'WEBHOOK_ALLOW_PRIVATE_TARGETS'>): EgressGuard {
  return new EgressGuard(egressPolicyFromConfig(config));
}
