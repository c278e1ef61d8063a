import { context, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type PinoPretty from 'pino-pretty';
import { currentRequest } from './requestScope';

export type { Logger };

/** What a logger takes from the configuration (a whole `Config` fits). */
export interface LogSettings {
  /** pino level: `fatal`…`trace`, `silent`. */
  LOG_LEVEL: string;
  /** One JSON object per line, or readable lines for a terminal. @default 'json' */
  LOG_FORMAT?: 'json' | 'pretty';
}

/**
 * Keys whose values never reach a log, wherever they are in a logged object (top level, or one or two levels down):
 * passwords, tokens, signing secrets, the gateway's identity header, cookies, private keys.
 */
export const REDACTED_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'apiToken',
  'secret',
  'signingSecret',
  'authorization',
  'cookie',
  'set-cookie',
  'x-chatgraph-identity',
  'privateKey',
  'JWT_SECRET',
  'JWT_PREVIOUS_SECRET',
  'GATEWAY_IDENTITY_SECRET',
  'VAPID_PRIVATE_KEY',
] as const;

/** pino paths of {@link REDACTED_KEYS} at the top level and one or two levels down (`err.config.headers` is three). */
function redactPaths(): string[] {
  return REDACTED_KEYS.flatMap((key) => {
    const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    const dot = k.startsWith('[') ? '' : '.';
    return [k, `*${dot}${k}`, `*.*${dot}${k}`, `*.*.*${dot}${k}`];
  });
}

/**
 * The trace and request a line is written in: `trace_id` (and `span_id`) of the active OpenTelemetry span, and
 * `request_id` of the request being served.
 */
function correlation(): Record<string, string> {
  const fields: Record<string, string> = {};
  const span = trace.getSpanContext(context.active());
  if (span && trace.isSpanContextValid(span)) {
    fields.trace_id = span.traceId;
    fields.span_id = span.spanId;
  }
  const request = currentRequest();
  if (request) fields.request_id = request.requestId;
  return fields;
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
 * A logger for one service: JSON lines, or readable lines with `LOG_FORMAT: 'pretty'`. Every line written while a
 * request is served or a traced event handled carries `trace_id`, `span_id` and `request_id`. Secrets are redacted by
 * key ({@link REDACTED_KEYS}) so that a careless `log.info({ req })` cannot leak a password, a token or a key.
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
    mixin: correlation,
    redact: { paths: redactPaths(), censor: '[redacted]' },
  };
  if (format === 'pretty') return pino(options, prettyStream(destination));
  return destination ? pino(options, destination) : pino(options);
}
