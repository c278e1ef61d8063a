/**
 * Bucket bounds, in seconds, of request and fetch durations: the ones OpenTelemetry's HTTP semantic conventions
 * advise for `http.server.request.duration` (so dashboards built for other services read ours the same way).
 */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] as const;

/**
 * Bucket bounds, in seconds, of the commit → delivery lag of live events: from a millisecond (same machine) to tens
 * of seconds (a gap repaired from the log after a Redis outage).
 */
export const LAG_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
