// Imported first by index.ts: tracing patches pg, ioredis and amqplib as they load, so it starts before the rest.
import { loadConfigOrExit } from '@chatgraph/config';
import { startTelemetry } from '@chatgraph/telemetry';

startTelemetry('users', loadConfigOrExit());
