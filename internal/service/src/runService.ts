import type { Logger } from '@chatgraph/logging';
import { shutdownTelemetry } from '@chatgraph/telemetry';

/** A started process: what {@link runService} needs to shut it down. */
export interface RunningService {
  /** Stop accepting, drain in-flight work, close Redis/Prisma. */
  close(): Promise<void>;
}

/**
 * Runs a service entry point: starts it, and on SIGTERM or SIGINT closes it and exits 0 (1 if closing fails or takes
 * longer than `graceMs`), after the spans still buffered are exported. A failure to start exits 1 with the reason logged. A process started with an IPC channel
 * (by the test harness or the bench) also stops that way when its parent goes away, even if the parent was killed.
 */
export function runService(name: string, logger: Logger, start: () => Promise<RunningService>, graceMs = 10_000): void {
  let stopping = false;
  const starting = start();
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${name}: shutting down`);
    const timer = setTimeout(() => {
      logger.error(`${name}: shutdown took longer than ${graceMs} ms, exiting`);
      process.exit(1);
    }, graceMs);
    timer.unref();
    // A signal that arrives while starting waits for the start, so that what it opened (ports, pools) is closed.
    starting
      .then((service) => service.close())
      // Spans still buffered are exported before the process goes (a no-op without tracing).
      .then(() => shutdownTelemetry())
      .then(
        () => {
          clearTimeout(timer);
          logger.info(`${name}: stopped`);
          process.exit(0);
        },
        (err: unknown) => {
          clearTimeout(timer);
          logger.error({ err }, `${name}: error while shutting down`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // The channel closes when the parent exits, however it exits: no orphan keeps a port or a database pool.
  if (process.channel) process.once('disconnect', () => stop('disconnect'));
  process.on('unhandledRejection', (err) => logger.error({ err }, `${name}: unhandled rejection`));
  starting.then(undefined, (err: unknown) => {
    logger.fatal({ err }, `${name}: failed to start`);
    process.exit(1);
  });
}
