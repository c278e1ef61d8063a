// Imported first by index.ts: tracing patches pg and ioredis as they load, so it starts before the rest.
import { loadConfigOrExit } from '@chatgraph/config';
import { startTelemetry } from '@chatgraph/telemetry';

startTelemetry('chats', loadConfigOrExit());
