'use strict';
// The steps before any service starts, shared by `npm start`, `npm run start:<service>` and `npm run services:check`.
// Each step is a child process in the runner's process group (Ctrl-C in the terminal reaches it too); a stop
// requested of the runner alone (SIGTERM) is passed on to the running step with stopRunningStep().

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./stackProcesses');

/** @type {import('node:child_process').ChildProcess | undefined} */
let runningStep;

/**
 * Runs a command in the repository root and resolves with its exit code (1 when it was killed by a signal or could
 * not be started). With `quiet`, its output is shown only when it fails.
 * @param {string} command
 * @param {string[]} args
 * @param {{ quiet?: boolean }} [options]
 * @returns {Promise<number>}
 */
function runStep(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: options.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    runningStep = child;
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.once('error', (err) => {
      output += `could not run ${command}: ${err.message}\n`;
    });
    child.once('close', (code) => {
      runningStep = undefined;
      if (code !== 0 && output) process.stderr.write(output);
      resolve(code ?? 1);
    });
  });
}

/** Asks the running step, if any, to stop (SIGTERM). */
function stopRunningStep() {
  runningStep?.kill('SIGTERM');
}

/**
 * Compiles the manifest and the configuration packages alone (a second when they are up to date), so that the
 * backing services can be checked with the configuration's defaults before the whole build.
 * @returns {Promise<boolean>}
 */
async function buildConfig() {
  const code = await runStep(process.execPath, [require.resolve('typescript/bin/tsc'), '--build', 'internal/config'], {
    quiet: true,
  });
  if (code !== 0) process.stderr.write(`Compiling internal/config failed (exit code ${code}); see the errors above.\n`);
  return code === 0;
}

/**
 * `npm run build` (incremental: prisma generate skips unchanged schemas, tsc --build skips up-to-date projects).
 * @returns {Promise<boolean>} whether it succeeded; the compiler's errors are already on the terminal
 */
async function build() {
  process.stdout.write('Building (npm run build, incremental)...\n');
  const code = await runStep('npm', ['run', 'build', '--silent']);
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
 * @returns {Promise<boolean>}
 */
async function migrate() {
  process.stdout.write('Migrating the shard databases...\n');
  const code = await runStep(process.execPath, ['prisma/dist/src/cli/migrate.js']);
  if (code !== 0) process.stderr.write(`The migration failed (exit code ${code}); see the message above.\n`);
  return code === 0;
}

/**
 * Writes gateway/supergraph.graphql from the subgraphs' SDL files when it differs (the gateway serves that file), so
 * the local stack always serves the schema of the code it runs. Skipped when the gateway is not built.
 * @returns {Promise<boolean>} false when composition fails (the gateway could not start)
 */
async function composeSupergraph() {
  const cli = path.join(ROOT, 'gateway', 'dist', 'cli', 'supergraph.js');
  if (!fs.existsSync(cli)) return true;
  const code = await runStep(process.execPath, [cli]);
  if (code !== 0) process.stderr.write(`Composing the supergraph failed (exit code ${code}); see the message above.\n`);
  return code === 0;
}

module.exports = { build, buildConfig, composeSupergraph, loadStackConfig, migrate, runStep, stopRunningStep };
