// A subgraph process as its own entry point starts it (`node subgraphs/<name>/dist/index.js`), with one addition for
// the bench: when the bench process that started it goes away (its IPC channel closes), it shuts down as on SIGTERM,
// so an interrupted run leaves no process behind.
import { createRequire } from 'node:module';
import path from 'node:path';

const entry = process.argv[2];
if (!entry) {
  process.stderr.write('usage: service.js <entry point>\n');
  process.exit(2);
}
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
// Loading the entry point runs it (it reads its config, listens and handles SIGTERM itself).
createRequire(__filename)(path.resolve(entry));
