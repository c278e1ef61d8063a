export { ProcessMetrics, type ProcessMetricsOptions, type Labels } from './ProcessMetrics';
export { RequestMetrics, OTHER_OPERATION, type ObservedRequest } from './RequestMetrics';
export { DURATION_BUCKETS, LAG_BUCKETS } from './buckets';
export type { Counter, Gauge, Histogram } from 'prom-client';
