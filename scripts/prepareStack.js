'use strict';
// The steps before any service starts, shared by `npm start` and `npm run start:<service>`.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./stackProcesses');

/**
 * Runs a command in the repository root with the terminal attached and returns its exit code (1 when it was killed
 * by a signal or could not be started).
 * @param {string} command
 * @param {string[]} args
 * @returns {number}
 */
function runStep(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.error) {
    process.stderr.write(`could not run ${command}: ${result.error.message}\n`);
    return 1;
  }
  return result.status ?? 1;
}

/**
 * `npm run build` (incremental: prisma generate skips unchanged schemas, tsc --build skips up-to-date projects).
 * @returns {boolean} whether it succeeded; the compiler's errors are already on the terminal
 */
function build() {
  process.stdout.write('Building (npm run build, incremental)...\n');
  const code = runStep('npm', ['run', 'build', '--silent']);
  if (code !== 0) process.stderr.write(`The build failed (exit code ${code}); fix the errors above and retry.\n`);
  return code === 0;
}

/**
 * Loads the validated configuration from the built @chatgraph/config (so ports and URLs have exactly the services'
 * defaults). On a bad value prints every problem and exits with 78 (EX_CONFIG), like the services do.
 * @returns {import('@chatgraph/config').Config}
 */
function loadStackConfig() {
  // Required lazily: it exists only after the build.
  const { loadConfigOrExit } = require('@chatgraph/config');
  return loadConfigOrExit(process.env);
}

/**
 * Creates missing shard databases and applies pending migrations (prisma/dist/src/cli/migrate.js).
 * @returns {boolean}
 */
function migrate() {
  process.stdout.write('Migrating the shard databases...\n');
  const code = runStep(process.execPath, ['prisma/dist/src/cli/migrate.js']);
  if (code !== 0) process.stderr.write(`The migration failed (exit code ${code}); see the message above.\n`);
  return code === 0;
}

/**
 * Writes gateway/supergraph.graphql from the subgraphs' SDL files when it differs (the gateway serves that file), so
 * the local stack always serves the schema of the code it runs. Skipped when the gateway is not built.
 * @returns {boolean} false when composition fails (the gateway could not start)
 */
function composeSupergraph() {
  const cli = path.join(ROOT, 'gateway', 'dist', 'cli', 'supergraph.js');
  if (!fs.existsSync(cli)) return true;
  const code = runStep(process.execPath, [cli]);
  if (code !== 0) process.stderr.write(`Composing the supergraph failed (exit code ${code}); see the message above.\n`);
  return code === 0;
}

module.exports = { build, composeSupergraph, loadStackConfig, migrate, runStep };
