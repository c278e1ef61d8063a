export { ADMIN_PATHS, ADMIN_PORT_OFFSET, isSubgraph, SERVICES, SUBGRAPHS } from './services';
export type { PortKey, Service, ServiceName, ServiceSpec, SubgraphSpec, UrlKey } from './services';
export { serviceNamed } from './serviceNamed';
export { BACKING_SERVICES } from './backingServices';
export type { BackingService, BackingServiceSpec } from './backingServices';
export { nodeOptionsFor } from './v8PoolSize';
