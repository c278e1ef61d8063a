/**
 * The servers the stack needs besides its own processes, once: `npm start` (which runs a local one when none answers
 * and its URL variable is unset) and `npm run services:check` read this list. The URL defaults live with every other
 * default in internal/config; how each one is probed and started on this machine lives in scripts/backing/<name>.js.
 */

/** A server the stack uses, reached through one URL variable. */
export interface BackingServiceSpec {
  /** Short name: the docker-compose service that runs it, its launcher in scripts/backing/ and its `.data/` folder. */
  readonly name: string;
  /** Its name in messages. */
  readonly label: string;
  /** Environment variable holding its URL (every process reads it through internal/config, which has the default). */
  readonly urlKey: string;
}

/** Every backing service of the stack. */
export const BACKING_SERVICES = [
  { name: 'postgres', label: 'PostgreSQL', urlKey: 'DATABASE_URL' },
  { name: 'redis', label: 'Redis', urlKey: 'REDIS_URL' },
  { name: 'rabbitmq', label: 'RabbitMQ', urlKey: 'AMQP_URL' },
] as const satisfies readonly BackingServiceSpec[];

/** A backing service, as listed. */
export type BackingService = (typeof BACKING_SERVICES)[number];
