import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';

/**
 * The gateway Apollo Server is given: `gateway` (an `ApolloGateway`) loads the supergraph and tells Apollo Server
 * and the subscription engine about every new schema, while operations run on `executor`, the gateway's own (see
 * `LivePlanExecutor.executeRequest`), instead of `ApolloGateway`'s.
 */
export function withOwnExecution(gateway: GatewayInterface, executor: GatewayExecutor): GatewayInterface {
  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    load: async (options) => {
      await gateway.load(options);
      return { executor };
    },
    stop: () => gateway.stop(),
  };
}
