import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

/** What a logger takes from the configuration (a whole `Config` fits). */
export interface LogSettings {
  /** pino level: `fatal`…`trace`, `silent`. */
  LOG_LEVEL: string;
  /** One JSON object per line, or readable lines for a terminal. @default 'json' */
  LOG_FORMAT?: 'json' | 'pretty';
}

/**
 * Readable single lines (time, level, service, message, then the fields as JSON). pino-pretty is loaded here, only
 * when asked for: production logs JSON and never loads it.
 */
function prettyStream(destination: DestinationStream | undefined): DestinationStream {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require('pino-pretty') as typeof PinoPretty;
  return pretty({
    destination: destination ?? 1,
    // Synchronous like pino's own stdout destination, so lines keep their order with the process's other output.
    sync: true,
    // A captured stream (tests) gets plain text; a terminal gets colours when it supports them.
    colorize: destination === undefined && pretty.isColorSupported,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
  });
}

/**
 * A logger for one service: JSON lines, or readable lines with `LOG_FORMAT: 'pretty'`. Secrets are redacted by path
 * so that a careless `log.info({ req })` cannot leak a password or a token.
 * @param settings the configuration (`LOG_LEVEL`, `LOG_FORMAT`), or just a level @default 'info'
 * @param destination where lines go @default stdout
 */
export function createLogger(
  service: string,
  settings: string | LogSettings = 'info',
  destination?: DestinationStream,
): Logger {
  const { LOG_LEVEL: level, LOG_FORMAT: format = 'json' } =
    typeof settings === 'string' ? { LOG_LEVEL: settings } : settings;
  const options: LoggerOptions = {
    name: service,
    level,
    base: { service },
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'refreshToken',
        '*.refreshToken',
        'authorization',
        '*.authorization',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
  };
  if (format === 'pretty') return pino(options, prettyStream(destination));
  return destination ? pino(options, destination) : pino(options);
}
