import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * A JSON logger for one service. Secrets are redacted by path so that a careless `log.info({ req })` cannot leak
 * a password or a token.
 * @param level pino level, normally `config.LOG_LEVEL` (@default 'info')
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'authorization',
        '*.authorization',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
}
