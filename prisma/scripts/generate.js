#!/usr/bin/env node
// Generates the Prisma clients of every service offline (prisma/generated/<service>), skipping a service whose
// schema has not changed since its last generation. PRISMA_SCHEMA_ENGINE_BINARY points at a stub: generate does not
// need the engine, and without the variable the CLI would try to download it.
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const services = ['users', 'chats', 'notifications'];
const force = process.argv.includes('--force');
for (const service of services) {
  const schema = path.join(root, service, 'schema.prisma');
  const out = path.join(root, 'generated', service);
  const stamp = path.join(out, '.schema-hash');
  const hash = createHash('sha256').update(fs.readFileSync(schema)).digest('hex');
  if (!force && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) continue;
  execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--schema', schema], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: path.join(__dirname, 'schema-engine-stub.sh'),
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
  });
  fs.writeFileSync(stamp, hash);
  process.stdout.write(`prisma: generated ${service} client\n`);
}
