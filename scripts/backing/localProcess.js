'use strict';
// A backing server run by `npm start` itself: its own process group (Ctrl-C in the terminal reaches only the runner,
// which stops the server after the services that use it), its output in a log file under .data/, ready once a real
// probe of it succeeds.

const { spawn } = require('node:child_process');
const fs = require('node:fs');

/** How often a starting server is probed. */
const PROBE_INTERVAL_MS = 200;
/** Lines of its log shown when a server cannot start. */
const LOG_TAIL_LINES = 15;

/**
 * @typedef {object} LocalProcess
 * @property {number} pid
 * @property {string} logFile
 * @property {() => boolean} running
 * @property {(timeoutMs?: number) => Promise<{ code: number | null, killed: boolean }>} stop SIGTERM, then SIGKILL
 *   when it has not exited after `timeoutMs` (@default 30000); resolves with its exit code (null after a signal)
 */

/** The last lines of a log file, indented, for an error message. */
function logTail(file) {
  try {
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES);
    return lines.map((l) => `    ${l}`).join('\n');
  } catch {
    return '    (no log)';
  }
}

/**
 * Starts a server process and resolves once `probe` succeeds; rejects, with the end of its log, when it exits first
 * or does not answer within `startTimeoutMs` (then it is stopped).
 * @param {object} options
 * @param {string} options.label e.g. `PostgreSQL`, for messages
 * @param {string} options.command
 * @param {string[]} options.args
 * @param {string} options.logFile stdout and stderr go here (appended)
 * @param {() => Promise<string | undefined>} options.probe resolves undefined once the server answers, else why not
 * @param {NodeJS.ProcessEnv} [options.env] @default process.env
 * @param {string} [options.cwd]
 * @param {number} [options.startTimeoutMs] @default 60000
 * @returns {Promise<LocalProcess>}
 */
async function startLocalProcess(options) {
  const { label, command, args, logFile, probe, env = process.env, cwd, startTimeoutMs = 60_000 } = options;
  const log = fs.openSync(logFile, 'a');
  let child;
  try {
    child = spawn(command, args, { cwd, env, stdio: ['ignore', log, log], detached: true });
  } finally {
    fs.closeSync(log);
  }
  /** @type {{ code: number | null } | undefined} */
  let exit;
  const exited = new Promise((resolve) => {
    child.once('exit', (code) => {
      exit = { code };
      resolve(exit);
    });
    child.once('error', (err) => {
      exit = { code: null };
      fs.appendFileSync(logFile, `could not run ${command}: ${err.message}\n`);
      resolve(exit);
    });
  });

  const stop = async (timeoutMs = 30_000) => {
    if (exit) return { code: exit.code, killed: false };
    child.kill('SIGTERM');
    let timer;
    const late = await Promise.race([
      exited.then(() => false),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!late) return { code: exit.code, killed: false };
    child.kill('SIGKILL');
    await exited;
    return { code: exit.code, killed: true };
  };

  const deadline = Date.now() + startTimeoutMs;
  let reason = 'not probed yet';
  for (;;) {
    if (exit) {
      throw new Error(
        `${label} exited during start (exit code ${exit.code}); the end of ${logFile}:\n${logTail(logFile)}`,
      );
    }
    reason = (await probe()) ?? '';
    if (!reason) break;
    if (Date.now() > deadline) {
      await stop(5000);
      throw new Error(
        `${label} did not answer within ${startTimeoutMs} ms (${reason}); the end of ${logFile}:\n${logTail(logFile)}`,
      );
    }
    await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
  }
  return { pid: child.pid, logFile, running: () => !exit, stop };
}

module.exports = { startLocalProcess };
